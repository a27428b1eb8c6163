"""PostgreSQL as the engine: counts, sums and cell-key sums computed in the database, so only
tallies cross the network.

Everything runs in read-only transactions. Releases that need the records themselves (synthetic
extracts, and tables whose records are placed otherwise than by OA code) fetch them in batches
through a server-side cursor.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from boroughkit.anonymise.aggregate_result import OACellAggregate
from boroughkit.anonymise.aggregate_sql import quote_identifier
from boroughkit.config.engine_models import DatabaseSource
from boroughkit.engines.postgres_connect import connect, label, query_error
from boroughkit.engines.postgres_sql import parameters, source_sql, tallies_sql
from boroughkit.engines.protocol import CellRequest
from boroughkit.engines.tallies import assemble, tally_rows
from boroughkit.errors import DataError, check_columns_present


class PostgresAggregation:
    """Aggregate records where they live, in a PostgreSQL table or read-only query."""

    name = "postgresql"

    def __init__(self, database: DatabaseSource) -> None:
        self.database = database
        self.source = source_sql(database.table, database.query)
        self.label = label(database)

    def columns(self, connection: psycopg.Connection) -> list[str]:
        """The records' column names (the query is planned, no row is read)."""
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL(f"SELECT * FROM {self.source} AS src LIMIT 0"))
                return [column.name for column in cursor.description or []]
        except psycopg.Error as error:
            raise query_error(self.database, error) from None

    def _require(self, connection: psycopg.Connection, wanted: Sequence[str]) -> None:
        check_columns_present(self.label, self.columns(connection), dict.fromkeys(wanted))

    def aggregate_cells(self, request: CellRequest) -> OACellAggregate:
        """One query: statuses, bound and group-by in the database; tallies back (counts, sums
        or cell-key sums alike)."""
        salt = secrets.randbits(63) if request.salt is None else request.salt
        with connect(self.database) as connection:
            self._require(connection, request.read_columns)
            try:
                with connection.cursor() as cursor:
                    cursor.execute(
                        tallies_sql(request, self.source),
                        parameters(request, salt),
                    )
                    rows = cursor.fetchall()
            except psycopg.Error as error:
                raise query_error(self.database, error) from None
        return assemble(tally_rows(rows), request)

    def distinct_values(
        self, columns: Sequence[str], opt_out_key: str | None, opt_outs: Sequence[str] | None
    ) -> dict[str, Iterable[Any]]:
        """Distinct values of each column, computed in the database and streamed when read."""
        found: dict[str, Iterable[Any]] = {}
        kept = ""
        if opt_out_key is not None:
            kept = (
                f" AND NOT coalesce(CAST({quote_identifier(opt_out_key)} AS text) "
                "= ANY(%(opt_outs)s::text[]), FALSE)"
            )
        values = {"opt_outs": sorted({str(value).strip() for value in opt_outs or ()})}
        with connect(self.database) as connection:
            self._require(connection, [*columns, *filter(None, [opt_out_key])])
        for column in columns:
            name = quote_identifier(column)
            found[column] = self._stream(
                f"SELECT DISTINCT {name} FROM {self.source} AS src WHERE {name} IS NOT NULL{kept}",
                values,
            )
        return found

    def _stream(self, query: str, values: dict[str, Any]) -> Iterator[Any]:
        """The first column of ``query``'s rows, fetched in batches by a server-side cursor."""
        with connect(self.database) as connection:
            try:
                with (
                    connection.transaction(),
                    connection.cursor(name="boroughkit_values") as cursor,
                ):
                    cursor.execute(query, values)
                    while batch := cursor.fetchmany(self.database.batch_rows):
                        yield from (row[0] for row in batch)
            except psycopg.Error as error:
                raise query_error(self.database, error) from None

    def read_rows(self, columns: Sequence[str]) -> pd.DataFrame:
        """The records' ``columns``, fetched in batches of ``batch_rows`` (a server-side cursor).

        Missing values are NaN and numbers are floats or integers, as a file read gives them.
        """
        select = ", ".join(quote_identifier(column) for column in columns)
        frames: list[pd.DataFrame] = []
        with connect(self.database) as connection:
            self._require(connection, columns)
            try:
                with connection.transaction(), connection.cursor(name="boroughkit_rows") as cursor:
                    cursor.execute(f"SELECT {select} FROM {self.source} AS src")
                    while batch := cursor.fetchmany(self.database.batch_rows):
                        frames.append(pd.DataFrame.from_records(batch, columns=list(columns)))
            except psycopg.Error as error:
                raise query_error(self.database, error) from None
        if not frames:
            raise DataError(f"{self.label}: no records", fix="check the table or query")
        frame = pd.concat(frames, ignore_index=True)
        for column in frame.columns:
            if frame[column].map(lambda v: isinstance(v, Decimal)).any():
                frame[column] = pd.to_numeric(frame[column].map(_plain), errors="coerce")
        return frame.astype(object).where(frame.notna(), np.nan).infer_objects()


def _plain(value: object) -> object:
    return float(value) if isinstance(value, Decimal) else value
