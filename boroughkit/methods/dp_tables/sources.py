"""Where ``dp-tables`` come from: records loaded into memory, or a file DuckDB streams."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from boroughkit.anonymise.released import ReleasedTable
from boroughkit.methods.dp_tables.config import DPTablesRelease
from boroughkit.methods.dp_tables.release import protect_tables
from boroughkit.methods.dp_tables.streaming import aggregate_tables, release_aggregated
from boroughkit.release.gating import require_population_figures
from boroughkit.release.job import ReleaseJob
from boroughkit.release.load import ValueRules, value_rules
from boroughkit.release.oa_truth import OATruth
from boroughkit.release.records import LoadedRecords, needed_columns
from boroughkit.release.streamed import can_stream_checked, streamed_evidence
from boroughkit.release.tables import InMemoryTables, TableSource


class StreamedTables:
    """Records reduced by the aggregation engine where they are (large inputs).

    The file is read, and its data errors raised, when this is made (in the method's
    ``prepare``, before any budget is reserved); :meth:`tables` only draws the noise.
    """

    def __init__(self, job: ReleaseJob, rules: ValueRules | None = None) -> None:
        self.job = job
        self._aggregated, self.facts = aggregate_tables(job, rules)

    def tables(self) -> list[ReleasedTable]:
        """Measure and reconcile each table aggregated from the file."""
        return release_aggregated(self.job, self._aggregated)

    def evidence(self, paths: list[Path], levels: list[str]) -> tuple[Any, pd.DataFrame]:
        """The input's identifier values (read by the engine) and the canary, as the in-memory
        path collects them, and the areas' public populations."""
        return streamed_evidence(self.job, levels)

    @property
    def truth(self) -> OATruth | None:
        """None: DP tables need no exact facts for the differencing checks."""
        return None


def table_source(job: ReleaseJob, method_columns: list[str]) -> TableSource:
    """Stream when DuckDB can read the records and place them by OA code; otherwise load.
    Either way, a missing public population figure refuses the run before any record is read."""
    require_population_figures(
        job, sorted({level.level for table in job.plan.tables for level in table.levels})
    )
    rules = table_rules(job, method_columns)
    # A number column that may be empty (declared optional) is checked in memory only.
    if can_stream_checked(job, rules):
        return StreamedTables(job, rules)
    return InMemoryTables(LoadedRecords(job, method_columns, rules), protect_tables)


def table_rules(job: ReleaseJob, method_columns: list[str]) -> ValueRules:
    """The value rules of a dp-tables run, the same on both paths: every ``count_by`` column
    must hold a value, and every summed ``value`` must be a finite number."""
    release = job.config.release
    assert isinstance(release, DPTablesRelease)
    return value_rules(
        job.config.source,
        needed_columns(job.config, method_columns),
        categories=[column for table in release.tables for column in table.count_by],
        numbers=[table.value for table in release.tables if table.value],
    )
