"""``boroughkit ledger``: init, raise, publish-register, show, verify and cancel; their output,
exit codes and messages."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from boroughkit.cli.ledger import ledger as ledger_group
from boroughkit.privacy import ledger as ledger_module
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.ledger import Ledger, default_ledger_path
from boroughkit.privacy.owner import current_owner
from tests.helpers.files import tree_snapshot

WHO = ("--by", "Asha Patel", "--reason", "DPIA-2026-04: four releases a year")


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(ledger_group, [str(arg) for arg in args])


def register_json(catalogue: Path) -> list[dict[str, str]]:
    path = catalogue / "registers" / "privacy-budget.json"
    return json.loads(path.read_text(encoding="utf-8"))["entries"]


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    """A catalogue whose ledger has ctax (ρ = 1) with one committed release, one in flight
    and one cancelled."""
    folder = tmp_path / "catalogue"
    result = invoke("init", "--catalogue", folder, "--dataset", "ctax", "--rho", "1", *WHO)
    assert result.exit_code == 0, result.output
    ledger = Ledger(default_ledger_path(folder), user="svc")
    ledger.reserve("ctax", "rel-1", Rho("0.3"), tables=["by_ward", "by_oa"], by="pipeline").commit()
    ledger.reserve("ctax", "rel-2", Rho("0.2"), tables=["by_ward"], by="pipeline")
    ledger.reserve("ctax", "rel-3", Rho("0.1"), tables=["x"], by="pipeline").cancel("gate failed")
    return folder


@pytest.fixture
def book(catalogue: Path) -> Path:
    return default_ledger_path(catalogue)


def test_init_registers_publishes_and_creates_the_file_beside_the_catalogue(tmp_path: Path):
    folder = tmp_path / "cat"
    result = invoke("init", "--catalogue", folder, "--dataset", "housing", "--rho", "1/2", *WHO)
    assert result.exit_code == 0, result.output
    assert "housing" in result.output and "ρ = 0.5" in result.output
    assert f"{Rho('0.5').to_epsilon(1e-7):.4g}" in result.output
    assert "published in registers/privacy-budget" in result.output
    path = tmp_path / "cat.privacy-ledger.sqlite"
    assert Ledger(path).status("housing").total == Rho("1/2")
    [entry] = Ledger(path).entries()
    assert (entry.kind, entry.actor, entry.reason) == ("register", WHO[1], WHO[3])
    [row] = register_json(folder)
    assert row["dataset"] == "housing" and row["population"] == "housing"
    assert (row["lifetime_rho"], row["by"], row["reason"]) == ("0.5", WHO[1], WHO[3])
    assert row["ledger_entry"] == entry.hash and row["act"] == "lifetime budget set"
    for suffix in ("csv", "html"):
        assert entry.hash in (folder / "registers" / f"privacy-budget.{suffix}").read_text()


def test_init_with_a_ledger_file_named_after_its_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "cat.privacy-ledger.sqlite"
    result = invoke("init", "--ledger", path, "--dataset", "d", "--rho", "0.25", *WHO)
    assert result.exit_code == 0, result.output
    assert Ledger(path).datasets() == ["d"]
    assert (tmp_path / "sub" / "cat" / "registers" / "privacy-budget.json").exists()
    other = invoke("init", "--ledger", tmp_path / "l.sqlite", "--dataset", "d", "--rho", "1", *WHO)
    assert other.exit_code == 2 and "--catalogue" in other.output
    assert not (tmp_path / "l.sqlite").exists()


def test_init_needs_who_and_why(tmp_path: Path) -> None:
    args = ("init", "--catalogue", tmp_path / "cat", "--dataset", "d", "--rho", "1")
    assert invoke(*args, "--by", "Asha").exit_code == 2  # --reason is required
    assert invoke(*args, "--reason", "r").exit_code == 2  # --by is required
    assert not default_ledger_path(tmp_path / "cat").exists()


def test_datasets_join_a_population_with_init(catalogue: Path, book: Path) -> None:
    joined = invoke(
        "init", "--catalogue", catalogue, "--dataset", "housing", "--population", "ctax", *WHO
    )
    assert joined.exit_code == 0, joined.output
    assert "registered to population 'ctax'" in joined.output and "ρ = 1" in joined.output
    assert Ledger(book).status("housing").remaining == Rho("0.5")
    row = register_json(catalogue)[-1]
    assert (row["dataset"], row["population"], row["act"]) == (
        "housing",
        "ctax",
        "dataset joins the budget",
    )
    new = invoke("init", "--catalogue", catalogue, "--dataset", "x", "--population", "p", *WHO)
    assert new.exit_code == 2 and "is new: give its lifetime" in new.output
    shown = invoke("show", "--catalogue", catalogue)
    assert "population ctax (datasets: ctax, housing)" in shown.output


def test_show_and_init_need_a_ledger_location() -> None:
    result = invoke("show")
    assert result.exit_code == 2
    assert "--catalogue" in result.output and "--ledger" in result.output


@pytest.mark.parametrize("bad", ["-1", "abc", "nan", "inf", "1/0"])
def test_bad_rho_is_a_config_error(tmp_path: Path, bad: str) -> None:
    result = invoke("init", "--catalogue", tmp_path / "c", "--dataset", "d", "--rho", bad, *WHO)
    assert result.exit_code == 2
    assert "--rho" in result.output and "fix:" in result.output
    assert not default_ledger_path(tmp_path / "c").exists()


def test_zero_rho_is_refused(tmp_path: Path) -> None:
    result = invoke("init", "--catalogue", tmp_path / "c", "--dataset", "d", "--rho", "0", *WHO)
    assert result.exit_code == 2 and "positive" in result.output
    assert not default_ledger_path(tmp_path / "c").exists()


def test_reinit_is_refused_and_says_so(catalogue: Path, book: Path) -> None:
    before = tree_snapshot(catalogue)
    result = invoke("init", "--catalogue", catalogue, "--dataset", "ctax", "--rho", "2", *WHO)
    assert result.exit_code == 4
    assert "already registered" in result.output and "ledger raise" in result.output
    assert Ledger(book).status("ctax").total == 1
    assert tree_snapshot(catalogue) == before


def test_raise_publishes_the_act_and_lowering_is_refused(catalogue: Path, book: Path) -> None:
    args = ("raise", "--catalogue", catalogue, "--population", "ctax")
    raised = invoke(*args, "--rho", "3/2", "--by", "Ben Okoro", "--reason", "DPIA-2026-09")
    assert raised.exit_code == 0, raised.output
    assert "lifetime ρ raised to 1.5" in raised.output
    status = Ledger(book).status("ctax")
    assert status.total == Rho("1.5") and status.remaining == 1
    entry = status.entries[-1]
    row = register_json(catalogue)[-1]
    assert (row["act"], row["lifetime_rho"], row["by"], row["reason"]) == (
        "lifetime budget raised",
        "1.5",
        "Ben Okoro",
        "DPIA-2026-09",
    )
    assert row["ledger_entry"] == entry.hash
    before = tree_snapshot(catalogue)
    for lower in ("1", "1.5"):
        refused = invoke(*args, "--rho", lower, *WHO)
        assert refused.exit_code == 4 and "never lowered" in refused.output
    assert Ledger(book).status("ctax").total == Rho("1.5")
    assert tree_snapshot(catalogue) == before
    unknown = invoke(
        "raise", "--catalogue", catalogue, "--population", "nobody", "--rho", "9", *WHO
    )
    assert unknown.exit_code == 4


def test_publish_register_rewrites_a_lost_register(catalogue: Path) -> None:
    rows = register_json(catalogue)
    for path in (catalogue / "registers").glob("privacy-budget.*"):
        path.unlink()
    result = invoke("publish-register", "--catalogue", catalogue)
    assert result.exit_code == 0, result.output
    assert register_json(catalogue) == rows


def test_show_prints_budgets_as_rho_and_epsilon_and_every_entry(book: Path) -> None:
    result = invoke("show", "--ledger", book, "--delta", "1e-6")
    assert result.exit_code == 0, result.output
    text = result.output
    for label, rho in (
        ("lifetime", "1"),
        ("spent", "0.3"),
        ("in flight", "0.2"),
        ("remaining", "0.5"),
    ):
        line = next(line for line in text.splitlines() if line.strip().startswith(label))
        assert line.split()[-2] == rho
        assert line.split()[-1] == f"{Rho(rho).to_epsilon(1e-6):.4g}"
    assert "δ = 1e-06" in text
    assert "releases in flight: rel-2" in text
    assert "release rel-1  tables by_ward, by_oa  ρ 0.3  dataset ctax  by pipeline (svc@" in text
    assert "reason: gate failed" in text
    assert f"reason: {WHO[3]}" in text
    assert len([line for line in text.splitlines() if line.startswith("    20")]) == 6


def test_show_json_is_machine_readable(book: Path) -> None:
    result = invoke("show", "--ledger", book, "--dataset", "ctax", "--json", "--tight")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    [dataset] = payload["datasets"]
    assert dataset["population"] == "ctax" and dataset["datasets"] == ["ctax"]
    assert dataset["rho"] == {"total": "1", "spent": "0.3", "in_flight": "0.2", "remaining": "0.5"}
    assert dataset["epsilon"]["total"] == pytest.approx(Rho(1).to_epsilon(1e-7, tight=True))
    assert dataset["releases_in_flight"] == ["rel-2"]
    kinds = [entry["kind"] for entry in dataset["entries"]]
    assert kinds == ["register", "reserve", "commit", "reserve", "reserve", "cancel"]
    assert dataset["entries"][1]["tables"] == ["by_ward", "by_oa"]


def test_show_of_a_missing_ledger_or_dataset_fails(tmp_path: Path, book: Path) -> None:
    missing = invoke("show", "--ledger", tmp_path / "typo.sqlite")
    assert missing.exit_code == 4 and "no privacy ledger" in missing.output
    assert not (tmp_path / "typo.sqlite").exists()
    unknown = invoke("show", "--ledger", book, "--dataset", "housing")
    assert unknown.exit_code == 4 and "ledger init" in unknown.output


def test_show_refuses_a_delta_outside_zero_one(book: Path) -> None:
    assert invoke("show", "--ledger", book, "--delta", "0").exit_code == 2
    assert invoke("show", "--ledger", book, "--delta", "1.5").exit_code == 2


def test_verify_passes_then_names_the_edited_entry(catalogue: Path, book: Path) -> None:
    result = invoke("verify", "--ledger", book)
    assert result.exit_code == 0, result.output
    assert "6 entries, hash chain intact" in result.output and Ledger(book).head() in result.output
    audited = invoke("verify", "--catalogue", catalogue)
    assert audited.exit_code == 0, audited.output
    assert "matches catalogue" in audited.output
    connection = sqlite3.connect(book, isolation_level=None)
    connection.execute("DROP TRIGGER ledger_entries_no_update")
    connection.execute("UPDATE entries SET actor = 'mallory' WHERE seq = 2")
    connection.close()
    tampered = invoke("verify", "--ledger", book)
    assert tampered.exit_code == 4
    assert "entry #2" in tampered.output and "backup" in tampered.output
    assert invoke("show", "--ledger", book).exit_code == 4
    assert invoke("verify", "--catalogue", catalogue).exit_code == 4


def test_verify_with_the_catalogue_finds_an_unpublished_act(catalogue: Path) -> None:
    (catalogue / "registers" / "privacy-budget.json").unlink()
    result = invoke("verify", "--catalogue", catalogue)
    assert result.exit_code == 4
    assert "not in the published privacy-budget register" in result.output
    assert invoke("publish-register", "--catalogue", catalogue).exit_code == 0
    assert invoke("verify", "--catalogue", catalogue).exit_code == 0


def test_cancel_frees_a_stale_reservation_once(catalogue: Path, book: Path) -> None:
    args = ("cancel", "--catalogue", catalogue, "--dataset", "ctax", "--release", "rel-2")
    result = invoke(*args, "--reason", "run killed", "--by", "admin")
    assert result.exit_code == 0, result.output
    assert "remaining ρ = 0.7" in result.output
    assert Ledger(book).status("ctax").entries[-1].reason == "run killed"
    again = invoke(*args, "--reason", "again", "--by", "admin")
    assert again.exit_code == 4 and "cancelled" in again.output


@pytest.mark.parametrize("area", ["staging", "releases", "extracts", "retracted"])
def test_cancel_refuses_a_release_in_the_catalogue(catalogue: Path, book: Path, area: str):
    (catalogue / area / "rel-2").mkdir(parents=True)
    result = invoke(
        "cancel",
        "--catalogue",
        catalogue,
        "--dataset",
        "ctax",
        "--release",
        "rel-2",
        "--reason",
        "let me have it back",
        "--by",
        "admin",
    )
    assert result.exit_code == 4
    assert f"is in the catalogue ({area}/)" in result.output
    assert Ledger(book).status("ctax").in_flight_releases == ("rel-2",)


@pytest.mark.parametrize(
    "command",
    [
        ["show"],
        ["verify"],
        ["verify", "--catalogue", "{catalogue}"],
        ["publish-register"],
        ["init", "--dataset", "housing", "--rho", "1", *WHO],
        ["raise", "--population", "ctax", "--rho", "2", *WHO],
        ["cancel", "--dataset", "ctax", "--release", "rel-2", *WHO],
    ],
)
def test_every_command_first_recovers_reservations_of_ended_runs(
    catalogue: Path, book: Path, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    host, pid, boot, *_ = current_owner().split()
    with monkeypatch.context() as patched:  # as if a process that has ended had reserved it
        patched.setattr(ledger_module, "current_owner", lambda: f"{host} {pid} {boot} 1")
        Ledger(book).reserve("ctax", "dead-run", Rho("0.1"), tables=["t"], by="pipeline")
    args = [arg.replace("{catalogue}", str(catalogue)) for arg in command]
    where = [] if "--catalogue" in args else ["--catalogue", catalogue]
    result = CliRunner().invoke(ledger_group, [*args[:1], *map(str, where), *args[1:]])
    assert result.exit_code == 0, result.output
    assert "recovered ρ = 0.1 held by release dead-run: its run" in result.stderr
    assert "dead-run" not in Ledger(book).status("ctax").in_flight_releases
