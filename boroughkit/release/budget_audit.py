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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boroughkit.errors import BudgetError
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.charges import charges_from
from boroughkit.privacy.ledger import Ledger, LedgerEntry
from boroughkit.publish.budget_register import PRIVACY_BUDGET
from boroughkit.publish.catalogue import EXTRACTS, REGISTERS, RELEASES, RETRACTED, STAGING

CHARGED_FOLDERS = (STAGING, RELEASES, EXTRACTS, RETRACTED)


@dataclass(frozen=True)
class StatedCharge:
    """A charge as a manifest in the catalogue states it."""

    release_id: str
    folder: Path
    budget: dict[str, Any]


def stated_charges(catalogue: Path) -> tuple[list[StatedCharge], list[str]]:
    """Every ``budget`` block of every manifest in the catalogue (public and private areas),
    and the differentially private manifests that state none (a removed block)."""
    stated, unstated = [], []
    for area in CHARGED_FOLDERS:
        for manifest_path in sorted((catalogue / area).glob("*/manifest.json")):
            try:
                manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as error:
                raise BudgetError(
                    f"{manifest_path}: cannot be read ({error})",
                    fix="restore the catalogue from its backup",
                ) from error
            release_id = str(manifest.get("release_id", ""))
            if isinstance(manifest.get("budget"), dict):
                stated.append(StatedCharge(release_id, manifest_path.parent, manifest["budget"]))
                rho = (manifest.get("privacy") or {}).get("rho")
                if rho is not None and Rho.parse(rho) != Rho.parse(
                    manifest["budget"].get("release_rho", "0")
                ):
                    unstated.append(f"{area}/{release_id} states two different ρ")
            elif "rho" in (manifest.get("privacy") or {}):
                unstated.append(
                    f"{area}/{release_id} is differentially private but states no charge"
                )
    return stated, unstated


def published_acts(catalogue: Path) -> list[dict[str, str]]:
    """The rows of the catalogue's privacy-budget register, oldest first."""
    path = catalogue / REGISTERS / f"{PRIVACY_BUDGET}.json"
    if not path.exists():
        return []
    return list(json.loads(path.read_text(encoding="utf-8")).get("entries", []))


def published_act_hashes(catalogue: Path) -> set[str]:
    """Ledger hashes of the budget acts the catalogue's privacy-budget register publishes."""
    return {row["ledger_entry"] for row in published_acts(catalogue) if row.get("ledger_entry")}


def first_registrations(catalogue: Path) -> dict[str, str]:
    """Each population's first published act (its registration): population → ledger hash."""
    first: dict[str, str] = {}
    for row in published_acts(catalogue):
        if row.get("ledger_entry") and row.get("population"):
            first.setdefault(row["population"], row["ledger_entry"])
    return first


def ledger_mismatches(entries: Sequence[LedgerEntry], catalogue: Path) -> list[str]:
    """What a ledger's (verified) ``entries`` fail to account for of what the catalogue
    states: each manifest's whole charge statement, and each population's published
    registration (empty when they match)."""
    charges = {charge.release_id: charge for charge in charges_from(entries)}
    stated_list, problems = stated_charges(catalogue)
    for stated in stated_list:
        charge = charges.get(stated.release_id)
        where = f"{stated.folder.parent.name}/{stated.release_id}"
        if charge is None:
            problems.append(f"{where} states a charge the ledger does not hold")
            continue
        differing = sorted(
            key for key, value in charge.statement().items() if stated.budget.get(key) != value
        )
        if differing:
            problems.append(
                f"{where} states a charge that differs from the ledger's in {', '.join(differing)}"
            )
    # The ledger that registered each population first (as published) must be this one: a
    # ledger started afresh holds other registrations. Later stray acts are for the audit.
    held = {entry.hash for entry in entries}
    problems += [
        f"the published privacy-budget register lists the registration of '{population}' "
        f"({digest[:12]}…), which the ledger does not hold"
        for population, digest in sorted(first_registrations(catalogue).items())
        if digest not in held
    ]
    return problems


def require_ledger_matches(ledger: Ledger, catalogue: Path) -> None:
    """Refuse to charge a ledger that does not account for what the catalogue published."""
    problems = ledger_mismatches(ledger.entries(), catalogue)  # verifies the chain first
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
