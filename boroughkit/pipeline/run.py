"""Run a planned release: load → geocode → dp-tables → disclosure gate → publish.

A release is all or nothing: files are built in a staging folder and published by one rename
only after the gate has passed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boroughkit import __version__
from boroughkit.anonymise.released import ReleasedTable
from boroughkit.disclosure.report import GateReport
from boroughkit.errors import DisclosureError
from boroughkit.geography import open_bundle
from boroughkit.pipeline import manifest as manifest_mod
from boroughkit.pipeline.budgeting import dataset_name, reserve_budget
from boroughkit.pipeline.context import RunContext
from boroughkit.pipeline.gating import run_gate
from boroughkit.pipeline.load import LoadedRecords, load_records
from boroughkit.pipeline.plan import Plan
from boroughkit.pipeline.releasing import release_tables
from boroughkit.pipeline.steps import (
    GeocodedRecords,
    check_one_area_per_person,
    geocode_records,
)
from boroughkit.publish.catalogue import commit_release, staged_release
from boroughkit.publish.files import WrittenFile
from boroughkit.publish.release_writer import write_manifest, write_table_files


@dataclass(frozen=True)
class RunResult:
    """What a run published, where, and what the analyst should know."""

    release_id: str
    release_dir: Path
    files: list[WrittenFile]
    report: GateReport
    summary: str


def _needed_columns(plan: Plan) -> list[str]:
    config = plan.loaded.config
    geocode = config.geography.geocode
    wanted = [
        config.source.privacy_unit,
        config.source.household,
        geocode.oa,
        geocode.postcode,
        geocode.x,
        geocode.y,
        config.source.opt_out_column,
        *config.source.identifiers,
    ]
    for table in config.release.tables:
        wanted += [*table.count_by, getattr(table, "value", None)]
    return list(dict.fromkeys(column for column in wanted if column))


def run_pipeline(
    plan: Plan, context: RunContext | None = None, *, reports_dir: Path | None = None
) -> RunResult:
    """Run ``plan`` and publish its release into the catalogue, or raise without publishing."""
    context = context or RunContext()
    loaded, config = plan.loaded, plan.loaded.config
    bundle = open_bundle(config.geography.boundaries, base_dir=loaded.base_dir)
    source_path = loaded.resolve(config.source.path)
    opt_outs = loaded.resolve(config.source.opt_outs) if config.source.opt_outs else None
    records = load_records(config.source, source_path, _needed_columns(plan), opt_outs)
    geocoded = geocode_records(records.frame, bundle, loaded, source_path)
    check_one_area_per_person(geocoded.frame, config.source.privacy_unit, source_path)
    catalogue = loaded.resolve(config.publish.to)
    release_id = context.new_release_id(config.name)
    dataset = dataset_name(plan, source_path)
    inputs = _Inputs(bundle, records, geocoded, dataset)
    if not plan.spends_budget:
        tables = release_tables(
            plan, geocoded.frame, bundle, context, source_path, catalogue, dataset
        )
        return _stage_and_publish(plan, catalogue, release_id, context, inputs, tables, reports_dir)
    # Reserve before any noise is drawn; a failure below cancels the reservation.
    with reserve_budget(plan, catalogue, release_id, source_path, context) as reservation:
        tables = release_tables(
            plan, geocoded.frame, bundle, context, source_path, catalogue, dataset
        )
        result = _stage_and_publish(
            plan, catalogue, release_id, context, inputs, tables, reports_dir
        )
        reservation.commit()
    return result


@dataclass(frozen=True)
class _Inputs:
    bundle: Any
    records: LoadedRecords
    geocoded: GeocodedRecords
    dataset: str


def _stage_and_publish(
    plan: Plan,
    catalogue: Path,
    release_id: str,
    context: RunContext,
    inputs: _Inputs,
    tables: list[ReleasedTable],
    reports_dir: Path | None,
) -> RunResult:
    loaded = plan.loaded
    with staged_release(catalogue, release_id) as staging:
        files = _write_tables(staging, plan, tables, inputs.bundle)
        document = manifest_mod.build(
            plan,
            release_id,
            context,
            inputs.bundle,
            inputs.records,
            inputs.geocoded,
            tables,
            __version__,
            inputs.dataset,
        )
        manifest_path = write_manifest(staging, document, files, plan.loaded.config.publish)
        paths = [*(staging / f.path for f in files), manifest_path]
        report = run_gate(plan, release_id, paths, inputs.records.frame, inputs.bundle, tables)
        report.write(staging)
        if not report.passed:
            kept = _keep_report(staging, reports_dir or loaded.base_dir / "reports", release_id)
            raise DisclosureError(
                f"the disclosure gate failed ({len(report.failures())} check(s)); nothing was "
                f"published. Report: {kept}",
                fix="read the report, change the config, run again",
                report_path=str(kept),
            )
        final = commit_release(catalogue, staging, release_id)
    summary = manifest_mod.analyst_summary(
        release_id, final, inputs.records, inputs.geocoded, files
    )
    return RunResult(release_id, final, files, report, summary)


def _write_tables(
    staging: Path, plan: Plan, tables: list[ReleasedTable], bundle: Any
) -> list[WrittenFile]:
    config = plan.loaded.config
    metadata = manifest_mod.file_metadata(plan, bundle)
    files: list[WrittenFile] = []
    for table in tables:
        for level, frame in table.frames.items():
            boundaries = bundle.boundaries.get(level) if bundle.has_polygons(level) else None
            files += write_table_files(
                staging,
                table=table.name,
                level=level,
                frame=frame,
                category_columns=table.category_columns,
                statistic=table.statistic,
                formats=config.publish.formats,
                boundaries=boundaries,
                file_metadata=metadata,
            )
    return files


def _keep_report(staging: Path, reports_dir: Path, release_id: str) -> Path:
    target = reports_dir / release_id
    target.mkdir(parents=True, exist_ok=True)
    for name in ("risk-report.json", "risk-report.md"):
        shutil.copy2(staging / name, target / name)
    return target / "risk-report.md"
