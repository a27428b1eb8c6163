"""The generic runner: open the job, let the release method read its inputs, reserve the
budget, build the release (which commits the charge before staging). Nothing here depends on
which method runs.

A release is all or nothing: files are built in a hidden work folder and staged for approval
by one rename only after the gate has passed and the budget is charged; a failure before the
charge cancels the reservation, and a run killed while holding one is recovered by the next.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from boroughkit.engines import source_label
from boroughkit.methods import method_for
from boroughkit.pipeline.geography_levels import open_geography
from boroughkit.release.budgeting import (
    clean_abandoned_builds,
    commit_hook,
    dataset_name,
    no_charge,
    recover_abandoned,
    reserve_budget,
)
from boroughkit.release.context import RunContext
from boroughkit.release.job import ReleaseJob
from boroughkit.release.outcome import RunResult
from boroughkit.release.plan import Plan


def open_job(
    plan: Plan, context: RunContext, *, reports_dir: Path | None = None, dry_run: bool = False
) -> ReleaseJob:
    """Open the plan's geography and resolve its paths, dataset and release id."""
    loaded, config = plan.loaded, plan.loaded.config
    bundle = open_geography(loaded)
    # Records in a database are named by their table (or query) and database, never a password.
    label = source_label(config)
    source = Path(label) if label is not None else loaded.resolve(Path(str(config.source.path)))
    return ReleaseJob(
        plan=plan,
        bundle=bundle,
        context=context,
        source=source,
        catalogue=loaded.resolve(config.publish.to),
        dataset=dataset_name(plan, source),
        release_id=context.new_release_id(config.name),
        reports_dir=reports_dir or loaded.base_dir / "reports",
        dry_run=dry_run,
    )


def run_pipeline(
    plan: Plan,
    context: RunContext | None = None,
    *,
    reports_dir: Path | None = None,
    dry_run: bool = False,
) -> RunResult:
    """Run ``plan`` and stage its release in the catalogue for approval, or raise.

    With ``dry_run`` the release is built and gated but nothing is staged or charged: only the
    risk report is kept (``boroughkit check``). Its files are deleted unseen, so drawing noise
    for them reveals nothing.
    """
    context = context or RunContext()
    context.step("open the geography")
    job = open_job(plan, context, reports_dir=reports_dir, dry_run=dry_run)
    if not plan.spends_budget or dry_run:
        context.step("load and geocode the records")
        return method_for(plan.method).prepare(job).build(no_charge)
    recovered = recover_abandoned(job)
    clean_abandoned_builds(job)  # private work folders of those runs, never published
    context.step("load and geocode the records")
    prepared = method_for(plan.method).prepare(job)
    # Reserve before any noise is drawn; a failure before the charge cancels the reservation.
    with reserve_budget(job) as reservation:
        result = prepared.build(commit_hook(reservation))
    notes = [
        f"Recovered the budget held by an ended run: release {entry.release_id} "
        f"(ρ = {entry.rho}, reserved {entry.at:%Y-%m-%d %H:%M} UTC)"
        for entry in recovered
    ]
    return replace(result, summary="\n".join([*notes, result.summary]))
