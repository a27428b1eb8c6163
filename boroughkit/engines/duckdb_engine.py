"""The default engine: DuckDB streams a Parquet or CSV file in the process, in bounded memory."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from boroughkit.anonymise.aggregate import aggregate_oa_cells
from boroughkit.anonymise.aggregate_result import OACellAggregate
from boroughkit.anonymise.aggregate_source import (
    check_pattern,
    duckdb_session,
    register_texts,
    require_columns,
    scan_expression,
    unreadable,
)
from boroughkit.anonymise.aggregate_sql import quote_identifier
from boroughkit.config.engine_models import DuckDBEngine
from boroughkit.engines.duckdb_examples import check_number_types, explained
from boroughkit.engines.protocol import CellRequest
from boroughkit.engines.sql_rows import DUCKDB
from boroughkit.engines.tallies import assemble, tally_rows
from boroughkit.engines.window_sql import tallies_sql, window_parameters

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
        """One streaming pass over the file: counts by :func:`aggregate_oa_cells`; sums and
        cell-key sums by the window query :mod:`boroughkit.engines.window_sql`."""
        if not request.plain_counts:
            return self._window_aggregate(request)
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

    def _window_aggregate(self, request: CellRequest) -> OACellAggregate:
        settings = self.settings
        with duckdb_session(settings.memory_limit, settings.threads, self.spill_dir) as connection:
            scan = scan_expression(self.path, self.fmt)
            require_columns(connection, self.path, scan, dict.fromkeys(request.read_columns))
            check_number_types(connection, self.path, self.fmt, scan, request)
            codes = [str(code) for code in request.oa_codes]
            connection.register(
                "oa_codes",
                pa.table({"code": codes, "idx": pa.array(range(len(codes)), pa.int32())}),
            )
            register_texts(connection, "opt_outs", (str(v).strip() for v in request.opt_outs or ()))
            keys = request.record_keys
            connection.register(
                "stored_keys",
                pa.table(
                    {
                        "id": pa.array(keys.stored_ids if keys else [], pa.string()),
                        "key": pa.array(keys.stored_keys if keys else [], pa.int32()),
                    }
                ),
            )
            salt = secrets.randbits(63) if request.salt is None else request.salt
            parameters = window_parameters(request, salt)
            check_pattern(connection, str(parameters["oa_pattern"]))
            query = tallies_sql(request, DUCKDB, scan)
            used = {k: v for k, v in parameters.items() if re.search(rf"\${k}\b", query)}
            try:
                rows = connection.execute(query, used).fetchall()
            except duckdb.Error as error:
                raise unreadable(self.path, error) from error
            aggregate = assemble(tally_rows(rows), request)
            return explained(connection, self.path, self.fmt, request, aggregate)

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
