"""Committed charges: what each release spent, and what it states publicly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from boroughkit.privacy.budget import Rho
from boroughkit.privacy.ledger_store import LedgerEntry


@dataclass(frozen=True)
class Charge:
    """A committed charge: what a published manifest states so anyone can audit the budget."""

    dataset: str
    population: str
    release_id: str
    rho: Rho
    lifetime: Rho
    spent: Rho  # the population's committed ρ after this charge, this release included
    entry_hash: str
    at: datetime

    def statement(self) -> dict[str, object]:
        """The manifest's ``budget`` block (exact ρ as text, ε at δ = 10⁻⁷ for reading)."""
        return {
            "dataset": self.dataset,
            "population": self.population,
            "release_rho": self.rho.to_json(),
            "lifetime_rho": self.lifetime.to_json(),
            "spent_rho_including_this_release": self.spent.to_json(),
            "remaining_rho": (self.lifetime - self.spent).to_json(),
            "spent_epsilon_at_delta_1e-7": round(self.spent.to_epsilon(1e-7), 4),
            "ledger_entry": self.entry_hash,
            "charged_at": self.at.isoformat(),
        }


def charges_from(entries: Sequence[LedgerEntry]) -> list[Charge]:
    """Every committed charge of a verified ledger's entries, oldest first, each with its
    population's lifetime and cumulative spend right after it."""
    totals: dict[str, Rho] = {}
    spent: dict[str, Rho] = {}
    reserved: dict[str, LedgerEntry] = {}
    charges: list[Charge] = []
    for entry in entries:
        if entry.kind in ("register", "raise") and entry.rho is not None:
            totals[entry.population] = entry.rho
        elif entry.kind == "reserve" and entry.release_id:
            reserved[entry.release_id] = entry
        elif entry.kind == "commit" and entry.release_id in reserved:
            held = reserved[entry.release_id]
            assert held.rho is not None and entry.release_id is not None
            spent[entry.population] = spent.get(entry.population, Rho(0)) + held.rho
            charges.append(
                Charge(
                    held.dataset,
                    entry.population,
                    entry.release_id,
                    held.rho,
                    totals[entry.population],
                    spent[entry.population],
                    entry.hash,
                    entry.at,
                )
            )
    return charges
