"""The persistent privacy ledger: each dataset's lifetime ρ budget and every release charged to it.

Events are appended to a hash-chained SQLite file (see :mod:`boroughkit.privacy.ledger_store`):
``init`` sets a dataset's lifetime budget once; ``reserve`` holds budget for a release while it
runs; ``commit`` spends it; ``cancel`` gives it back. Spent is the committed reservations, in
flight the reservations neither committed nor cancelled, remaining what is left. A reservation is
checked and written inside one ``BEGIN IMMEDIATE`` transaction, so racing runs cannot overspend.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from boroughkit.errors import BoroughkitError, BudgetError, ConfigError
from boroughkit.privacy import ledger_store as store
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.ledger_store import EpsilonStatus, LedgerEntry, LedgerStatus, replay

__all__ = [
    "LEDGER_FILENAME",
    "EpsilonStatus",
    "Ledger",
    "LedgerEntry",
    "LedgerStatus",
    "Reservation",
    "default_ledger_path",
]

LEDGER_FILENAME = "privacy-ledger.sqlite"
_REASON_LIMIT = 1000


def default_ledger_path(catalogue: Path) -> Path:
    """Where a catalogue's ledger lives: beside it, ``<catalogue>.privacy-ledger.sqlite``.

    Beside, not inside: the catalogue is what gets published, and the ledger names the staff
    who ran each release; and a refused run must leave the catalogue byte for byte as it was.
    """
    catalogue = Path(catalogue)
    return catalogue.parent / f"{catalogue.name}.{LEDGER_FILENAME}"


class Ledger:
    """A privacy ledger file; cheap to create, every call opens and closes its own connection.

    ``clock`` and ``user`` (the login name recorded with each entry) are injectable for tests.
    """

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        user: str | None = None,
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self.user = user if user is not None else _login_name()
        self._host = socket.gethostname()

    def init(self, dataset: str, total: Rho, *, by: str) -> None:
        """Set ``dataset``'s lifetime budget; refused if it has one already (set once)."""
        self._init(dataset, total, by=by, strict=True)

    def ensure(self, dataset: str, total: Rho, *, by: str) -> None:
        """Initialise ``dataset`` if absent; refused if it exists with another lifetime budget."""
        self._init(dataset, total, by=by, strict=False)

    def has_dataset(self, dataset: str) -> bool:
        """Whether ``dataset`` has been initialised in this ledger."""
        return dataset in self.datasets()

    def datasets(self) -> list[str]:
        """Names of the initialised datasets, sorted."""
        with store.read_snapshot(self.path) as connection:
            if connection is None:
                return []
            rows = connection.execute("SELECT DISTINCT dataset FROM entries WHERE kind = 'init'")
            return sorted(str(row[0]) for row in rows)

    def reserve(
        self, dataset: str, release_id: str, rho: Rho, *, tables: Sequence[str], by: str
    ) -> Reservation:
        """Hold ``rho`` of ``dataset``'s budget for a release, or raise BudgetError if it would
        overspend. Use the result as a context manager and call ``commit()`` on success."""
        _check_text("release id", release_id)
        _check_text("by", by)
        rho = _positive(rho, "the release's rho")
        if isinstance(tables, str) or not all(isinstance(t, str) and t for t in tables):
            raise ConfigError(
                f"tables of release '{release_id}' must be a list of table names, got {tables!r}",
                fix="pass e.g. tables=['council_tax_support']",
            )
        with store.write_transaction(self.path) as connection:
            state = replay(dataset, store.read_entries(connection, dataset), self.path)
            previous = state.releases.get(release_id)
            if previous in ("in_flight", "committed"):
                raise BudgetError(
                    f"release '{release_id}' of dataset '{dataset}' is already {previous} in "
                    f"ledger {self.path}",
                    fix="give each release run its own release id",
                )
            if rho > state.remaining:
                raise BudgetError(
                    _overspend(state, release_id, rho, self.path), fix=_fix(state, self.path)
                )
            self._append(connection, dataset, "reserve", by, release_id, rho=rho, tables=tables)
        return Reservation(self, dataset, release_id, rho, tuple(tables), by)

    def status(self, dataset: str) -> LedgerStatus:
        """Lifetime, spent, in flight and remaining budget of ``dataset``, with its entries."""
        with store.read_snapshot(self.path) as connection:
            if connection is None:
                return replay(dataset, [], self.path)  # raises: the dataset has no budget
            store.verify_chain(connection, self.path)  # never report numbers from an edited file
            return replay(dataset, store.read_entries(connection, dataset), self.path)

    def verify(self) -> None:
        """Recompute the hash chain; BudgetError names the first entry edited or removed."""
        with store.read_snapshot(self.path) as connection:
            if connection is None:
                raise BudgetError(
                    f"there is no privacy ledger at {self.path}",
                    fix="check the path, or create one with `boroughkit ledger init`",
                )
            store.verify_chain(connection, self.path)

    def head(self) -> str:
        """Hash of the newest entry; record it in a manifest to detect a rewritten ledger later."""
        with store.read_snapshot(self.path) as connection:
            return store.GENESIS_HASH if connection is None else store.head_hash(connection)

    def cancel_stale(self, dataset: str, release_id: str, *, reason: str, by: str) -> None:
        """Give back the budget of a reservation whose run died without committing or cancelling."""
        self._finish(dataset, release_id, "cancel", by=by, reason=reason)

    def _init(self, dataset: str, total: Rho, *, by: str, strict: bool) -> None:
        _check_text("dataset", dataset)
        _check_text("by", by)
        total = _positive(total, f"the lifetime rho of dataset '{dataset}'")
        with store.write_transaction(self.path) as connection:
            entries = store.read_entries(connection, dataset)
            existing = next((entry.rho for entry in entries if entry.kind == "init"), None)
            if existing is None:
                self._append(connection, dataset, "init", by, None, rho=total)
            elif strict or existing != total:
                asked = "it again" if existing == total else f"ρ = {total}"
                raise BudgetError(
                    f"dataset '{dataset}' already has lifetime budget ρ = {existing} in ledger "
                    f"{self.path}; refusing to set {asked}: a lifetime budget is set once",
                    fix=f"keep ρ = {existing} for '{dataset}', or start a new dataset name "
                    "with `boroughkit ledger init --dataset NEW --rho R`",
                )

    def _finish(
        self, dataset: str, release_id: str, kind: str, *, by: str, reason: str | None
    ) -> None:
        _check_text("by", by)
        if kind == "cancel":
            _check_text("reason", reason or "", limit=_REASON_LIMIT)
        with store.write_transaction(self.path) as connection:
            state = replay(dataset, store.read_entries(connection, dataset), self.path)
            current = state.releases.get(release_id, "not reserved")
            if current != "in_flight":
                raise BudgetError(
                    f"cannot {kind} release '{release_id}' of dataset '{dataset}': it is "
                    f"{current.replace('_', ' ')} in ledger {self.path}",
                    fix="run `boroughkit ledger show` to see the releases in flight",
                )
            self._append(connection, dataset, kind, by, release_id, reason=reason)

    def _append(
        self,
        connection: sqlite3.Connection,
        dataset: str,
        kind: str,
        by: str,
        release_id: str | None,
        *,
        rho: Rho | None = None,
        tables: Sequence[str] = (),
        reason: str | None = None,
    ) -> None:
        moment = self._clock()
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        fields: dict[str, object] = {
            "dataset": dataset,
            "kind": kind,
            "release_id": release_id,
            "tables": json.dumps(list(tables)) if kind == "reserve" else None,
            "rho": rho.to_json() if rho is not None else None,
            "actor": by,
            "os_user": self.user,
            "host": self._host,
            "pid": os.getpid(),
            "at": moment.isoformat(),
            "reason": reason,
        }
        store.append(connection, fields)


@dataclass(eq=False)
class Reservation:
    """Budget held for one release run.

    As a context manager it cancels itself if the block raises (the run charges nothing);
    ``commit()`` must be called explicitly once the release succeeded, and *before* the release
    becomes visible: a failure after publishing must not give the budget back. Leaving the block
    without either keeps the budget in flight, the safe side, until ``cancel_stale`` releases it.
    """

    ledger: Ledger = field(repr=False)
    dataset: str
    release_id: str
    rho: Rho
    tables: tuple[str, ...]
    by: str
    state: str = "in_flight"

    def commit(self) -> None:
        """Spend the reserved budget for good."""
        self.ledger._finish(self.dataset, self.release_id, "commit", by=self.by, reason=None)
        self.state = "committed"

    def cancel(self, reason: str) -> None:
        """Give the reserved budget back (the release was not published)."""
        self.ledger._finish(self.dataset, self.release_id, "cancel", by=self.by, reason=reason)
        self.state = "cancelled"

    def __enter__(self) -> Reservation:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None or self.state != "in_flight":
            return
        try:
            self.cancel(reason=repr(exc)[:_REASON_LIMIT])
        except BoroughkitError as error:  # the budget stays in flight: the safe side
            exc.add_note(f"the reservation could not be cancelled: {error}")


def _overspend(state: LedgerStatus, release_id: str, rho: Rho, path: Path) -> str:
    return (
        f"release '{release_id}' would overspend the privacy budget of dataset '{state.dataset}': "
        f"requested ρ = {rho}, spent {state.spent}, in flight {state.in_flight}, remaining "
        f"{state.remaining} of lifetime {state.total} (ledger {path})"
    )


def _fix(state: LedgerStatus, path: Path) -> str:
    steps = [f"lower the release's rho to at most {state.remaining}"]
    if state.in_flight_releases:
        steps.append(
            f"if a reservation in flight ({', '.join(state.in_flight_releases)}) is stale because "
            f"its run died, release it with `boroughkit ledger cancel --ledger {path} --dataset "
            f"{state.dataset} --release ID --reason TEXT`"
        )
    steps.append(
        "or publish as a new dataset with a larger lifetime budget (`boroughkit ledger init "
        "--dataset NEW --rho R`): a dataset's lifetime budget is never raised"
    )
    return "; ".join(steps)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # some containers have no login name
        return f"uid-{os.getuid()}"


def _check_text(what: str, value: str, *, limit: int = 200) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ConfigError(
            f"{what} must be a non-empty text of at most {limit} characters, got {value!r:.300}",
            fix=f"give a {what} such as 'council-tax-support'",
        )


def _positive(value: Rho, what: str) -> Rho:
    try:
        rho = Rho.parse(value)
    except ValueError as error:
        raise ConfigError(f"{what} is invalid: {error}", fix="use e.g. 0.5 or 1/4") from error
    if rho == 0:
        raise ConfigError(f"{what} must be positive, got 0", fix="use e.g. 0.5 or 1/4")
    return rho
