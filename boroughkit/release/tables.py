"""The shared flow of table methods (``dp-tables``, ``sdc-tables``): protect the tables, write
their files and manifest into a staging folder, gate them, stage the release for approval."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from boroughkit.anonymise.released import ReleasedTable
from boroughkit.disclosure.report import CheckResult
from boroughkit.publish.catalogue import commit_release, staged_release
from boroughkit.publish.files import WrittenFile
from boroughkit.publish.public_geography import write_public_geography
from boroughkit.publish.release_writer import (
    SPLIT_GEOJSON_ABOVE_BOROUGHS,
    write_manifest,
    write_table_files,
)
from boroughkit.release import manifest as manifest_mod
from boroughkit.release.budgeting import ChargeHook, state_charge
from boroughkit.release.gating import run_gate
from boroughkit.release.job import ReleaseJob
from boroughkit.release.manifest import InputFacts
from boroughkit.release.oa_truth import OATruth, RecordsTruth
from boroughkit.release.outcome import RunResult, settle_gate
from boroughkit.release.records import LoadedRecords
from boroughkit.version import __version__

#: Levels whose GeoJSON is split by borough in a release over many boroughs.
FINER_THAN_BOROUGH = ("oa", "lsoa", "msoa", "ward")


class TableSource(Protocol):
    """Where a table method's tables come from: records in memory, or a streaming engine."""

    facts: InputFacts

    def tables(self) -> list[ReleasedTable]:
        """Protect every table of the plan (draws noise for DP methods)."""
        ...

    def evidence(self, paths: list[Path], levels: list[str]) -> tuple[Any, pd.DataFrame]:
        """The leak scan's secrets and the published areas' populations."""
        ...

    @property
    def truth(self) -> OATruth | None:
        """Exact persons per OA and OA × cell, for the differencing checks (None where the
        records are not in memory and the method does not need them: DP tables)."""
        ...


class InMemoryTables:
    """Tables protected from records loaded into memory by the method's ``protect``."""

    def __init__(
        self,
        records: LoadedRecords,
        protect: Callable[[ReleaseJob, pd.DataFrame], list[ReleasedTable]],
    ) -> None:
        self._records, self._protect = records, protect
        self.facts = records.facts

    def tables(self) -> list[ReleasedTable]:
        """Protect the tables from the geocoded records."""
        return self._protect(self._records.job, self._records.frame)

    def evidence(self, paths: list[Path], levels: list[str]) -> tuple[Any, pd.DataFrame]:
        """Secrets of the loaded records and published populations."""
        return self._records.evidence(paths, levels)

    @property
    def truth(self) -> OATruth | None:
        """The geocoded records' facts."""
        return RecordsTruth(self._records.frame, self._records.job.config.source.privacy_unit)


@dataclass(frozen=True)
class PreparedTables:
    """A table release ready to build: its job, source, manifest section and method checks."""

    job: ReleaseJob
    source: TableSource
    manifest_section: dict[str, Any]
    method_checks: list[CheckResult]

    def build(self, charge: ChargeHook) -> RunResult:
        """Protect, write, gate, charge and stage the tables (a dry run keeps only the
        report and charges nothing)."""
        job, source = self.job, self.source
        job.context.step("protect the tables")
        tables = source.tables()
        with staged_release(job.catalogue, job.release_id) as staging:
            job.context.step("write the files")
            files = write_tables(staging, job, tables, self.manifest_section)
            document = manifest_mod.build(job, tables, __version__, self.manifest_section)
            manifest_path = write_manifest(staging, document, files, job.config.publish)
            manifest_mod.write_input_facts(staging, source.facts)  # private: goes to audit/
            paths = [*(staging / f.path for f in files), manifest_path]
            levels = sorted({level for table in tables for level in table.frames})
            job.context.step("run the disclosure gate")
            secrets, populations = source.evidence(paths, levels)
            report = run_gate(
                job, paths, tables, secrets, populations, source.truth, self.method_checks
            )
            report.write(staging)
            checked = settle_gate(
                report, staging, job.reports_dir, job.release_id, job.dry_run, files
            )
            if checked is not None:
                return checked
            # Public geography only (codes, names, the lookups, postcodes), so the explorer can
            # find "my area"; written before the charge so a failure here costs nothing.
            write_public_geography(job.catalogue, job.bundle)
            job.context.step("stage for approval")
            state_charge(staging, document, files, job.config.publish, charge())
            final = commit_release(job.catalogue, staging, job.release_id)
        summary = manifest_mod.analyst_summary(
            job.release_id, final, source.facts, files, manifest_mod.approval_commands(job)
        )
        return RunResult(job.release_id, final, files, report, summary)


def write_tables(
    staging: Path, job: ReleaseJob, tables: list[ReleasedTable], section: dict[str, Any]
) -> list[WrittenFile]:
    """Every table × level in every configured format, with the file-level metadata."""
    config, bundle = job.config, job.bundle
    metadata = manifest_mod.file_metadata(job, section)
    files: list[WrittenFile] = []
    split = bundle.lookup["borough_code"].nunique() > SPLIT_GEOJSON_ABOVE_BOROUGHS
    for table in tables:
        for level, frame in table.frames.items():
            boundaries = bundle.boundaries.get(level) if bundle.has_polygons(level) else None
            borough_of = None
            if split and level in FINER_THAN_BOROUGH and boundaries is not None:
                pairs = bundle.lookup[[f"{level}_code", "borough_code"]].drop_duplicates()
                borough_of = dict(zip(pairs.iloc[:, 0], pairs.iloc[:, 1], strict=True))
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
                borough_of=borough_of,
            )
    return files
