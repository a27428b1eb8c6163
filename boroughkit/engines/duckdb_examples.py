"""Errors about a records file in the words of the in-memory path, for DuckDB's window query.

The query only tallies rows; when its tallies say the input is bad, a second scan of the file
finds example row numbers and, for number columns, how many values are empty, infinite or not a
number, so the analyst reads the same message whichever path read the file.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb

from boroughkit.anonymise.aggregate_result import (
    OACellAggregate,
    numbers_error,
    stored_as_error,
)
from boroughkit.anonymise.aggregate_source import (
    file_format,
    rows_where,
    scan_expression,
    unreadable,
)
from boroughkit.anonymise.aggregate_sql import quote_identifier, quote_literal
from boroughkit.engines.protocol import CellRequest
from boroughkit.engines.sql_rows import NUMBER_PATTERN

#: Example rows an error names.
EXAMPLE_ROWS = 5
INFINITIES = ("inf", "+inf", "-inf", "infinity", "+infinity", "-infinity")
NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")


def check_number_types(
    connection: duckdb.DuckDBPyConnection, path: Path, fmt: str, scan: str, request: CellRequest
) -> None:
    """A Parquet file stores numbers as numbers: a number column stored as text or true/false
    values is an error of the file, as the in-memory path says."""
    if file_format(path, fmt) != "parquet":
        return
    for column in request.number_columns:
        try:
            described = connection.execute(
                f"DESCRIBE SELECT {quote_identifier(column)} FROM {scan}"
            ).fetchall()
        except duckdb.Error as error:
            raise unreadable(path, error) from error
        kind = str(described[0][1]).upper()
        if kind == "BOOLEAN":
            raise stored_as_error(str(path), column, "true/false values", "bool")
        if not kind.lstrip("U").startswith(NUMERIC):
            raise stored_as_error(str(path), column, "text", kind)


def explained(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    fmt: str,
    request: CellRequest,
    aggregate: OACellAggregate,
) -> OACellAggregate:
    """``aggregate`` with example rows for its first empty column that is an error; or, when
    that is the first error, the error for a number column's bad values."""
    if aggregate.missing_person_rows:
        return aggregate
    kept = _kept_rows(request)
    if aggregate.empty_errors:
        column = aggregate.empty_errors[0]
        rows = rows_where(
            connection, path, fmt, f"{kept} AND {quote_identifier(column)} IS NULL", EXAMPLE_ROWS
        )
        empty = {**aggregate.empty, column: replace(aggregate.empty[column], examples=tuple(rows))}
        return replace(aggregate, empty=empty)
    for column, count in aggregate.not_numbers.items():
        if column in aggregate.drop_empty:
            continue
        kinds = _kinds(connection, path, fmt, column, kept)
        bad = " OR ".join(f"({condition})" for condition in _conditions(column).values())
        rows = rows_where(connection, path, fmt, f"{kept} AND ({bad})", EXAMPLE_ROWS)
        raise numbers_error(str(path), column, count, kinds, rows)
    return aggregate


def _kept_rows(request: CellRequest) -> str:
    """Rows with a person and not opted out (the session's ``opt_outs`` table)."""
    kept = f"{quote_identifier(request.person)} IS NOT NULL"
    key = request.opt_out_key
    if key is not None:
        kept += (
            f" AND ({quote_identifier(key)} IS NULL OR CAST({quote_identifier(key)} AS VARCHAR) "
            "NOT IN (SELECT id FROM opt_outs))"
        )
    return kept


def _conditions(column: str) -> dict[str, str]:
    """Per kind of bad value, the SQL that finds it (as pandas reads numbers: NaN is empty in
    a numeric column, while the text 'NaN' is not a number)."""
    name = quote_identifier(column)
    text = f"trim(CAST({name} AS VARCHAR))"
    numeric = f"typeof({name}) NOT IN ('VARCHAR')"
    as_double = f"TRY_CAST({name} AS DOUBLE)"
    infinities = ", ".join(f"'{value}'" for value in INFINITIES)
    return {
        "empty or NaN": f"{name} IS NULL OR {text} = '' OR ({numeric} AND isnan({as_double}))",
        "infinite": f"({numeric} AND isinf({as_double})) OR lower({text}) IN ({infinities})",
        "not a number": f"NOT ({numeric}) AND {text} <> '' AND lower({text}) NOT IN ({infinities})"
        f" AND NOT regexp_full_match({text}, {quote_literal(NUMBER_PATTERN)})",
    }


def _kinds(
    connection: duckdb.DuckDBPyConnection, path: Path, fmt: str, column: str, kept: str
) -> dict[str, int]:
    counts = ", ".join(
        f"count(*) FILTER (WHERE {condition})" for condition in _conditions(column).values()
    )
    scan = scan_expression(path, fmt)
    try:
        found = connection.execute(f"SELECT {counts} FROM {scan} WHERE {kept}").fetchone()
    except duckdb.Error as error:
        raise unreadable(path, error) from error
    kinds = dict(zip(_conditions(column), found or (), strict=False))
    return {kind: int(n) for kind, n in kinds.items() if n}
