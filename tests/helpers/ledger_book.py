"""Ledgers for the privacy-ledger tests: a predictable clock, registration, and editing the
file behind the ledger's back."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from boroughkit.privacy.budget import Rho
from boroughkit.privacy.ledger import LEDGER_FILENAME, Ledger


def ticking_clock(
    start: datetime = datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
) -> Callable[[], datetime]:
    """A clock that moves one minute per call, so entry times are predictable."""
    ticks = itertools.count()
    return lambda: start + timedelta(minutes=next(ticks))


def register(book: Ledger, dataset: str, lifetime: object, by: str = "alice") -> None:
    """Register ``dataset`` with a population of its own (the only way a ledger is created)."""
    book.register(dataset, lifetime=lifetime, by=by, reason="DPIA-TEST: test budget")  # type: ignore[arg-type]


def new_ledger(folder: Path) -> Ledger:
    """A ledger in ``folder/catalogue`` with dataset ``council-tax`` registered at ρ = 1."""
    book = Ledger(folder / "catalogue" / LEDGER_FILENAME, clock=ticking_clock(), user="tester")
    register(book, "council-tax", Rho(1))
    return book


def sql(path: Path, *statements: str) -> None:
    """Edit the ledger file behind the ledger's back, as someone with sqlite3 could."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in statements:
            connection.execute(statement)
    finally:
        connection.close()


UNGUARD = ("DROP TRIGGER ledger_entries_no_update", "DROP TRIGGER ledger_entries_no_delete")
REGUARD = (
    "CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON entries "
    "BEGIN SELECT RAISE(ABORT, 'the privacy ledger is append-only'); END",
    "CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON entries "
    "BEGIN SELECT RAISE(ABORT, 'the privacy ledger is append-only'); END",
)
