"""Storage and replay of the privacy ledger: an append-only table of events in one hash chain.

Every row stores ``prev_hash`` and ``hash = sha256(prev_hash + canonical JSON of the row)``, and the
``meta`` table keeps the number of rows and the newest hash. Editing a row breaks its hash, deleting
a row breaks the chain (or, for the newest row, the count), and triggers refuse UPDATE and DELETE
so that an accidental edit fails loudly. Someone who rewrites the whole chain is not detected
here: every published manifest states the hash of its charge, and ``boroughkit ledger verify
--catalogue`` checks the ledger against those public hashes.

Budgets belong to a *population* (the residents a set of datasets describes); each dataset is
registered to one population, and every dataset of a population draws on its one lifetime ρ.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from boroughkit.errors import BudgetError
from boroughkit.privacy.budget import Rho

FORMAT = "boroughkit-privacy-ledger/2"
GENESIS_HASH = "0" * 64
# register: a dataset joins a population (with the population's lifetime ρ when it is new);
# raise: a population's lifetime ρ grows; reserve/commit/cancel: a release's charge.
EVENT_KINDS = ("register", "raise", "reserve", "commit", "cancel")
ACTS = ("register", "raise")
# Column order is part of the hash: never reorder, only append in a new format version.
COLUMNS = (
    "seq", "population", "dataset", "kind", "release_id", "tables", "rho",
    "actor", "os_user", "host", "pid", "owner", "at", "reason", "prev_hash",
)  # fmt: skip
_GUARDS = ("ledger_entries_no_update", "ledger_entries_no_delete")
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY, population TEXT NOT NULL, dataset TEXT NOT NULL,
    kind TEXT NOT NULL, release_id TEXT, tables TEXT, rho TEXT, actor TEXT NOT NULL,
    os_user TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, owner TEXT,
    at TEXT NOT NULL, reason TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS {_GUARDS[0]} BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'the privacy ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS {_GUARDS[1]} BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'the privacy ledger is append-only'); END;
INSERT OR IGNORE INTO meta VALUES ('format', '{FORMAT}');
INSERT OR IGNORE INTO meta VALUES ('entry_count', '0');
INSERT OR IGNORE INTO meta VALUES ('head_hash', '{GENESIS_HASH}');
"""
_BUSY_TIMEOUT_SECONDS = 60.0
RESTORE_HINT = "restore the ledger file from a backup; never edit it by hand"


@dataclass(frozen=True)
class LedgerEntry:
    """One event in the ledger, as stored (``actor`` is who asked, ``os_user`` who ran it)."""

    seq: int
    population: str
    dataset: str
    kind: str
    release_id: str | None
    tables: tuple[str, ...]
    rho: Rho | None
    actor: str
    os_user: str
    host: str
    pid: int
    owner: str | None  # a reservation's process: "host pid boot-id start-ticks"
    at: datetime
    reason: str | None
    prev_hash: str
    hash: str


def connect(path: Path) -> sqlite3.Connection:
    """Open the ledger in autocommit mode; callers issue BEGIN themselves."""
    connection = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_SECONDS, isolation_level=None)
    connection.row_factory = sqlite3.Row
    return connection


@contextmanager
def write_transaction(path: Path, *, create: bool = False) -> Iterator[sqlite3.Connection]:
    """One IMMEDIATE transaction on a verified ledger; commits on success.

    Only registering a dataset (``create``) may create the file: a missing ledger is never
    replaced silently by a fresh one. The write lock is taken before anything is read, so two
    runs cannot both see the same remaining budget; and nothing is ever appended to a ledger
    whose chain does not verify.
    """
    if not path.exists():
        if not create:
            raise missing_ledger(path)
        path.parent.mkdir(parents=True, exist_ok=True)
    with _sqlite_errors(path):
        connection = connect(path)
        try:
            connection.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA.split(";\n"):
                if statement.strip():
                    connection.execute(statement)
            check_format(connection, path)
            verify_chain(connection, path)
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        finally:
            connection.close()


@contextmanager
def read_snapshot(path: Path) -> Iterator[sqlite3.Connection | None]:
    """A consistent read-only view, or None when the file does not exist (reads never create it)."""
    if not path.exists():
        yield None
        return
    with _sqlite_errors(path):
        connection = connect(path)
        try:
            connection.execute("BEGIN")
            check_format(connection, path)
            yield connection
        finally:
            connection.close()


@contextmanager
def _sqlite_errors(path: Path) -> Iterator[None]:
    """Turn SQLite failures (locked past the timeout, not a database) into BudgetError."""
    try:
        yield
    except sqlite3.Error as error:
        raise BudgetError(
            f"privacy ledger {path} cannot be used: {error}",
            fix="if another release run holds it, retry when that run has finished; otherwise "
            "check it is a boroughkit privacy ledger and writable, or " + RESTORE_HINT,
        ) from error


def check_format(connection: sqlite3.Connection, path: Path) -> None:
    """Refuse a SQLite file that is not a privacy ledger of a format this code understands."""
    has_meta = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    found = _meta(connection, "format") if has_meta else None
    if found != FORMAT:
        raise BudgetError(
            f"{path} is not a boroughkit privacy ledger (format {found or 'missing'}, "
            f"expected {FORMAT})",
            fix="pass the privacy-ledger.sqlite file of your catalogue, or a new file name",
        )


def row_hash(prev_hash: str, row: dict[str, object]) -> str:
    """sha256 of the previous hash followed by the row's canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def append(connection: sqlite3.Connection, fields: dict[str, object]) -> str:
    """Append one event (``fields`` holds every column but seq and the hashes); return its hash."""
    count = int(_meta(connection, "entry_count") or 0)
    prev_hash = _meta(connection, "head_hash") or GENESIS_HASH
    row = {**fields, "seq": count + 1, "prev_hash": prev_hash}
    digest = row_hash(prev_hash, {column: row[column] for column in COLUMNS})
    placeholders = ", ".join("?" for _ in range(len(COLUMNS) + 1))
    connection.execute(
        f"INSERT INTO entries ({', '.join(COLUMNS)}, hash) VALUES ({placeholders})",
        [row[column] for column in COLUMNS] + [digest],
    )
    connection.execute("UPDATE meta SET value = ? WHERE key = 'entry_count'", (str(count + 1),))
    connection.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (digest,))
    return digest


def read_entries(
    connection: sqlite3.Connection, population: str | None = None
) -> list[LedgerEntry]:
    """All events (of one population, if given) in the order they were written."""
    query = "SELECT * FROM entries"
    rows = (
        connection.execute(f"{query} WHERE population = ? ORDER BY seq", (population,))
        if population is not None
        else connection.execute(f"{query} ORDER BY seq")
    )
    return [_entry(row) for row in rows]


def population_of(connection: sqlite3.Connection, dataset: str) -> str | None:
    """The population a dataset is registered to, or None."""
    row = connection.execute(
        "SELECT population FROM entries WHERE kind = 'register' AND dataset = ? ORDER BY seq",
        (dataset,),
    ).fetchone()
    return None if row is None else str(row[0])


def missing_ledger(path: Path) -> BudgetError:
    """The error for a ledger file that is not there (moved, deleted, or never made)."""
    return BudgetError(
        f"there is no privacy ledger at {path}: nothing can be charged, so nothing is released",
        fix="if the ledger was moved or deleted, restore it from a backup (a fresh ledger would "
        "forget what was spent); for a new dataset register it first with `boroughkit ledger "
        "init --catalogue CATALOGUE --dataset NAME --rho TOTAL --by NAME --reason TEXT`",
    )


def head_hash(connection: sqlite3.Connection) -> str:
    """The hash of the newest event (the genesis hash for an empty ledger)."""
    return _meta(connection, "head_hash") or GENESIS_HASH


def verify_chain(connection: sqlite3.Connection, path: Path) -> int:
    """Recompute the whole chain and return its length; BudgetError names the first bad entry."""
    expected_prev, expected_seq = GENESIS_HASH, 1
    for row in connection.execute("SELECT * FROM entries ORDER BY seq"):
        stored = {column: row[column] for column in COLUMNS}
        where = f"ledger {path}: entry #{row['seq']} ({row['kind']} of dataset '{row['dataset']}'"
        where += f", release '{row['release_id']}')" if row["release_id"] else ")"
        if row["seq"] != expected_seq:
            _tampered(f"{where} follows entry #{expected_seq - 1}: entries were deleted")
        if row["prev_hash"] != expected_prev:
            _tampered(f"{where} does not continue the chain: an earlier entry was removed")
        if row_hash(expected_prev, stored) != row["hash"]:
            _tampered(f"{where} does not match its hash: it was edited outside boroughkit")
        if row["kind"] not in EVENT_KINDS:
            _tampered(f"{where} has unknown kind '{row['kind']}'")
        expected_prev, expected_seq = row["hash"], expected_seq + 1
    count = expected_seq - 1
    if str(count) != _meta(connection, "entry_count") or expected_prev != head_hash(connection):
        _tampered(
            f"ledger {path}: its last entries were deleted (it records "
            f"{_meta(connection, 'entry_count')} entries ending in {head_hash(connection)[:12]}…, "
            f"but holds {count})"
        )
    triggers = connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    present = {row["name"] for row in triggers}
    missing = [guard for guard in _GUARDS if guard not in present]
    if missing:
        _tampered(f"ledger {path}: its append-only guards were removed ({', '.join(missing)})")
    return count


def _tampered(message: str) -> NoReturn:
    raise BudgetError(message, fix=RESTORE_HINT)


def _meta(connection: sqlite3.Connection, key: str) -> str | None:
    row = connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _entry(row: sqlite3.Row) -> LedgerEntry:
    values = dict(zip(row.keys(), row, strict=True))
    values.update(
        tables=tuple(json.loads(values["tables"] or "[]")),
        rho=None if values["rho"] is None else Rho.from_json(values["rho"]),
        at=datetime.fromisoformat(values["at"]),
    )
    return LedgerEntry(**values)
