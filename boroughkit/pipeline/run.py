"""Run a planned release: load → geocode → dp-tables → disclosure gate → publish.

A release is all or nothing: files are built in a staging folder and published by one rename
only after the gate has passed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from boroughkit import __version__
from boroughkit.anonymise.released import ReleasedTable
from boroughkit.errors import DataError
from boroughkit.geography import open_bundle
from boroughkit.pipeline import manifest as manifest_mod
from boroughkit.pipeline.budgeting import charge_staged, dataset_name, reserve_budget
from boroughkit.pipeline.context import RunContext
from boroughkit.pipeline.gating import published_populations, record_secrets, run_gate
from boroughkit.pipeline.load import load_records
from boroughkit.pipeline.outcome import RunResult, settle_gate
from boroughkit.pipeline.plan import Plan
from boroughkit.pipeline.releasing import release_tables
from boroughkit.pipeline.steps import (
    check_one_area_per_person,
    geocode_records,
)
from boroughkit.pipeline.streaming import (
    StreamFacts,
    can_stream,
    identifier_secrets,
    populations_from_stream,
    stream_release,
)
from boroughkit.publish.catalogue import commit_release, staged_release
from boroughkit.publish.files import WrittenFile
from boroughkit.publish.release_writer import write_manifest, write_table_files


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
    for table in getattr(config.release, "tables", []):
        wanted += [*table.count_by, getattr(table, "value", None)]
    if config.release.method == "synthetic-extract":
        from boroughkit.pipeline.extract_schema import extract_columns

        wanted += extract_columns(config)
    return list(dict.fromkeys(column for column in wanted if column))


def run_pipeline(
    plan: Plan, context: RunContext | None = None, *, reports_dir: Path | None = None,
    dry_run: bool = False,
) -> RunResult:
    """Run ``plan`` and stage its release in the catalogue for approval, or raise.

    With ``dry_run`` the release is built and gated but nothing is staged or charged: only the
    risk report is kept (``boroughkit check``). Its files are deleted unseen, so drawing noise
    for them reveals nothing.
    """
    context = context or RunContext()
    if plan.method == "synthetic-extract":
        from boroughkit.pipeline.extract import run_extract

        return run_extract(plan, context, reports_dir=reports_dir, dry_run=dry_run)
    loaded, config = plan.loaded, plan.loaded.config
    bundle = open_bundle(config.geography.boundaries, base_dir=loaded.base_dir)
    source_path = loaded.resolve(config.source.path)
    catalogue = loaded.resolve(config.publish.to)
    release_id = context.new_release_id(config.name)
    dataset = dataset_name(plan, source_path)
    release: LoadedRelease | _StreamedRelease
    if can_stream(plan, source_path):
        if not source_path.exists():
            raise DataError(f"{source_path}: file not found", fix="check source.path (relative "
                            "paths are resolved against the config file's folder)")
        release = _StreamedRelease(plan, bundle, context, source_path)
    else:
        release = LoadedRelease(plan, bundle, context, source_path, catalogue, dataset)
    if not plan.spends_budget or dry_run:
        tables = release.tables()
        return _stage_and_publish(plan, catalogue, release_id, context, release, tables,
                                  dataset, reports_dir, dry_run=dry_run)
    # Reserve before any noise is drawn; a failure below cancels the reservation.
    with reserve_budget(plan, catalogue, release_id, source_path, context) as reservation:
        tables = release.tables()
        result = _stage_and_publish(plan, catalogue, release_id, context, release, tables,
                                    dataset, reports_dir)
        charge_staged(reservation, result.release_dir)
    return result


class LoadedRelease:
    """Records read into memory (any format, any geocoding, any method)."""

    def __init__(self, plan: Plan, bundle: Any, context: RunContext, source: Path,
                 catalogue: Path, dataset: str) -> None:
        config = plan.loaded.config
        opt_outs = plan.loaded.resolve(config.source.opt_outs) if config.source.opt_outs else None
        self.plan, self.bundle, self.context, self.source = plan, bundle, context, source
        self.catalogue, self.dataset = catalogue, dataset
        self.records = load_records(config.source, source, _needed_columns(plan), opt_outs)
        self.geocoded = geocode_records(self.records.frame, bundle, plan.loaded, source)
        check_one_area_per_person(self.geocoded.frame, config.source.privacy_unit, source)
        self.facts = manifest_mod.InputFacts(self.records.input_rows,
                                             self.records.opted_out_rows,
                                             self.geocoded.unmatched)

    def tables(self) -> list[ReleasedTable]:
        return release_tables(self.plan, self.geocoded.frame, self.bundle, self.context,
                              self.source, self.catalogue, self.dataset)

    def evidence(self, paths: list[Path], levels: list[str]) -> tuple[Any, pd.DataFrame]:
        secrets = record_secrets(self.plan, self.records.frame)
        return secrets, published_populations(self.bundle, levels, self.geocoded.frame,
                                              self.plan.loaded.config.source.privacy_unit)


class _StreamedRelease:
    """Records reduced by DuckDB straight from the file (large inputs)."""

    def __init__(self, plan: Plan, bundle: Any, context: RunContext, source: Path) -> None:
        self.plan, self.bundle, self.context, self.source = plan, bundle, context, source
        self.facts = manifest_mod.InputFacts(0, 0, {})
        self._stream: StreamFacts | None = None

    def tables(self) -> list[ReleasedTable]:
        tables, stream = stream_release(self.plan, self.bundle, self.context, self.source)
        self._stream = stream
        self.facts = manifest_mod.InputFacts(stream.input_rows, stream.opted_out_rows,
                                             stream.unmatched)
        return tables

    def evidence(self, paths: list[Path], levels: list[str]) -> tuple[Any, pd.DataFrame]:
        assert self._stream is not None
        secrets: dict[str, list[Any]] = dict(identifier_secrets(self.plan, self.source, paths))
        canary = self.plan.loaded.config.disclosure.canary
        if canary:
            secrets["canary"] = [canary]
        return secrets, populations_from_stream(self.bundle, levels, self._stream)


def _stage_and_publish(plan: Plan, catalogue: Path, release_id: str, context: RunContext,
                       release: LoadedRelease | _StreamedRelease, tables: list[ReleasedTable],
                       dataset: str, reports_dir: Path | None, *,
                       dry_run: bool = False) -> RunResult:
    loaded, bundle = plan.loaded, release.bundle
    with staged_release(catalogue, release_id) as staging:
        files = _write_tables(staging, plan, tables, bundle)
        document = manifest_mod.build(plan, release_id, context, bundle, release.facts, tables,
                                      __version__, dataset)
        manifest_path = write_manifest(staging, document, files, loaded.config.publish)
        paths = [*(staging / f.path for f in files), manifest_path]
        levels = sorted({level for table in tables for level in table.frames})
        secrets, populations = release.evidence(paths, levels)
        records = getattr(release, "geocoded", None)
        report = run_gate(plan, release_id, paths, tables, bundle, secrets, populations,
                          records.frame if records is not None else None,
                          catalogue=catalogue, dataset=dataset)
        report.write(staging)
        checked = settle_gate(report, staging, reports_dir or loaded.base_dir / "reports",
                              release_id, dry_run, files)
        if checked is not None:
            return checked
        final = commit_release(catalogue, staging, release_id)
    summary = manifest_mod.analyst_summary(release_id, final, release.facts, files)
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
                geoparquet=True,
            )
    return files
