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
64-bit hash of (person id, cell, salt), the salt drawn fresh for every run. The bound the noise
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
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import duckdb
import pyarrow as pa

from boroughkit.anonymise.aggregate_result import (
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
    scan_expression,
    unreadable,
)
from boroughkit.anonymise.aggregate_sql import AggregateQuery, aggregate_sql, declared_parameters
from boroughkit.errors import ConfigError

__all__ = ["OACellAggregate", "UndeclaredValues", "aggregate_oa_cells", "find_identifier_values"]

#: Most category cells per table: each person's cells are a bitmask of 64-bit words.
MAX_CELLS = 4096
EXAMPLE_MOVER_ROWS = 6


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
    memory_limit: str = "3GB",
    threads: int = 2,
    spill_dir: Path | None = None,
) -> OACellAggregate:
    """Count persons by OA × category cell in one streaming DuckDB pass over ``path``.

    ``fmt`` is ``csv``, ``parquet`` or ``auto``; ``categories`` pairs each count-by column with
    its declared values (booleans compare as ``'true'``/``'false'``); rows whose ``opt_out_column``
    (default: ``person``) is in ``opt_outs`` are dropped first; OA codes are trimmed and
    upper-cased, then must match ``oa_code_pattern`` and be one of ``oa_codes``. Rows with a
    missing category value are counted and left out. ``spill_dir`` is where DuckDB may spill
    (a temporary folder inside it, removed afterwards; default: the system temp folder).
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
    with duckdb_session(memory_limit, threads, spill_dir) as connection:
        scan = scan_expression(path, fmt)
        wanted = [person, oa_column, *query_columns, *([key] if key else [])]
        require_columns(connection, path, scan, dict.fromkeys(wanted))
        codes = [str(code) for code in oa_codes]
        connection.register(
            "oa_codes", pa.table({"code": codes, "idx": pa.array(range(len(codes)), pa.int32())})
        )
        if key is not None:
            register_texts(connection, "opt_outs", (str(v).strip() for v in opt_outs or ()))
        query = AggregateQuery(
            scan, person, oa_column, query_columns, tuple(len(v) for _, v in categories), key
        )
        # Anchored at the start only, as Python's re.match in the pandas path.
        pattern = f"^(?:{oa_code_pattern})"
        check_pattern(connection, pattern)
        parameters: dict[str, object] = {
            **declared_parameters([values for _, values in categories]),
            "oa_pattern": pattern,
            "max_cells": max_cells,
            "salt": secrets.randbits(63),
        }
        try:
            connection.execute(f"CREATE TEMP TABLE summary AS {aggregate_sql(query)}", parameters)
        except duckdb.Error as error:
            raise unreadable(path, error) from error
        result = read_summary(connection, query, tuple(codes), person)
        if result.movers:
            examples = mover_examples(connection)
            rows = row_numbers_of(connection, path, fmt, person, examples, EXAMPLE_MOVER_ROWS)
            result = replace(result, mover_rows=tuple(rows))
    return result
