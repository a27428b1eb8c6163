"""The budget promise cannot be sidestepped: no implicit ledgers, no renamed datasets, no fresh
or rewritten ledger behind a catalogue's back, no uncharged release staged, approved or
published, and a run killed at any step leaves nothing uncharged and nothing stuck.

Every test works in the demo workspace, whose dataset ``residents`` is registered with lifetime
ρ = 10 in the ledger beside ``catalogue`` (see ``tests/conftest.py``). DP noise is never seeded
and nothing here depends on wall time: kills happen at named functions, not after a delay.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from boroughkit.privacy.budget import Rho
from boroughkit.privacy.ledger import Ledger, default_ledger_path
from boroughkit.privacy.ledger_store import COLUMNS, GENESIS_HASH, row_hash
from tests.helpers.budget import (
    APPROVER,
    WHO,
    assert_everything_charged,
    budget_acts,
    cli,
    ledger_of,
    manifest,
    publish_ok,
    run_ok,
    staged,
    write,
)
from tests.helpers.configs import extract_config, minimal_config
from tests.helpers.files import tree_snapshot
from tests.helpers.ledger import register

# --- a dataset must be registered, under the name it was registered with --------------------


@pytest.mark.parametrize("renamed", ["dataset", "records file"])
def test_a_renamed_dataset_gets_no_new_budget(demo_workspace: Path, renamed: str) -> None:
    """Renaming source.dataset (or the records file it defaults to) does not reset the
    budget: the new name is not registered, so the run is refused before any noise."""
    if renamed == "dataset":
        config = write(demo_workspace, dataset="residents-2026")
        name = "residents-2026"
    else:
        shutil.copy(demo_workspace / "residents.parquet", demo_workspace / "people.parquet")
        config = write(demo_workspace, path="people.parquet")
        name = "people"
    catalogue = demo_workspace / "catalogue"
    before, entries = tree_snapshot(catalogue), ledger_of(demo_workspace).entries()
    result = cli("run", config)
    assert result.exit_code == 4, result.output
    assert f"dataset '{name}' is not registered" in result.output
    assert "a new name does not get a new budget" in result.output
    assert tree_snapshot(catalogue) == before and staged(demo_workspace) == []
    assert ledger_of(demo_workspace).entries() == entries  # not even a reservation


@pytest.mark.parametrize("method", ["dp-tables", "synthetic-extract"])
def test_a_lifetime_in_the_config_is_refused(demo_workspace: Path, method: str) -> None:
    if method == "dp-tables":
        config = minimal_config()
        config["release"]["budget"] = {"rho": 0.5, "lifetime": 100}
    else:
        config = extract_config(synthesiser="dp_mst", budget={"rho": 1, "lifetime": 100})
    path = demo_workspace / "lifetime.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    entries = ledger_of(demo_workspace).entries()
    result = cli("run", path)
    assert result.exit_code == 2, result.output
    assert "lifetime" in result.output and "boroughkit ledger init" in result.output
    assert ledger_of(demo_workspace).entries() == entries


# --- the catalogue audits its ledger ---------------------------------------------------------


@pytest.fixture
def published(demo_workspace: Path) -> tuple[Path, str]:
    """The workspace with one DP release run, approved and published through the CLI."""
    release_id = run_ok(write(demo_workspace))
    publish_ok(demo_workspace, release_id)
    return demo_workspace, release_id


def test_a_published_release_states_its_charge(published: tuple[Path, str]) -> None:
    workspace, release_id = published
    catalogue = workspace / "catalogue"
    stated = manifest(catalogue / "releases" / release_id)["budget"]
    charge = ledger_of(workspace).charge_of(release_id)
    assert charge is not None and stated == charge.statement()
    assert (stated["dataset"], stated["population"]) == ("residents", "residents")
    assert (stated["release_rho"], stated["lifetime_rho"]) == ("0.5", "10")
    assert (stated["spent_rho_including_this_release"], stated["remaining_rho"]) == ("0.5", "9.5")
    commit = ledger_of(workspace).entries()[-1]
    assert commit.kind == "commit" and stated["ledger_entry"] == commit.hash
    [row] = json.loads((catalogue / "registers" / "transparency.json").read_text())["entries"]
    assert (row["population"], row["lifetime_budget"], row["spent_budget"]) == (
        "residents",
        "10",
        "0.5",
    )
    assert row["ledger_entry"] == commit.hash
    index = json.loads((catalogue / "index.json").read_text())
    [entry] = [e for e in index["releases"] if e["id"] == release_id]
    assert entry["budget"]["ledger_entry"] == commit.hash
    assert_everything_charged(catalogue)
    verified = cli("ledger", "verify", "--catalogue", catalogue)
    assert verified.exit_code == 0 and "1 published charge(s)" in verified.output


def test_a_ledger_moved_away_stops_every_release(published: tuple[Path, str]) -> None:
    workspace, _ = published
    catalogue = workspace / "catalogue"
    ledger_path = default_ledger_path(catalogue)
    ledger_path.rename(workspace / "elsewhere.sqlite")
    config = write(workspace, name="next")
    before = tree_snapshot(catalogue)
    result = cli("run", config)
    assert result.exit_code == 4, result.output
    assert f"there is no privacy ledger at {ledger_path}" in result.output
    assert "restore it from a backup" in result.output
    assert tree_snapshot(catalogue) == before and not ledger_path.exists()
    assert cli("ledger", "verify", "--catalogue", catalogue).exit_code == 4
    # A fresh ledger that registers the same dataset name does not account for what the
    # catalogue published, so the run is still refused and the audit fails.
    fresh = cli(
        "ledger", "init", "--catalogue", catalogue, "--dataset", "residents", "--rho", "100", *WHO
    )
    assert fresh.exit_code == 0, fresh.output
    refused = cli("run", config)
    assert refused.exit_code == 4, refused.output
    assert "does not match catalogue" in refused.output
    assert "states a charge the ledger does not hold" in refused.output
    assert staged(workspace) == []
    assert Ledger(ledger_path).status("residents").spent == 0  # nothing reserved either
    verified = cli("ledger", "verify", "--catalogue", catalogue)
    assert verified.exit_code == 4
    assert "does NOT match" in verified.output
    # The public register still lists the original act beside the fresh one: the fresh
    # ledger cannot rewrite the record of the budget that was set.
    assert "register lists the registration of 'residents'" in verified.output
    acts = budget_acts(catalogue)
    assert [act["lifetime_rho"] for act in acts] == ["10", "100"]
    # Putting the catalogue's own ledger back makes everything work again.
    ledger_path.unlink()
    (workspace / "elsewhere.sqlite").rename(ledger_path)
    assert cli("ledger", "verify", "--catalogue", catalogue).exit_code == 4  # the fresh act
    assert run_ok(config)


def rewrite_ledger(path: Path, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]):
    """Rewrite the ledger file as someone with sqlite3 could: drop the append-only triggers,
    replace the rows with ``edit(rows)`` under a recomputed hash chain (and the meta count
    and head), then restore the triggers. The plain chain check cannot tell."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.row_factory = sqlite3.Row
    try:
        triggers = [
            row["sql"]
            for row in connection.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'")
        ]
        rows = [dict(row) for row in connection.execute("SELECT * FROM entries ORDER BY seq")]
        connection.execute("BEGIN")
        for name in ("ledger_entries_no_update", "ledger_entries_no_delete"):
            connection.execute(f"DROP TRIGGER {name}")
        connection.execute("DELETE FROM entries")
        previous = GENESIS_HASH
        for seq, row in enumerate(edit(rows), start=1):
            row = {**row, "seq": seq, "prev_hash": previous}
            row["hash"] = previous = row_hash(previous, {column: row[column] for column in COLUMNS})
            names = [*COLUMNS, "hash"]
            connection.execute(
                f"INSERT INTO entries ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                [row[name] for name in names],
            )
            count = seq
        connection.execute("UPDATE meta SET value = ? WHERE key = 'entry_count'", (str(count),))
        connection.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (previous,))
        for statement in triggers:
            connection.execute(statement)
        connection.execute("COMMIT")
    finally:
        connection.close()


def _only_the_registration(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Delete every row, then re-append the register row (byte for byte the same act)."""
    return [row for row in rows if row["kind"] == "register"]


def _cheaper_charges(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep every row but record each reservation as costing a hundredth of what it did."""
    return [
        {**row, "rho": str(Rho(row["rho"]) / 100)} if row["kind"] == "reserve" else row
        for row in rows
    ]


@pytest.mark.parametrize("edit", [_only_the_registration, _cheaper_charges])
def test_a_rewritten_ledger_passes_its_chain_but_not_the_catalogue(
    published: tuple[Path, str], edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
) -> None:
    workspace, _ = published
    catalogue = workspace / "catalogue"
    ledger_path = default_ledger_path(catalogue)
    rewrite_ledger(ledger_path, edit)
    chain = cli("ledger", "verify", "--ledger", ledger_path)
    assert chain.exit_code == 0 and "hash chain intact" in chain.output  # not detectable alone
    if edit is _only_the_registration:
        assert ledger_of(workspace).status("residents").spent == 0
    verified = cli("ledger", "verify", "--catalogue", catalogue)
    assert verified.exit_code == 4, verified.output
    assert "does NOT match" in verified.output and "releases/" in verified.output
    before = tree_snapshot(catalogue)
    refused = cli("run", write(workspace, name="next"))
    assert refused.exit_code == 4 and "does not match catalogue" in refused.output
    assert tree_snapshot(catalogue) == before


# --- populations and raised lifetimes --------------------------------------------------------


def test_datasets_of_one_population_share_its_lifetime(demo_workspace: Path) -> None:
    catalogue = demo_workspace / "catalogue"
    register(catalogue, "council-tax", rho=1, population="households")
    register(catalogue, "housing", rho=None, population="households")
    first = run_ok(write(demo_workspace, name="ctax", dataset="council-tax"))
    greedy = minimal_config(name="housing")
    greedy["source"]["dataset"] = "housing"
    greedy["release"]["budget"] = {"rho": 0.6}
    path = demo_workspace / "housing.yaml"
    path.write_text(yaml.safe_dump(greedy), encoding="utf-8")
    before = tree_snapshot(catalogue)
    refused = cli("run", path)
    assert refused.exit_code == 4, refused.output
    assert "would overspend" in refused.output and "remaining 0.5 of lifetime 1" in refused.output
    assert tree_snapshot(catalogue) == before
    second = run_ok(write(demo_workspace, name="housing", dataset="housing"))
    stated = manifest(catalogue / "staging" / second)["budget"]
    assert (stated["dataset"], stated["population"]) == ("housing", "households")
    assert (stated["spent_rho_including_this_release"], stated["remaining_rho"]) == ("1", "0")
    assert manifest(catalogue / "staging" / first)["budget"]["population"] == "households"
    assert ledger_of(demo_workspace).status("residents").spent == 0  # another population
    assert_everything_charged(catalogue)


def test_raise_is_a_published_act_and_lowering_is_refused(demo_workspace: Path) -> None:
    catalogue = demo_workspace / "catalogue"
    register(catalogue, "small", rho="1/2")
    run_ok(write(demo_workspace, name="small", dataset="small"))
    before = tree_snapshot(catalogue)
    assert cli("run", write(demo_workspace, name="small2", dataset="small")).exit_code == 4
    for lower in ("1/4", "0.5"):
        refused = cli(
            "ledger",
            "raise",
            "--catalogue",
            catalogue,
            "--population",
            "small",
            "--rho",
            lower,
            *WHO,
        )
        assert refused.exit_code == 4 and "never lowered" in refused.output
    assert tree_snapshot(catalogue) == before
    raised = cli(
        "ledger",
        "raise",
        "--catalogue",
        catalogue,
        "--population",
        "small",
        "--rho",
        "1",
        "--by",
        "Ben Okoro",
        "--reason",
        "Cabinet decision 2026/31",
    )
    assert raised.exit_code == 0, raised.output
    run_ok(write(demo_workspace, name="small2", dataset="small"))
    entries = {entry.hash: entry for entry in ledger_of(demo_workspace).entries()}
    acts = budget_acts(catalogue)
    assert [(act["dataset"], act["act"], act["lifetime_rho"]) for act in acts] == [
        ("residents", "lifetime budget set", "10"),
        ("small", "lifetime budget set", "0.5"),
        ("small", "lifetime budget raised", "1"),
    ]
    for act in acts:
        entry = entries[act["ledger_entry"]]
        assert (act["by"], act["reason"]) == (entry.actor, entry.reason)
    assert (acts[-1]["by"], acts[-1]["reason"]) == ("Ben Okoro", "Cabinet decision 2026/31")
    assert_everything_charged(catalogue)


# --- nothing uncharged is approved or published ----------------------------------------------


def test_approve_and_publish_refuse_a_release_whose_charge_is_not_committed(
    demo_workspace: Path,
) -> None:
    catalogue = demo_workspace / "catalogue"
    release_id = run_ok(write(demo_workspace))
    # A copy under another id: the ledger charged the original, not the copy.
    copy_id = release_id[:-4] + ("ffff" if not release_id.endswith("ffff") else "eeee")
    shutil.copytree(catalogue / "staging" / release_id, catalogue / "staging" / copy_id)
    copied = cli("approve", copy_id, "--by", APPROVER, "--catalogue", catalogue)
    assert copied.exit_code == 4, copied.output
    assert "holds no committed charge" in copied.output
    # The original, approved, then its manifest pointed at another ledger entry.
    assert cli("approve", release_id, "--by", APPROVER, "--catalogue", catalogue).exit_code == 0
    path = catalogue / "staging" / release_id / "manifest.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    genuine = path.read_text(encoding="utf-8")
    document["budget"]["ledger_entry"] = "0" * 64
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    forged = cli("publish", release_id, "--catalogue", catalogue)
    assert forged.exit_code == 4, forged.output
    assert "holds no committed charge matching its manifest" in forged.output
    assert not (catalogue / "releases").exists() or not any((catalogue / "releases").iterdir())
    path.write_text(genuine, encoding="utf-8")
    assert cli("publish", release_id, "--catalogue", catalogue).exit_code == 0


def test_approve_refuses_a_staged_release_whose_reservation_is_in_flight(
    demo_workspace: Path,
) -> None:
    """A DP release staged by hand while its budget is only reserved (never committed)."""
    catalogue = demo_workspace / "catalogue"
    release_id = run_ok(write(demo_workspace))
    held = ledger_of(demo_workspace).reserve(
        "residents", "held-1", Rho("0.5"), tables=["t"], by="someone"
    )
    shutil.copytree(catalogue / "staging" / release_id, catalogue / "staging" / "held-1")
    refused = cli("approve", "held-1", "--by", APPROVER, "--catalogue", catalogue)
    assert refused.exit_code == 4 and "holds no committed charge" in refused.output
    assert held.state == "in_flight"


def test_approve_and_publish_read_the_ledger_given_with_ledger(demo_workspace: Path) -> None:
    catalogue = demo_workspace / "catalogue"
    release_id = run_ok(write(demo_workspace))
    moved = demo_workspace / "kept-elsewhere.sqlite"
    default_ledger_path(catalogue).rename(moved)
    approve = ("approve", release_id, "--by", APPROVER, "--catalogue", catalogue)
    missing = cli(*approve)
    assert missing.exit_code == 4 and "no privacy ledger" in missing.output
    assert cli(*approve, "--ledger", moved).exit_code == 0
    publish = ("publish", release_id, "--catalogue", catalogue)
    assert cli(*publish).exit_code == 4
    published = cli(*publish, "--ledger", moved)
    assert published.exit_code == 0, published.output
    assert (catalogue / "releases" / release_id / "manifest.json").exists()


@pytest.mark.parametrize("where", ["staging", "releases", "retracted"])
def test_cancel_refuses_a_release_in_the_catalogue(demo_workspace: Path, where: str) -> None:
    catalogue = demo_workspace / "catalogue"
    release_id = run_ok(write(demo_workspace))
    if where != "staging":
        publish_ok(demo_workspace, release_id)
    if where == "retracted":
        withdrawn = cli("retract", release_id, "--reason", "Wrong year.", "--catalogue", catalogue)
        assert withdrawn.exit_code == 0, withdrawn.output
    assert (catalogue / where / release_id).is_dir()
    spent = ledger_of(demo_workspace).status("residents").spent
    result = cli(
        "ledger",
        "cancel",
        "--catalogue",
        catalogue,
        "--dataset",
        "residents",
        "--release",
        release_id,
        "--reason",
        "give it back",
        "--by",
        "Mallory",
    )
    assert result.exit_code == 4, result.output
    assert f"is in the catalogue ({where}/)" in result.output
    assert ledger_of(demo_workspace).status("residents").spent == spent == Rho("0.5")


def test_a_fresh_ledger_is_refused_before_any_release_was_made(demo_workspace: Path) -> None:
    """Only the registration is public yet: a ledger deleted and registered again with a larger
    lifetime is caught from the published privacy-budget register alone."""
    catalogue = demo_workspace / "catalogue"
    ledger_of(demo_workspace).path.unlink()
    assert (
        cli(
            "ledger",
            "init",
            "--catalogue",
            catalogue,
            "--dataset",
            "residents",
            "--rho",
            "100",
            *WHO,
        ).exit_code
        == 0
    )
    result = cli("run", write(demo_workspace))
    assert result.exit_code == 4, result.output
    assert "register lists the registration of 'residents'" in result.output
    assert staged(demo_workspace) == []


@pytest.mark.parametrize("edit", ["lifetime", "population", "removed", "privacy-rho"])
def test_an_edited_manifest_no_longer_matches_the_ledger(
    published: tuple[Path, str], edit: str
) -> None:
    workspace, release_id = published
    catalogue = workspace / "catalogue"
    path = catalogue / "releases" / release_id / "manifest.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    if edit == "lifetime":
        document["budget"]["lifetime_rho"] = "50"
    elif edit == "population":
        document["budget"]["population"] = "someone-else"
    elif edit == "removed":
        del document["budget"]
    else:
        document["privacy"]["rho"] = "1/100"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = cli("ledger", "verify", "--catalogue", catalogue)
    assert result.exit_code == 4, result.output
    assert release_id in result.output
