"""Storage and replay of the privacy ledger: an append-only table of events in one hash chain.

Every row stores ``prev_hash`` and ``hash = sha256(prev_hash + canonical JSON of the row)``, and the
``meta`` table keeps the number of rows and the newest hash. Editing a row breaks its hash, deleting
a row breaks the chain (or, for the newest row, the count), and triggers refuse UPDATE and DELETE
so that an accidental edit fails loudly. Someone who rewrites the whole chain is not detected
here; keep the head hash (``Ledger.head()``) elsewhere, e.g. in a release manifest, for that.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import NoReturn

from boroughkit.errors import BudgetError
from boroughkit.privacy.budget import Rho

FORMAT = "boroughkit-privacy-ledger/1"
GENESIS_HASH = "0" * 64
EVENT_KINDS = ("init", "reserve", "commit", "cancel")
# Column order is part of the hash: never reorder, only append in a new format version.
COLUMNS = (
    "seq", "dataset", "kind", "release_id", "tables", "rho",
    "actor", "os_user", "host", "pid", "at", "reason", "prev_hash",
)  # fmt: skip
_GUARDS = ("ledger_entries_no_update", "ledger_entries_no_delete")
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY, dataset TEXT NOT NULL, kind TEXT NOT NULL,
    release_id TEXT, tables TEXT, rho TEXT, actor TEXT NOT NULL, os_user TEXT NOT NULL,
    host TEXT NOT NULL, pid INTEGER NOT NULL, at TEXT NOT NULL, reason TEXT,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL
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
    dataset: str
    kind: str
    release_id: str | None
    tables: tuple[str, ...]
    rho: Rho | None
    actor: str
    os_user: str
    host: str
    pid: int
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
def write_transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """One IMMEDIATE transaction on a verified ledger, created if absent; commits on success.

    The write lock is taken before anything is read, so two runs cannot both see the same
    remaining budget; and nothing is ever appended to a ledger whose chain does not verify.
    """
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


def read_entries(connection: sqlite3.Connection, dataset: str | None = None) -> list[LedgerEntry]:
    """All events (of one dataset, if given) in the order they were written."""
    query = "SELECT * FROM entries"
    rows = (
        connection.execute(f"{query} WHERE dataset = ? ORDER BY seq", (dataset,))
        if dataset is not None
        else connection.execute(f"{query} ORDER BY seq")
    )
    return [_entry(row) for row in rows]


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


@dataclass(frozen=True)
class EpsilonStatus:
    """A dataset's budgets as ε of (ε, δ)-DP, each converted on its own (ε does not add up)."""

    delta: float
    total: float
    spent: float
    in_flight: float
    remaining: float


@dataclass(frozen=True)
class LedgerStatus:
    """A dataset's lifetime budget, what is spent, in flight and remaining, and its events."""

    dataset: str
    total: Rho
    spent: Rho
    in_flight: Rho
    remaining: Rho
    entries: tuple[LedgerEntry, ...]
    releases: Mapping[str, str]  # release id -> state of its latest reservation

    @property
    def in_flight_releases(self) -> tuple[str, ...]:
        """Release ids holding budget that is neither committed nor cancelled."""
        return tuple(rid for rid, state in self.releases.items() if state == "in_flight")

    def as_epsilon(self, delta: float = 1e-7, *, tight: bool = False) -> EpsilonStatus:
        """Each budget as ε at ``delta`` (see :meth:`Rho.to_epsilon`)."""
        budgets = (self.total, self.spent, self.in_flight, self.remaining)
        return EpsilonStatus(delta, *(rho.to_epsilon(delta, tight=tight) for rho in budgets))


def replay(dataset: str, events: Sequence[LedgerEntry], path: Path) -> LedgerStatus:
    """Fold one dataset's events into its status; BudgetError if it has none or they disagree."""
    total: Rho | None = None
    held: dict[str, tuple[str, Rho]] = {}
    entries = tuple(events)
    for entry in entries:
        release = entry.release_id or ""
        current, reserved = held.get(release, ("", Rho(0)))
        if entry.kind == "init" and total is None and entry.rho:
            total = entry.rho
        elif entry.kind == "reserve" and total and entry.rho and current in ("", "cancelled"):
            held[release] = ("in_flight", entry.rho)
        elif entry.kind in ("commit", "cancel") and current == "in_flight":
            held[release] = ("committed" if entry.kind == "commit" else "cancelled", reserved)
        else:
            _inconsistent(path, entry, "it does not follow from the entries before it")
    if total is None:
        raise BudgetError(
            f"dataset '{dataset}' has no lifetime budget in privacy ledger {path}",
            fix=f"create it with `boroughkit ledger init --ledger {path} --dataset {dataset} "
            "--rho R`",
        )
    spent = sum((rho for state, rho in held.values() if state == "committed"), Fraction(0))
    in_flight = sum((rho for state, rho in held.values() if state == "in_flight"), Fraction(0))
    if spent + in_flight > total:
        _inconsistent(path, entries[-1], f"spent and in flight exceed the lifetime ρ = {total}")
    states = {release: state for release, (state, _) in held.items()}
    remaining = total - spent - in_flight
    return LedgerStatus(dataset, total, Rho(spent), Rho(in_flight), remaining, entries, states)


def _inconsistent(path: Path, entry: LedgerEntry, why: str) -> NoReturn:
    raise BudgetError(
        f"ledger {path}: entry #{entry.seq} ({entry.kind} of dataset '{entry.dataset}', release "
        f"'{entry.release_id}') is inconsistent: {why}",
        fix=RESTORE_HINT,
    )
