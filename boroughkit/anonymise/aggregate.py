"""Stream resident records through DuckDB into the bounded OA × cell count matrix.

:func:`aggregate_oa_cells` computes, in one pass over a Parquet or CSV file of any size, what
the pandas path (:func:`~boroughkit.anonymise.counts.bounded_cells` then
:func:`~boroughkit.anonymise.counts.oa_cell_counts`) computes in memory: opted-out residents
removed, rows placed in an Output Area by their OA code (or counted as unmatched, per reason),
each person's distinct category cells cut to ``max_cells``, persons counted per OA × cell. It
also returns the facts the pipeline reports and the data errors it must raise (only when a
person is found in two OAs does a second scan look up example row numbers). DuckDB runs
with a memory limit, few threads and a private spill folder, so a hundred million rows fit in
a few GiB.

Contribution bound. A person keeps the ``max_cells`` of their distinct cells with the smallest
MD5 digest of (salt, person id, cell) (``aggregate_sql.bounding_key_sql``, computed the same
way by every aggregation engine), the salt drawn fresh for every run. The bound the noise
is calibrated to (at most ``max_cells`` cells per person, each counted once, in the person's
one OA) holds whatever rule picks the kept cells, provided the pick for a person depends only
on that person's own records: then adding or removing one person changes only that person's
kept cells, by at most ``max_cells`` counts of 1. A hash of the person's own id and cell meets
that, as the random order of the pandas path does; the salt keeps the choice unpredictable
and different between runs, so no category is dropped systematically.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path

import duckdb
import pyarrow as pa

from boroughkit.anonymise.aggregate_result import (
    EmptyValues,
    OACellAggregate,
    UndeclaredValues,
    mover_examples,
    read_summary,
)
from boroughkit.anonymise.aggregate_source import (
    check_pattern,
    duckdb_session,
    find_identifier_values,
    register_texts,
    require_columns,
    row_numbers_of,
    rows_where,
    scan_expression,
    unreadable,
)
from boroughkit.anonymise.aggregate_sql import (
    AggregateQuery,
    aggregate_sql,
    declared_parameters,
    quote_identifier,
)
from boroughkit.errors import ConfigError

__all__ = [
    "EmptyValues",
    "OACellAggregate",
    "UndeclaredValues",
    "aggregate_oa_cells",
    "find_identifier_values",
]

#: Most category cells per table: each person's cells are a bitmask of 64-bit words.
MAX_CELLS = 4096
EXAMPLE_MOVER_ROWS = 6
EXAMPLE_EMPTY_ROWS = 5
#: Most columns checked for empty values (one bit each of a 64-bit word).
MAX_REQUIRED = 62


def aggregate_oa_cells(
    path: Path,
    fmt: str,
    *,
    person: str,
    oa_column: str,
    categories: Sequence[tuple[str, Sequence[str]]],
    max_cells: int,
    oa_codes: Sequence[str],
    oa_code_pattern: str,
    opt_outs: Sequence[str] | None = None,
    opt_out_column: str | None = None,
    required: Sequence[str] = (),
    drop_empty: Collection[str] = (),
    memory_limit: str = "3GB",
    threads: int = 2,
    spill_dir: Path | None = None,
    salt: int | None = None,
) -> OACellAggregate:
    """Count persons by OA × category cell in one streaming DuckDB pass over ``path``.

    ``fmt`` is ``csv``, ``parquet`` or ``auto``; ``categories`` pairs each count-by column with
    its declared values (booleans compare as ``'true'``/``'false'``); rows whose ``opt_out_column``
    (default: ``person``) is in ``opt_outs`` are dropped first; OA codes are trimmed and
    upper-cased, then must match ``oa_code_pattern`` and be one of ``oa_codes``. The category
    columns and the ``required`` columns must hold a value: rows (after opt-outs) where one is
    empty are counted per column and left out, and are a data error unless the column is in
    ``drop_empty`` (as the pandas path drops them before geocoding, they count neither as
    unmatched nor towards a person's OAs). ``spill_dir`` is where DuckDB may spill (a temporary
    folder inside it, removed afterwards; default: the system temp folder). ``salt`` (default:
    drawn fresh) is given only to compare engines on the same contribution bound.
    """
    if max_cells < 1:
        raise ConfigError(
            f"max_cells is {max_cells}", fix="allow each person at least one category cell"
        )
    for column, values in categories:
        if not values:
            raise ConfigError(
                f"column '{column}' has no declared values",
                fix=f"list its public values under source.columns.{column}.values",
            )
    n_cells = math.prod(len(values) for _, values in categories)
    if n_cells > MAX_CELLS:
        raise ConfigError(
            f"the table has {n_cells} category cells per area, more than {MAX_CELLS}",
            fix="count by fewer columns or group their values into fewer categories",
        )
    path = Path(path)
    key = (opt_out_column or person) if opt_outs is not None else None
    query_columns = tuple(column for column, _ in categories)
    # In the caller's order, so the first empty column reported is the one the pandas path
    # reports; the query marks each row's empty columns in one 64-bit word.
    required_columns = tuple(dict.fromkeys([*required, *query_columns]))
    if len(required_columns) > MAX_REQUIRED:
        raise ConfigError(
            f"{len(required_columns)} columns must hold a value, more than {MAX_REQUIRED}",
            fix="count by, and declare as categories, fewer columns",
        )
    with duckdb_session(memory_limit, threads, spill_dir) as connection:
        scan = scan_expression(path, fmt)
        wanted = [person, oa_column, *required_columns, *([key] if key else [])]
        require_columns(connection, path, scan, dict.fromkeys(wanted))
        codes = [str(code) for code in oa_codes]
        connection.register(
            "oa_codes", pa.table({"code": codes, "idx": pa.array(range(len(codes)), pa.int32())})
        )
        if key is not None:
            register_texts(connection, "opt_outs", (str(v).strip() for v in opt_outs or ()))
        query = AggregateQuery(
            scan,
            person,
            oa_column,
            query_columns,
            tuple(len(v) for _, v in categories),
            key,
            required_columns,
        )
        # Anchored at the start only, as Python's re.match in the pandas path.
        pattern = f"^(?:{oa_code_pattern})"
        check_pattern(connection, pattern)
        parameters: dict[str, object] = {
            **declared_parameters([values for _, values in categories]),
            "oa_pattern": pattern,
            "max_cells": max_cells,
            "salt": str(secrets.randbits(63) if salt is None else salt),
        }
        try:
            connection.execute(f"CREATE TEMP TABLE summary AS {aggregate_sql(query)}", parameters)
        except duckdb.Error as error:
            raise unreadable(path, error) from error
        result = read_summary(connection, query, tuple(codes), person, frozenset(drop_empty))
        if result.empty_errors:
            column = result.empty_errors[0]
            kept = f"{quote_identifier(person)} IS NOT NULL"
            if key is not None:
                kept += (
                    f" AND ({quote_identifier(key)} IS NULL OR CAST({quote_identifier(key)} "
                    "AS VARCHAR) NOT IN (SELECT id FROM opt_outs))"
                )
            rows = rows_where(
                connection,
                path,
                fmt,
                f"{kept} AND {quote_identifier(column)} IS NULL",
                EXAMPLE_EMPTY_ROWS,
            )
            empty = {**result.empty, column: replace(result.empty[column], examples=tuple(rows))}
            result = replace(result, empty=empty)
        if result.movers:
            examples = mover_examples(connection)
            rows = row_numbers_of(connection, path, fmt, person, examples, EXAMPLE_MOVER_ROWS)
            result = replace(result, mover_rows=tuple(rows))
    return result
