"""The persistent privacy ledger: each dataset's lifetime ρ budget and every release charged to it.

Events are appended to a hash-chained SQLite file (see :mod:`boroughkit.privacy.ledger_store`):
``init`` sets a dataset's lifetime budget once; ``reserve`` holds budget for a release while it
runs; ``commit`` spends it; ``cancel`` gives it back. Spent is the committed reservations, in
flight the reservations neither committed nor cancelled, remaining what is left. A reservation is
checked and written inside one ``BEGIN IMMEDIATE`` transaction, so racing runs cannot overspend.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from boroughkit.errors import BudgetError, ConfigError
from boroughkit.privacy import ledger_store as store
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.charges import Charge, charges_from
from boroughkit.privacy.ledger_replay import EpsilonStatus, LedgerStatus, replay
from boroughkit.privacy.ledger_store import LedgerEntry
from boroughkit.privacy.ledger_text import (
    REASON_LIMIT,
    check_text,
    login_name,
    overspend,
    overspend_fix,
    positive,
    unregistered,
)
from boroughkit.privacy.owner import current_owner, owner_is_gone
from boroughkit.privacy.reservation import Reservation

__all__ = [
    "LEDGER_FILENAME",
    "Charge",
    "EpsilonStatus",
    "Ledger",
    "LedgerEntry",
    "LedgerStatus",
    "Reservation",
    "default_ledger_path",
]

LEDGER_FILENAME = "privacy-ledger.sqlite"


def default_ledger_path(catalogue: Path) -> Path:
    """Where a catalogue's ledger lives: beside it, ``<catalogue>.privacy-ledger.sqlite``.

    Beside, not inside: the catalogue is what gets published, and the ledger names the staff
    who ran each release; and a refused run must leave the catalogue byte for byte as it was.
    """
    catalogue = Path(catalogue)
    return catalogue.parent / f"{catalogue.name}.{LEDGER_FILENAME}"


def _needs_lifetime(population: str) -> ConfigError:
    return ConfigError(
        f"population '{population}' is new: give its lifetime budget",
        fix="pass --rho TOTAL (e.g. 4)",
    )


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
        self.user = user if user is not None else login_name()
        self._host = socket.gethostname()

    def register(
        self,
        dataset: str,
        *,
        lifetime: Rho | None,
        by: str,
        reason: str,
        population: str | None = None,
    ) -> LedgerEntry:
        """Register ``dataset`` to ``population`` (default: a population of its own).

        A new population needs its ``lifetime`` ρ; joining an existing one takes its lifetime
        (a different ``lifetime`` is refused: raise it with :meth:`raise_lifetime`). This is
        the only call that creates the ledger file. Returns the entry, to be published.
        """
        population = population or dataset
        for what, value in (("dataset", dataset), ("population", population), ("by", by)):
            check_text(what, value)
        check_text("reason", reason, limit=REASON_LIMIT)
        # Checked before the file is touched: a refused registration creates no ledger.
        if lifetime is not None:
            lifetime = positive(lifetime, f"the lifetime rho of '{population}'")
        elif not self.path.exists():
            raise _needs_lifetime(population)
        with store.write_transaction(self.path, create=True) as connection:
            registered = store.population_of(connection, dataset)
            if registered is not None:
                raise BudgetError(
                    f"dataset '{dataset}' is already registered (population '{registered}') in "
                    f"ledger {self.path}: a dataset is registered once",
                    fix="use it as it is, or raise its population's lifetime with `boroughkit "
                    "ledger raise`",
                )
            entries = store.read_entries(connection, population)
            if entries:
                total = replay(population, entries, self.path).total
                if lifetime is not None and lifetime != total:
                    raise BudgetError(
                        f"population '{population}' already has lifetime ρ = {total}; "
                        f"refusing to register '{dataset}' with ρ = {lifetime}",
                        fix="leave --rho out to join it, or raise its lifetime with "
                        "`boroughkit ledger raise`",
                    )
                rho = None
            else:
                if lifetime is None:
                    raise _needs_lifetime(population)
                rho = lifetime
            return self._append(
                connection, population, dataset, "register", by, None, rho=rho, reason=reason
            )

    def raise_lifetime(self, name: str, lifetime: Rho, *, by: str, reason: str) -> LedgerEntry:
        """Raise the lifetime ρ of a population (or of a dataset's population); never lower
        it. An act to be published."""
        check_text("by", by)
        check_text("reason", reason, limit=REASON_LIMIT)
        new_total = positive(lifetime, f"the new lifetime rho of '{name}'")
        with store.write_transaction(self.path) as connection:
            population = store.population_of(connection, name) or name
            state = replay(population, store.read_entries(connection, population), self.path)
            if new_total <= state.total:
                raise BudgetError(
                    f"population '{population}' has lifetime ρ = {state.total}; the new "
                    f"lifetime must be larger, got {new_total}",
                    fix="a lifetime budget is only ever raised, never lowered",
                )
            return self._append(
                connection, population, population, "raise", by, None, rho=new_total, reason=reason
            )

    def population_of(self, dataset: str) -> str:
        """The population ``dataset`` charges; BudgetError if it is not registered."""
        with store.read_snapshot(self.path) as connection:
            if connection is None:
                raise store.missing_ledger(self.path)
            store.verify_chain(connection, self.path)
            population = store.population_of(connection, dataset)
        if population is None:
            raise unregistered(dataset, self.path)
        return population

    def datasets(self) -> list[str]:
        """Names of the registered datasets, sorted."""
        return self._names("SELECT dataset FROM entries WHERE kind = 'register'")

    def populations(self) -> list[str]:
        """Names of the populations with a lifetime budget, sorted."""
        return self._names("SELECT DISTINCT population FROM entries")

    def _names(self, query: str) -> list[str]:
        with store.read_snapshot(self.path) as connection:
            if connection is None:
                return []
            return sorted(str(row[0]) for row in connection.execute(query))

    def reserve(
        self, dataset: str, release_id: str, rho: Rho, *, tables: Sequence[str], by: str
    ) -> Reservation:
        """Hold ``rho`` of the budget of ``dataset``'s population for a release, or raise
        BudgetError (no ledger, unregistered dataset, overspend). Use the result as a context
        manager and call ``commit()`` on success."""
        check_text("release id", release_id)
        check_text("by", by)
        rho = positive(rho, "the release's rho")
        if isinstance(tables, str) or not all(isinstance(t, str) and t for t in tables):
            raise ConfigError(
                f"tables of release '{release_id}' must be a list of table names, got {tables!r}",
                fix="pass e.g. tables=['council_tax_support']",
            )
        with store.write_transaction(self.path) as connection:
            population = store.population_of(connection, dataset)
            if population is None:
                raise unregistered(dataset, self.path)
            state = replay(population, store.read_entries(connection, population), self.path)
            previous = state.releases.get(release_id)
            if previous in ("in_flight", "committed"):
                raise BudgetError(
                    f"release '{release_id}' of dataset '{dataset}' is already {previous} in "
                    f"ledger {self.path}",
                    fix="give each release run its own release id",
                )
            if rho > state.remaining:
                raise BudgetError(
                    overspend(state, release_id, rho, self.path),
                    fix=overspend_fix(state, self.path),
                )
            self._append(
                connection,
                population,
                dataset,
                "reserve",
                by,
                release_id,
                rho=rho,
                tables=tables,
                owner=current_owner(),
            )
        return Reservation(self, population, dataset, release_id, rho, tuple(tables), by)

    def status(self, name: str) -> LedgerStatus:
        """Lifetime, spent, in flight and remaining budget of a population (or of the
        population a dataset is registered to), with its entries."""
        with store.read_snapshot(self.path) as connection:
            if connection is None:
                raise store.missing_ledger(self.path)
            store.verify_chain(connection, self.path)  # never report numbers from an edited file
            population = store.population_of(connection, name) or name
            return replay(population, store.read_entries(connection, population), self.path)

    def entries(self) -> list[LedgerEntry]:
        """Every entry, oldest first, after verifying the chain."""
        with store.read_snapshot(self.path) as connection:
            if connection is None:
                raise store.missing_ledger(self.path)
            store.verify_chain(connection, self.path)
            return store.read_entries(connection)

    def verify(self) -> None:
        """Recompute the hash chain; BudgetError names the first entry edited or removed."""
        with store.read_snapshot(self.path) as connection:
            if connection is None:
                raise store.missing_ledger(self.path)
            store.verify_chain(connection, self.path)

    def head(self) -> str:
        """Hash of the newest entry."""
        with store.read_snapshot(self.path) as connection:
            return store.GENESIS_HASH if connection is None else store.head_hash(connection)

    def cancel_stale(self, dataset: str, release_id: str, *, reason: str, by: str) -> None:
        """Give back the budget of a reservation whose run died without committing or cancelling."""
        self._finish(
            self.population_of(dataset), dataset, release_id, "cancel", by=by, reason=reason
        )

    def recover_abandoned(self, *, by: str) -> list[LedgerEntry]:
        """Cancel every reservation in flight whose process is gone (on this host); returns the
        reservations given back, so the caller can say so. Reservations of live processes, or
        of other hosts, stay in flight."""
        if not self.path.exists():
            return []
        recovered: list[LedgerEntry] = []
        with store.write_transaction(self.path) as connection:
            reserves: dict[str, LedgerEntry] = {}
            for entry in store.read_entries(connection):
                if entry.kind == "reserve" and entry.release_id:
                    reserves[entry.release_id] = entry
                elif entry.kind in ("commit", "cancel") and entry.release_id:
                    reserves.pop(entry.release_id, None)
            for entry in reserves.values():
                if owner_is_gone(entry.owner):
                    reason = (
                        f"recovered: the run that reserved it ({entry.owner}, started "
                        f"{entry.at:%Y-%m-%d %H:%M:%S} UTC) is no longer running"
                    )
                    self._append(
                        connection,
                        entry.population,
                        entry.dataset,
                        "cancel",
                        by,
                        entry.release_id,
                        reason=reason,
                    )
                    recovered.append(entry)
        return recovered

    def charge_of(self, release_id: str) -> Charge | None:
        """The committed charge of a release, or None (never reserved, in flight, cancelled)."""
        for charge in self.charges():
            if charge.release_id == release_id:
                return charge
        return None

    def charges(self) -> list[Charge]:
        """Every committed charge, oldest first, each with its population's spend after it."""
        return charges_from(self.entries())

    def _finish(
        self,
        population: str,
        dataset: str,
        release_id: str,
        kind: str,
        *,
        by: str,
        reason: str | None,
    ) -> LedgerEntry:
        check_text("by", by)
        if kind == "cancel":
            check_text("reason", reason or "", limit=REASON_LIMIT)
        with store.write_transaction(self.path) as connection:
            state = replay(population, store.read_entries(connection, population), self.path)
            current = state.releases.get(release_id, "not reserved")
            if current != "in_flight":
                raise BudgetError(
                    f"cannot {kind} release '{release_id}' of dataset '{dataset}': it is "
                    f"{current.replace('_', ' ')} in ledger {self.path}",
                    fix="run `boroughkit ledger show` to see the releases in flight",
                )
            return self._append(
                connection, population, dataset, kind, by, release_id, reason=reason
            )

    def _append(
        self,
        connection: sqlite3.Connection,
        population: str,
        dataset: str,
        kind: str,
        by: str,
        release_id: str | None,
        *,
        rho: Rho | None = None,
        tables: Sequence[str] = (),
        reason: str | None = None,
        owner: str | None = None,
    ) -> LedgerEntry:
        moment = self._clock()
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        fields: dict[str, object] = {
            "population": population,
            "dataset": dataset,
            "kind": kind,
            "release_id": release_id,
            "tables": json.dumps(list(tables)) if kind == "reserve" else None,
            "rho": rho.to_json() if rho is not None else None,
            "actor": by,
            "os_user": self.user,
            "host": self._host,
            "pid": os.getpid(),
            "owner": owner,
            "at": moment.isoformat(),
            "reason": reason,
        }
        store.append(connection, fields)
        return store.read_entries(connection)[-1]
