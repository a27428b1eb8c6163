"""Run a planned release: load → geocode → dp-tables → disclosure gate → publish.

A release is all or nothing: files are built in a staging folder and published by one rename
only after the gate has passed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from boroughkit import __version__
from boroughkit.anonymise import counts
from boroughkit.anonymise.dp_tables import TableRelease, level_frame, release_dp_table
from boroughkit.disclosure import gate
from boroughkit.disclosure.report import GateReport
from boroughkit.errors import DisclosureError
from boroughkit.geography import open_bundle
from boroughkit.pipeline import manifest as manifest_mod
from boroughkit.pipeline.context import RunContext
from boroughkit.pipeline.budgeting import reserve_budget
from boroughkit.pipeline.load import LoadedRecords, load_records
from boroughkit.pipeline.plan import Plan
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
    for table in plan.tables:
        wanted += list(table.count_by)
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
    person = config.source.privacy_unit
    check_one_area_per_person(geocoded.frame, person, source_path)
    catalogue = loaded.resolve(config.publish.to)
    release_id = context.new_release_id(config.name)
    # Reserve before any noise is drawn; a failure below cancels the reservation.
    with reserve_budget(plan, catalogue, release_id, source_path, context) as reservation:
        releases = _release_tables(plan, geocoded.frame, bundle, context, source_path)
        result = _stage_and_publish(plan, catalogue, release_id, context, bundle, records,
                                    geocoded, releases, reports_dir)
        reservation.commit()
    return result


def _stage_and_publish(plan: Plan, catalogue: Path, release_id: str, context: RunContext,
                       bundle: Any, records: LoadedRecords, geocoded: GeocodedRecords,
                       releases: list[TableRelease], reports_dir: Path | None) -> RunResult:
    loaded = plan.loaded
    with staged_release(catalogue, release_id) as staging:
        files = _write_tables(staging, plan, releases, bundle)
        document = manifest_mod.build(
            plan, release_id, context, bundle, records, geocoded, releases, __version__
        )
        manifest_path = write_manifest(staging, document, files)
        report = _gate(
            plan,
            release_id,
            [*(staging / f.path for f in files), manifest_path],
            records.frame,
            bundle,
            releases,
        )
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
    summary = manifest_mod.analyst_summary(release_id, final, records, geocoded, files)
    return RunResult(release_id, final, files, report, summary)


def _release_tables(
    plan: Plan, frame: pd.DataFrame, bundle: Any, context: RunContext, source: Path
) -> list[TableRelease]:
    config = plan.loaded.config
    declared = {name: column.values for name, column in config.source.columns.items()}
    areas = {
        level: bundle.areas(level).reset_index(drop=True)
        for level in ("oa", "lsoa", "msoa", "ward", "borough")
    }
    oa_codes = areas["oa"]["code"]
    index = {
        level: pd.Index(areas[level]["code"]).get_indexer(
            bundle.oa_to_level(level).reindex(oa_codes).to_numpy()
        )
        for level in areas
    }
    rng = context.rng_factory()
    return [
        release_dp_table(
            frame,
            areas=areas,
            oa_to_area=index,
            plan=table,
            grid=counts.category_grid(table.count_by, declared),
            person=config.source.privacy_unit,
            rng=rng,
            source=str(source),
        )
        for table in plan.tables
    ]


def _write_tables(
    staging: Path, plan: Plan, releases: list[TableRelease], bundle: Any
) -> list[WrittenFile]:
    config = plan.loaded.config
    metadata = manifest_mod.file_metadata(plan, bundle)
    files: list[WrittenFile] = []
    for release in releases:
        for level in release.levels:
            boundaries = bundle.boundaries.get(level) if bundle.has_polygons(level) else None
            files += write_table_files(
                staging,
                table=release.plan.name,
                level=level,
                frame=level_frame(release, level),
                category_columns=release.grid.columns,
                statistic="count",
                formats=config.publish.formats,
                boundaries=boundaries,
                file_metadata=metadata,
            )
    return files


def _gate(
    plan: Plan,
    release_id: str,
    paths: list[Path],
    records: pd.DataFrame,
    bundle: Any,
    releases: list[TableRelease],
) -> GateReport:
    config = plan.loaded.config
    allowed = {"area_code", "area_name", "level", "count", "noise_sd", "moe95"}
    for table in plan.tables:
        allowed |= set(table.count_by)
    identifier_columns = [
        c
        for c in (
            config.source.privacy_unit,
            config.source.household,
            config.geography.geocode.postcode,
            *config.source.identifiers,
        )
        if c and c in records
    ]
    secrets = {column: records[column].dropna().unique() for column in identifier_columns}
    populations = _published_populations(bundle, releases, records, config.source.privacy_unit)
    report = GateReport(release_id, plan.method)
    report.checks += [
        gate.check_output_columns(paths, allowed),
        gate.check_identifier_leaks(paths, secrets),
        gate.check_min_population(populations, config.disclosure.min_area_population),
    ]
    return report


def _published_populations(
    bundle: Any, releases: list[TableRelease], records: pd.DataFrame, person: str
) -> pd.DataFrame:
    """Residents of each published area: the bundle's (public) figures when it has them."""
    frames = []
    for level in sorted({level for release in releases for level in release.levels}):
        areas = bundle.areas(level)[["code", "name", "population"]].copy()
        if areas["population"].isna().any():
            mapping = bundle.oa_to_level(level)
            per_area = records.drop_duplicates(person)["oa_code"].map(mapping).value_counts()
            areas["population"] = areas["code"].map(per_area).fillna(0)
        frames.append(areas.assign(level=level))
    return pd.concat(frames, ignore_index=True).astype({"population": np.int64})


def _keep_report(staging: Path, reports_dir: Path, release_id: str) -> Path:
    target = reports_dir / release_id
    target.mkdir(parents=True, exist_ok=True)
    for name in ("risk-report.json", "risk-report.md"):
        shutil.copy2(staging / name, target / name)
    return target / "risk-report.md"
