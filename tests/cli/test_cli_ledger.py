"""``boroughkit ledger``: init, show, verify and cancel, their output, exit codes and messages."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from boroughkit.privacy.budget import Rho
from boroughkit.cli.ledger import ledger as ledger_group
from boroughkit.privacy.ledger import Ledger


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(ledger_group, [str(arg) for arg in args])


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A ledger with one committed release, one in flight and one cancelled."""
    path = tmp_path / "privacy-ledger.sqlite"
    assert (
        invoke(
            "init", "--ledger", path, "--dataset", "ctax", "--rho", "1", "--by", "alice"
        ).exit_code
        == 0
    )
    ledger = Ledger(path, user="svc")
    ledger.reserve("ctax", "rel-1", Rho("0.3"), tables=["by_ward", "by_oa"], by="pipeline").commit()
    ledger.reserve("ctax", "rel-2", Rho("0.2"), tables=["by_ward"], by="pipeline")
    ledger.reserve("ctax", "rel-3", Rho("0.1"), tables=["x"], by="pipeline").cancel("gate failed")
    return path


def test_init_reports_the_budget_and_creates_the_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "ledger.sqlite"
    result = invoke("init", "--ledger", path, "--dataset", "housing", "--rho", "1/2")
    assert result.exit_code == 0, result.output
    assert "housing" in result.output and "ρ = 0.5" in result.output
    assert f"{Rho('0.5').to_epsilon(1e-7):.4g}" in result.output
    assert Ledger(path).status("housing").total == Rho("1/2")
    assert Ledger(path).status("housing").entries[0].actor  # defaults to the login name


def test_catalogue_option_uses_the_catalogue_ledger(tmp_path: Path) -> None:
    result = invoke("init", "--catalogue", tmp_path / "cat", "--dataset", "d", "--rho", "0.25")
    assert result.exit_code == 0, result.output
    assert Ledger(tmp_path / "cat.privacy-ledger.sqlite").datasets() == ["d"]
    shown = invoke("show", "--catalogue", tmp_path / "cat")
    assert shown.exit_code == 0 and "dataset d" in shown.output


@pytest.mark.parametrize("where", [[], ["--ledger", "a.sqlite", "--catalogue", "cat"]])
def test_exactly_one_ledger_location_is_required(where: list[str]) -> None:
    result = invoke("show", *where)
    assert result.exit_code == 2
    assert "exactly one of --ledger and --catalogue" in result.output


@pytest.mark.parametrize("bad", ["-1", "abc", "nan", "inf", "1/0"])
def test_bad_rho_is_a_config_error(tmp_path: Path, bad: str) -> None:
    result = invoke("init", "--ledger", tmp_path / "l.sqlite", "--dataset", "d", "--rho", bad)
    assert result.exit_code == 2
    assert "--rho" in result.output and "fix:" in result.output
    assert not (tmp_path / "l.sqlite").exists()


def test_zero_rho_is_refused(tmp_path: Path) -> None:
    result = invoke("init", "--ledger", tmp_path / "l.sqlite", "--dataset", "d", "--rho", "0")
    assert result.exit_code == 2 and "positive" in result.output


def test_reinit_is_refused_and_says_so(book: Path) -> None:
    result = invoke("init", "--ledger", book, "--dataset", "ctax", "--rho", "2")
    assert result.exit_code == 4
    assert "already has lifetime budget ρ = 1" in result.output and "new dataset" in result.output
    assert Ledger(book).status("ctax").total == 1


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
    assert "release rel-1  tables by_ward, by_oa  ρ 0.3  by pipeline (svc@" in text
    assert "reason: gate failed" in text
    assert len([line for line in text.splitlines() if line.startswith("    20")]) == 6


def test_show_json_is_machine_readable(book: Path) -> None:
    result = invoke("show", "--ledger", book, "--dataset", "ctax", "--json", "--tight")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    [dataset] = payload["datasets"]
    assert dataset["rho"] == {"total": "1", "spent": "0.3", "in_flight": "0.2", "remaining": "0.5"}
    assert dataset["epsilon"]["total"] == pytest.approx(Rho(1).to_epsilon(1e-7, tight=True))
    assert dataset["releases_in_flight"] == ["rel-2"]
    kinds = [entry["kind"] for entry in dataset["entries"]]
    assert kinds == ["init", "reserve", "commit", "reserve", "reserve", "cancel"]
    assert dataset["entries"][1]["tables"] == ["by_ward", "by_oa"]


def test_show_of_a_missing_ledger_or_dataset_fails(tmp_path: Path, book: Path) -> None:
    missing = invoke("show", "--ledger", tmp_path / "typo.sqlite")
    assert missing.exit_code == 4 and "no privacy ledger" in missing.output
    unknown = invoke("show", "--ledger", book, "--dataset", "housing")
    assert unknown.exit_code == 4 and "ledger init" in unknown.output


def test_show_refuses_a_delta_outside_zero_one(book: Path) -> None:
    assert invoke("show", "--ledger", book, "--delta", "0").exit_code == 2
    assert invoke("show", "--ledger", book, "--delta", "1.5").exit_code == 2


def test_verify_passes_then_names_the_edited_entry(book: Path) -> None:
    result = invoke("verify", "--ledger", book)
    assert result.exit_code == 0, result.output
    assert "6 entries, hash chain intact" in result.output and Ledger(book).head() in result.output
    connection = sqlite3.connect(book, isolation_level=None)
    connection.execute("DROP TRIGGER ledger_entries_no_update")
    connection.execute("UPDATE entries SET actor = 'mallory' WHERE seq = 2")
    connection.close()
    tampered = invoke("verify", "--ledger", book)
    assert tampered.exit_code == 4
    assert "entry #2" in tampered.output and "backup" in tampered.output
    assert invoke("show", "--ledger", book).exit_code == 4


def test_cancel_frees_a_stale_reservation_once(book: Path) -> None:
    args = ("cancel", "--ledger", book, "--dataset", "ctax", "--release", "rel-2")
    result = invoke(*args, "--reason", "run killed", "--by", "admin")
    assert result.exit_code == 0, result.output
    assert "remaining ρ = 0.7" in result.output
    assert Ledger(book).status("ctax").entries[-1].reason == "run killed"
    again = invoke(*args, "--reason", "again")
    assert again.exit_code == 4 and "cancelled" in again.output
