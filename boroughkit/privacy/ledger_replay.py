"""Replay of a population's ledger events into its budget status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import NoReturn

from boroughkit.errors import BudgetError
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.ledger_store import RESTORE_HINT, LedgerEntry


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
    """A population's lifetime budget, what is spent, in flight and remaining, its events and
    the datasets registered to it."""

    dataset: str  # the population (named after its first dataset unless named explicitly)
    total: Rho
    spent: Rho
    in_flight: Rho
    remaining: Rho
    entries: tuple[LedgerEntry, ...]
    releases: Mapping[str, str]  # release id -> state of its latest reservation
    datasets: tuple[str, ...] = ()

    @property
    def population(self) -> str:
        """The population whose budget this is."""
        return self.dataset

    @property
    def in_flight_releases(self) -> tuple[str, ...]:
        """Release ids holding budget that is neither committed nor cancelled."""
        return tuple(rid for rid, state in self.releases.items() if state == "in_flight")

    def as_epsilon(self, delta: float = 1e-7, *, tight: bool = False) -> EpsilonStatus:
        """Each budget as ε at ``delta`` (see :meth:`Rho.to_epsilon`)."""
        budgets = (self.total, self.spent, self.in_flight, self.remaining)
        return EpsilonStatus(delta, *(rho.to_epsilon(delta, tight=tight) for rho in budgets))


def replay(population: str, events: Sequence[LedgerEntry], path: Path) -> LedgerStatus:
    """Fold one population's events into its status; BudgetError if it has none or they
    disagree."""
    total: Rho | None = None
    held: dict[str, tuple[str, Rho]] = {}
    datasets: list[str] = []
    entries = tuple(events)
    for entry in entries:
        release = entry.release_id or ""
        current, reserved = held.get(release, ("", Rho(0)))
        if entry.kind == "register" and (entry.rho is not None) == (total is None):
            total = entry.rho if entry.rho is not None else total
            datasets.append(entry.dataset)
        elif entry.kind == "raise" and total is not None and entry.rho and entry.rho > total:
            total = entry.rho
        elif entry.kind == "reserve" and total and entry.rho and current in ("", "cancelled"):
            held[release] = ("in_flight", entry.rho)
        elif entry.kind in ("commit", "cancel") and current == "in_flight":
            held[release] = ("committed" if entry.kind == "commit" else "cancelled", reserved)
        else:
            _inconsistent(path, entry, "it does not follow from the entries before it")
    if total is None:
        raise BudgetError(
            f"'{population}' has no lifetime budget in privacy ledger {path}",
            fix=f"register it with `boroughkit ledger init --ledger {path} --dataset "
            f"{population} --rho TOTAL --by NAME --reason TEXT`",
        )
    spent = sum((rho for state, rho in held.values() if state == "committed"), Fraction(0))
    in_flight = sum((rho for state, rho in held.values() if state == "in_flight"), Fraction(0))
    if spent + in_flight > total:
        _inconsistent(path, entries[-1], f"spent and in flight exceed the lifetime ρ = {total}")
    states = {release: state for release, (state, _) in held.items()}
    remaining = total - spent - in_flight
    return LedgerStatus(
        population, total, Rho(spent), Rho(in_flight), remaining, entries, states, tuple(datasets)
    )


def _inconsistent(path: Path, entry: LedgerEntry, why: str) -> NoReturn:
    raise BudgetError(
        f"ledger {path}: entry #{entry.seq} ({entry.kind} of dataset '{entry.dataset}', release "
        f"'{entry.release_id}') is inconsistent: {why}",
        fix=RESTORE_HINT,
    )
