"""The default engine: DuckDB streams a Parquet or CSV file in the process, in bounded memory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

from boroughkit.anonymise.aggregate import aggregate_oa_cells
from boroughkit.anonymise.aggregate_result import OACellAggregate
from boroughkit.anonymise.aggregate_source import (
    duckdb_session,
    register_texts,
    require_columns,
    scan_expression,
    unreadable,
)
from boroughkit.anonymise.aggregate_sql import quote_identifier
from boroughkit.config.engine_models import DuckDBEngine
from boroughkit.engines.protocol import CellRequest

#: Distinct values fetched from DuckDB at a time.
BATCH_ROWS = 100_000


class DuckDBAggregation:
    """Aggregate a records file with DuckDB (memory limit, two threads, a private spill folder)."""

    name = "duckdb"

    def __init__(
        self,
        path: Path,
        fmt: str = "auto",
        settings: DuckDBEngine | None = None,
        spill_dir: Path | None = None,
    ) -> None:
        self.path, self.fmt = Path(path), fmt
        self.settings = settings or DuckDBEngine()
        self.spill_dir = spill_dir

    def aggregate_cells(self, request: CellRequest) -> OACellAggregate:
        """One streaming pass over the file (see :func:`aggregate_oa_cells`)."""
        return aggregate_oa_cells(
            self.path,
            self.fmt,
            person=request.person,
            oa_column=request.oa_column,
            categories=request.categories,
            max_cells=request.max_cells,
            oa_codes=request.oa_codes,
            oa_code_pattern=request.oa_code_pattern,
            opt_outs=request.opt_outs,
            opt_out_column=request.opt_out_column,
            required=request.required,
            drop_empty=request.drop_empty,
            memory_limit=self.settings.memory_limit,
            threads=self.settings.threads,
            spill_dir=self.spill_dir,
            salt=request.salt,
        )

    def distinct_values(
        self, columns: Sequence[str], opt_out_key: str | None, opt_outs: Sequence[str] | None
    ) -> dict[str, Iterable[Any]]:
        """Distinct values of each column, streamed in batches when read (one DuckDB pass per
        column), so millions of ids never sit in memory at once. The columns are checked now."""
        settings = self.settings
        with duckdb_session(settings.memory_limit, settings.threads, self.spill_dir) as connection:
            scan = scan_expression(self.path, self.fmt)
            wanted = dict.fromkeys([*columns, *filter(None, [opt_out_key])])
            require_columns(connection, self.path, scan, wanted)
        return {column: self._stream(column, opt_out_key, opt_outs) for column in columns}

    def _stream(
        self, column: str, opt_out_key: str | None, opt_outs: Sequence[str] | None
    ) -> Iterator[Any]:
        settings = self.settings
        with duckdb_session(settings.memory_limit, settings.threads, self.spill_dir) as connection:
            scan = scan_expression(self.path, self.fmt)
            kept = ""
            if opt_out_key is not None:
                register_texts(connection, "opt_outs", (value.strip() for value in opt_outs or ()))
                kept = (
                    f" AND CAST({quote_identifier(opt_out_key)} AS VARCHAR) "
                    "NOT IN (SELECT id FROM opt_outs)"
                )
            name = quote_identifier(column)
            try:
                result = connection.execute(
                    f"SELECT DISTINCT {name} FROM {scan} WHERE {name} IS NOT NULL{kept}"
                )
                while batch := result.fetchmany(BATCH_ROWS):
                    yield from (value for (value,) in batch)
            except duckdb.Error as error:
                raise unreadable(self.path, error) from error
