"""Charge a release to its dataset's persistent privacy ledger."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from boroughkit.privacy.ledger import Ledger, LedgerEntry, Reservation, default_ledger_path
from boroughkit.privacy.owner import owner_is_gone
from boroughkit.publish.catalogue import BUILDING
from boroughkit.publish.files import WrittenFile
from boroughkit.publish.release_writer import write_manifest
from boroughkit.release.budget_audit import require_ledger_matches
from boroughkit.release.job import ReleaseJob
from boroughkit.release.plan import Plan

#: Called by a release's build once its gate has passed and before it is staged: commits the
#: reserved budget and returns the manifest's ``budget`` block (None when nothing is charged).
ChargeHook = Callable[[], "dict[str, object] | None"]


def no_charge() -> None:
    """The charge hook of releases that spend no budget (and of dry runs)."""
    return None


def ledger_for(plan: Plan, catalogue: Path) -> Ledger:
    """The ledger a plan charges: ``publish.ledger`` or the one beside the catalogue."""
    configured = plan.loaded.config.publish.ledger
    return Ledger(plan.loaded.resolve(configured) if configured else default_ledger_path(catalogue))


def dataset_name(plan: Plan, source: Path) -> str:
    """The ledger dataset: ``source.dataset``, else the records file's name without suffix (or
    the database table's name)."""
    config = plan.loaded.config.source
    if config.dataset:
        return config.dataset
    if config.database is not None and config.database.table is not None:
        return config.database.table.split(".")[-1]
    return source.stem


def recover_abandoned(job: ReleaseJob) -> list[LedgerEntry]:
    """Give back reservations of runs that died (their process is gone); returns them."""
    return ledger_for(job.plan, job.catalogue).recover_abandoned(by=job.context.user)


def clean_abandoned_builds(job: ReleaseJob) -> list[str]:
    """Remove the work folders (``<catalogue>/.building/<id>``) of DP runs whose process is
    gone, e.g. killed after the charge and before staging; returns their release ids."""
    building = job.catalogue / BUILDING
    ledger = ledger_for(job.plan, job.catalogue)
    if not building.is_dir() or not ledger.path.exists():
        return []
    owners = {
        entry.release_id: entry.owner for entry in ledger.entries() if entry.kind == "reserve"
    }
    removed = []
    for folder in sorted(building.iterdir()):
        if owner_is_gone(owners.get(folder.name)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def reserve_budget(job: ReleaseJob) -> Reservation:
    """Reserve the plan's ρ; raises BudgetError before any noise when the ledger is missing,
    does not match the catalogue, the dataset is unregistered, or it would overspend."""
    plan, catalogue = job.plan, job.catalogue
    ledger = ledger_for(plan, catalogue)
    require_ledger_matches(ledger, catalogue)
    tables = [table.name for table in plan.tables] or [f"{plan.loaded.config.name} (extract)"]
    return ledger.reserve(job.dataset, job.release_id, plan.rho, tables=tables, by=job.context.user)


def state_charge(
    folder: Path,
    document: dict[str, Any],
    files: Sequence[WrittenFile],
    publish: Any,
    budget: dict[str, object] | None,
) -> None:
    """Rewrite the manifest with the charge's ``budget`` block (nothing for uncharged ones)."""
    if budget is not None:
        write_manifest(folder, {**document, "budget": budget}, files, publish)


def commit_hook(reservation: Reservation) -> ChargeHook:
    """The hook that commits ``reservation`` and states the charge."""

    def charge() -> dict[str, object]:
        return reservation.commit().statement()

    return charge
