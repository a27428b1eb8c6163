"""The public privacy-budget register: every act that set or raised a lifetime budget.

Registering a dataset (with its population's lifetime ρ) and raising a lifetime are decisions
of named people; each is published with who, when, why and the ledger entry's hash, so the
public can hold the council to the budget it set. The rows come from the ledger's acts; the
register is rewritten whole (it only ever grows) in one catalogue transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from boroughkit.publish.registers import register_files
from boroughkit.publish.transaction import CatalogueTransaction, StepHook, catalogue_lock

PRIVACY_BUDGET = "privacy-budget"
BUDGET_COLUMNS = {
    "at": "Date",
    "act": "Act",
    "population": "Residents (population)",
    "dataset": "Dataset",
    "lifetime_rho": "Lifetime budget ρ",
    "lifetime_epsilon": "As ε at δ = 10⁻⁷",
    "by": "Decided by",
    "reason": "Reason",
    "ledger_entry": "Ledger entry",
}


def budget_register_files(rows: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """The CSV, JSON and HTML text of the privacy-budget register."""
    intro = (
        "Each lifetime privacy budget the council set or raised for the residents its open data "
        "describe: every differentially private release draws on one of these, and each "
        "release's manifest states how much of it was spent."
    )
    return register_files(PRIVACY_BUDGET, "Privacy budget register", intro, rows, BUDGET_COLUMNS)


def write_budget_register(
    catalogue: Path, rows: Sequence[Mapping[str, str]], *, on_step: StepHook | None = None
) -> None:
    """Publish the register with ``rows`` (all acts so far) in one catalogue transaction."""
    catalogue.mkdir(parents=True, exist_ok=True)
    with catalogue_lock(catalogue):
        change = CatalogueTransaction(catalogue, on_step=on_step)
        try:
            for relative, text in budget_register_files(rows).items():
                change.write_text(relative, text)
            change.commit()
        except BaseException:
            change.abort()
            raise
