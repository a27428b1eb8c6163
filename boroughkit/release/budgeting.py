"""Charge a release to its dataset's persistent privacy ledger."""

from __future__ import annotations

import shutil
from pathlib import Path

from boroughkit.errors import BudgetError
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.ledger import Ledger, Reservation, default_ledger_path
from boroughkit.release.job import ReleaseJob
from boroughkit.release.plan import Plan


def ledger_for(plan: Plan, catalogue: Path) -> Ledger:
    """The ledger a plan charges: ``publish.ledger`` or the one beside the catalogue."""
    configured = plan.loaded.config.publish.ledger
    return Ledger(plan.loaded.resolve(configured) if configured else default_ledger_path(catalogue))


def dataset_name(plan: Plan, source: Path) -> str:
    """The ledger dataset: ``source.dataset`` or the records file's name without suffix."""
    return plan.loaded.config.source.dataset or source.stem


def reserve_budget(job: ReleaseJob) -> Reservation:
    """Reserve the plan's rho; raises BudgetError before any noise if it would overspend."""
    plan, catalogue, dataset, context = job.plan, job.catalogue, job.dataset, job.context
    ledger = ledger_for(plan, catalogue)
    if plan.lifetime is not None:
        ledger.ensure(dataset, Rho.parse(plan.lifetime), by=context.user)
    elif not ledger.has_dataset(dataset):
        raise BudgetError(
            f"dataset '{dataset}' has no lifetime privacy budget in {ledger.path}",
            fix=f"set release.budget.lifetime in the config, or run `boroughkit ledger init "
            f"--catalogue {catalogue} --dataset {dataset} --rho TOTAL`",
        )
    tables = [table.name for table in plan.tables] or [f"{plan.loaded.config.name} (extract)"]
    return ledger.reserve(dataset, job.release_id, Rho.parse(plan.rho), tables=tables,
                          by=context.user)


def charge_staged(reservation: Reservation, staged: Path) -> None:
    """Charge a staged release; if the charge cannot be written, unstage the release too, so
    that nothing waits for approval that the ledger does not account for."""
    try:
        reservation.commit()
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
