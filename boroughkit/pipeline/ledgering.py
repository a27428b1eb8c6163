"""The ledger as the council uses it: register datasets and raise lifetimes as published acts,
verify the ledger against the public catalogue, cancel a stale reservation safely."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from boroughkit.errors import BudgetError
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.charges import charges_from
from boroughkit.privacy.ledger import Ledger, LedgerEntry, default_ledger_path
from boroughkit.privacy.ledger_store import ACTS
from boroughkit.publish.budget_register import PRIVACY_BUDGET, write_budget_register
from boroughkit.publish.catalogue import REGISTERS
from boroughkit.release.budget_audit import (
    CHARGED_FOLDERS,
    ledger_mismatches,
    published_act_hashes,
)


def open_ledger(catalogue: Path, ledger_path: Path | None = None) -> Ledger:
    """The catalogue's ledger (beside it), or the one at ``ledger_path``."""
    return Ledger(ledger_path or default_ledger_path(catalogue))


def register_dataset(
    catalogue: Path,
    dataset: str,
    *,
    lifetime: Rho | None,
    by: str,
    reason: str,
    population: str | None = None,
    ledger_path: Path | None = None,
) -> LedgerEntry:
    """Register ``dataset`` (to ``population``, with its lifetime ρ when new) and publish the
    act in the catalogue's privacy-budget register."""
    ledger = open_ledger(catalogue, ledger_path)
    entry = ledger.register(dataset, lifetime=lifetime, by=by, reason=reason, population=population)
    publish_budget_acts(catalogue, ledger)
    return entry


def raise_lifetime(
    catalogue: Path,
    population: str,
    lifetime: Rho,
    *,
    by: str,
    reason: str,
    ledger_path: Path | None = None,
) -> LedgerEntry:
    """Raise a population's lifetime ρ and publish the act."""
    ledger = open_ledger(catalogue, ledger_path)
    entry = ledger.raise_lifetime(population, lifetime, by=by, reason=reason)
    publish_budget_acts(catalogue, ledger)
    return entry


def budget_acts(ledger: Ledger) -> list[dict[str, str]]:
    """Every register/raise act of the ledger as a register row."""
    rows = []
    for entry in ledger.entries():
        if entry.kind in ACTS and entry.rho is not None:
            rows.append(
                {
                    "at": entry.at.date().isoformat(),
                    "act": _act_words(entry.kind),
                    "population": entry.population,
                    "dataset": entry.dataset,
                    "lifetime_rho": entry.rho.to_json(),
                    "lifetime_epsilon": f"{entry.rho.to_epsilon(1e-7):.4g}",
                    "by": entry.actor,
                    "reason": entry.reason or "",
                    "ledger_entry": entry.hash,
                }
            )
        elif entry.kind in ACTS:  # a dataset joining an existing population's budget
            rows.append(
                {
                    "at": entry.at.date().isoformat(),
                    "act": "dataset joins the budget",
                    "population": entry.population,
                    "dataset": entry.dataset,
                    "lifetime_rho": "",
                    "lifetime_epsilon": "",
                    "by": entry.actor,
                    "reason": entry.reason or "",
                    "ledger_entry": entry.hash,
                }
            )
    return rows


def publish_budget_acts(catalogue: Path, ledger: Ledger) -> None:
    """Publish the ledger's acts as the catalogue's privacy-budget register.

    The register only ever grows: acts it already lists that this ledger does not hold (a
    fresh or rewritten ledger) stay in it, where ``ledger verify --catalogue`` reports them.
    """
    rows = budget_acts(ledger)
    held = {row["ledger_entry"] for row in rows}
    kept = [row for row in _published_acts(catalogue) if row.get("ledger_entry") not in held]
    write_budget_register(catalogue, [*kept, *rows])


def _act_words(kind: str) -> str:
    return "lifetime budget set" if kind == "register" else "lifetime budget raised"


@dataclass(frozen=True)
class LedgerAudit:
    """What ``boroughkit ledger verify --catalogue`` found."""

    entries: int
    head: str
    charges_checked: int
    problems: list[str]

    def describe(self, ledger: Path, catalogue: Path) -> str:
        """The verdict in words."""
        if self.problems:
            return "\n".join(
                [
                    f"privacy ledger {ledger} does NOT match catalogue {catalogue}:",
                    *(f"  - {problem}" for problem in self.problems),
                ]
            )
        return (
            f"privacy ledger {ledger}: {self.entries} entries, hash chain intact, head "
            f"{self.head}; matches catalogue {catalogue} ({self.charges_checked} published "
            "charge(s) and every budget act)"
        )


def audit_against_catalogue(catalogue: Path, ledger_path: Path | None = None) -> LedgerAudit:
    """Check the ledger's chain, then that it holds every charge the catalogue's manifests
    state (hash, ρ, cumulative spend) and that every act is in the published register."""
    ledger = open_ledger(catalogue, ledger_path)
    entries = ledger.entries()  # verifies the chain
    problems = ledger_mismatches(entries, catalogue)
    published = published_act_hashes(catalogue)
    for entry in entries:
        if entry.kind in ACTS and entry.hash not in published:
            problems.append(
                f"the {entry.kind} of '{entry.dataset}' on {entry.at:%Y-%m-%d} is "
                "not in the published privacy-budget register (run `boroughkit "
                "ledger publish-register`)"
            )
    held = {entry.hash for entry in entries}
    problems += [
        f"the published register lists an act the ledger does not hold ({digest[:12]}…)"
        for digest in sorted(published - held)
        if not any(digest[:12] in problem for problem in problems)
    ]
    charges = len(charges_from(entries))
    return LedgerAudit(len(entries), ledger.head(), charges, problems)


def _published_acts(catalogue: Path) -> list[dict[str, str]]:
    path = catalogue / REGISTERS / f"{PRIVACY_BUDGET}.json"
    if not path.exists():
        return []
    rows: list[dict[str, str]] = json.loads(path.read_text(encoding="utf-8")).get("entries", [])
    return rows


def cancel_reservation(
    catalogue: Path,
    dataset: str,
    release_id: str,
    *,
    reason: str,
    by: str,
    ledger_path: Path | None = None,
) -> Rho:
    """Give back a stale reservation's budget; refused for any release present in the
    catalogue (staged, published, issued or retracted): its budget is spent for good."""
    for area in CHARGED_FOLDERS:
        if (catalogue / area / release_id).exists():
            raise BudgetError(
                f"release '{release_id}' is in the catalogue ({area}/): its budget cannot be "
                "given back",
                fix="a built release has used its budget whether or not it is published; "
                "retract it if it must be withdrawn",
            )
    ledger = open_ledger(catalogue, ledger_path)
    ledger.cancel_stale(dataset, release_id, reason=reason, by=by)
    return ledger.status(dataset).remaining
