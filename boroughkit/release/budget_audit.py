"""The catalogue audits the ledger: every manifest states its charge, so a ledger that was
replaced, rewritten or moved away is caught from the catalogue alone.

Each differentially private release's manifest carries a ``budget`` block (dataset, population,
ρ of the release, lifetime, cumulative spend, and the hash of its ``commit`` entry in the
ledger's hash chain). A ledger matches a catalogue when it holds, for every such manifest, a
commit of that release with that hash and that ρ. A fresh ledger (the old one moved away) holds
none of them; a rewritten chain has other hashes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boroughkit.errors import BudgetError
from boroughkit.privacy.ledger import Ledger
from boroughkit.publish.catalogue import EXTRACTS, RELEASES, RETRACTED, STAGING

CHARGED_FOLDERS = (STAGING, RELEASES, EXTRACTS, RETRACTED)


@dataclass(frozen=True)
class StatedCharge:
    """A charge as a manifest in the catalogue states it."""

    release_id: str
    folder: Path
    budget: dict[str, Any]


def stated_charges(catalogue: Path) -> list[StatedCharge]:
    """Every ``budget`` block of every manifest in the catalogue (public and private areas)."""
    stated = []
    for area in CHARGED_FOLDERS:
        for manifest_path in sorted((catalogue / area).glob("*/manifest.json")):
            try:
                manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as error:
                raise BudgetError(
                    f"{manifest_path}: cannot be read ({error})",
                    fix="restore the catalogue from its backup",
                ) from error
            if isinstance(manifest.get("budget"), dict):
                stated.append(
                    StatedCharge(
                        str(manifest.get("release_id", "")),
                        manifest_path.parent,
                        manifest["budget"],
                    )
                )
    return stated


def ledger_mismatches(ledger: Ledger, catalogue: Path) -> list[str]:
    """What the ledger fails to account for of the charges the catalogue states (empty when
    they match). The ledger's own chain is verified first."""
    charges = {charge.release_id: charge for charge in ledger.charges()}
    problems = []
    for stated in stated_charges(catalogue):
        charge = charges.get(stated.release_id)
        where = f"{stated.folder.parent.name}/{stated.release_id}"
        if charge is None:
            problems.append(f"{where} states a charge the ledger does not hold")
        elif charge.entry_hash != stated.budget.get("ledger_entry"):
            problems.append(
                f"{where} states ledger entry "
                f"{str(stated.budget.get('ledger_entry'))[:12]}…, the ledger has "
                f"{charge.entry_hash[:12]}…"
            )
        elif charge.rho.to_json() != stated.budget.get("release_rho"):
            problems.append(
                f"{where} states ρ = {stated.budget.get('release_rho')}, the "
                f"ledger charged {charge.rho.to_json()}"
            )
        elif charge.spent.to_json() != stated.budget.get("spent_rho_including_this_release"):
            problems.append(f"{where} states a cumulative spend the ledger does not give")
    return problems


def require_ledger_matches(ledger: Ledger, catalogue: Path) -> None:
    """Refuse to charge a ledger that does not account for what the catalogue published."""
    problems = ledger_mismatches(ledger, catalogue)
    if problems:
        shown = "; ".join(problems[:5]) + (
            f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        )
        raise BudgetError(
            f"privacy ledger {ledger.path} does not match catalogue {catalogue}: {shown}. The "
            "ledger was replaced, rewritten or is not this catalogue's",
            fix="restore the catalogue's own ledger from a backup; never start a fresh one for "
            "a catalogue that has published differentially private releases",
        )
