"""Tamper detection of the privacy ledger: it is never created by accident, a foreign file is
refused, and edits or deletions made behind its back are blocked or named, and stop spending."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from boroughkit.errors import BudgetError
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.ledger import Ledger
from tests.helpers.ledger_book import REGUARD, UNGUARD, new_ledger, register, sql


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return new_ledger(tmp_path)


def test_a_missing_ledger_is_never_created_implicitly(tmp_path: Path) -> None:
    book = Ledger(tmp_path / "nowhere" / "l.sqlite")
    assert book.datasets() == [] and book.populations() == []
    assert book.recover_abandoned(by="x") == []
    calls: list[Callable[[], object]] = [
        lambda: book.status("d"),
        book.verify,
        book.entries,
        book.charges,
        lambda: book.charge_of("r1"),
        lambda: book.population_of("d"),
        lambda: book.reserve("d", "r1", Rho("0.1"), tables=["t"], by="x"),
        lambda: book.raise_lifetime("d", Rho(2), by="x", reason="r"),
        lambda: book.cancel_stale("d", "r1", reason="r", by="x"),
    ]
    for call in calls:
        with pytest.raises(BudgetError, match="no privacy ledger") as caught:
            call()
        assert caught.value.exit_code == 4 and "restore it from a backup" in caught.value.fix
    assert not (tmp_path / "nowhere").exists()
    register(book, "d", Rho(1))  # registering is the one call that creates it
    assert book.path.exists() and book.datasets() == ["d"]


def test_a_file_that_is_not_a_ledger_is_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(BudgetError, match="cannot be used"):
        register(Ledger(garbage), "d", Rho(1), by="a")
    other = tmp_path / "other.sqlite"
    sql(
        other, "CREATE TABLE meta (key TEXT, value TEXT)", "INSERT INTO meta VALUES ('format', 'x')"
    )
    with pytest.raises(BudgetError, match="not a boroughkit privacy ledger"):
        register(Ledger(other), "d", Rho(1), by="a")


def test_edits_are_blocked_by_the_append_only_guards(ledger: Ledger) -> None:
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        sql(ledger.path, "UPDATE entries SET rho = '100' WHERE seq = 1")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        sql(ledger.path, "DELETE FROM entries")
    ledger.verify()


def _spend_some(ledger: Ledger) -> None:
    for i in range(4):
        ledger.reserve("council-tax", f"r{i}", Rho("0.2"), tables=["a"], by="bob").commit()


def test_verify_names_an_edited_entry_and_spending_stops(ledger: Ledger) -> None:
    _spend_some(ledger)
    ledger.verify()
    # Someone lowers the cost of release r1 to win budget back.
    sql(ledger.path, *UNGUARD, "UPDATE entries SET rho = '0.0001' WHERE seq = 4", *REGUARD)
    with pytest.raises(BudgetError, match=r"entry #4 \(reserve .* 'r1'\) does not match its hash"):
        ledger.verify()
    with pytest.raises(BudgetError, match="#4"):
        ledger.reserve("council-tax", "r9", Rho("0.1"), tables=["a"], by="bob")
    with pytest.raises(BudgetError, match="#4"):
        ledger.status("council-tax")


def test_verify_detects_a_deleted_entry(ledger: Ledger) -> None:
    _spend_some(ledger)
    sql(ledger.path, *UNGUARD, "DELETE FROM entries WHERE seq = 3", *REGUARD)
    with pytest.raises(BudgetError, match=r"entry #4 .* entries were deleted"):
        ledger.verify()


def test_verify_detects_the_newest_entry_deleted(ledger: Ledger) -> None:
    _spend_some(ledger)
    last = len(ledger.status("council-tax").entries)
    sql(ledger.path, *UNGUARD, f"DELETE FROM entries WHERE seq = {last}", *REGUARD)
    with pytest.raises(BudgetError, match="last entries were deleted"):
        ledger.verify()


def test_verify_detects_removed_guards(ledger: Ledger) -> None:
    sql(ledger.path, *UNGUARD)
    with pytest.raises(BudgetError, match="guards were removed"):
        ledger.verify()


def test_head_changes_with_every_entry(ledger: Ledger) -> None:
    before = ledger.head()
    ledger.reserve("council-tax", "r1", Rho("0.2"), tables=["a"], by="bob")
    assert ledger.head() != before
    assert ledger.head() == ledger.status("council-tax").entries[-1].hash
