"""Where ``dp-tables`` come from: records loaded into memory, or a file DuckDB streams."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from boroughkit.anonymise.released import ReleasedTable
from boroughkit.errors import DataError
from boroughkit.methods.dp_tables.release import protect_tables
from boroughkit.methods.dp_tables.streaming import (
    StreamFacts,
    can_stream,
    identifier_secrets,
    populations_from_stream,
    stream_release,
)
from boroughkit.release.job import ReleaseJob
from boroughkit.release.manifest import InputFacts
from boroughkit.release.records import LoadedRecords
from boroughkit.release.tables import InMemoryTables, TableSource


class StreamedTables:
    """Records reduced by DuckDB straight from the file (large inputs)."""

    def __init__(self, job: ReleaseJob) -> None:
        self.job = job
        self.facts = InputFacts(0, 0, {})
        self._stream: StreamFacts | None = None

    def tables(self) -> list[ReleasedTable]:
        """Aggregate in DuckDB, then measure and reconcile each table."""
        tables, stream = stream_release(self.job)
        self._stream = stream
        self.facts = InputFacts(stream.input_rows, stream.opted_out_rows, stream.unmatched)
        return tables

    def evidence(self, paths: list[Path], levels: list[str]) -> tuple[Any, pd.DataFrame]:
        """Identifier values found in the outputs, the canary, and area populations."""
        assert self._stream is not None, "tables() runs first"
        secrets: dict[str, list[Any]] = dict(identifier_secrets(self.job.plan, self.job.source,
                                                                paths))
        canary = self.job.config.disclosure.canary
        if canary:
            secrets["canary"] = [canary]
        return secrets, populations_from_stream(self.job.bundle, levels, self._stream)

    @property
    def frame(self) -> pd.DataFrame | None:
        """No records in memory on this path."""
        return None


def table_source(job: ReleaseJob, method_columns: list[str]) -> TableSource:
    """Stream when DuckDB can read the records and place them by OA code; otherwise load."""
    if can_stream(job.plan, job.source):
        if not job.source.exists():
            raise DataError(f"{job.source}: file not found", fix="check source.path (relative "
                            "paths are resolved against the config file's folder)")
        return StreamedTables(job)
    return InMemoryTables(LoadedRecords(job, method_columns), protect_tables)
