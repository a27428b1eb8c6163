"""Stream resident records through DuckDB into the bounded OA × cell count matrix.

:func:`aggregate_oa_cells` computes, in one pass over a Parquet or CSV file of any size, what
the pandas path (:func:`~boroughkit.anonymise.counts.bounded_cells` then
:func:`~boroughkit.anonymise.counts.oa_cell_counts`) computes in memory: opted-out residents
removed, rows placed in an Output Area by their OA code (or counted as unmatched, per reason),
each person's distinct category cells cut to ``max_cells``, persons counted per OA × cell. It
also returns the facts the pipeline reports and the data errors it must raise. DuckDB runs
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

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

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
from boroughkit.errors import ConfigError, DataError

__all__ = ["OACellAggregate", "UndeclaredValues", "aggregate_oa_cells", "find_identifier_values"]

#: Unmatched reasons of geocoding by OA code, in the order they are checked and reported.
UNMATCHED_REASONS = ("missing_value", "malformed_oa_code", "unknown_oa_code")
EXAMPLE_VALUES = 5
EXAMPLE_MOVERS = 3
EXAMPLE_MOVER_ROWS = 6


@dataclass(frozen=True)
class UndeclaredValues:
    """Rows of one category column whose value is not in the declared list, and examples."""

    rows: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class OACellAggregate:
    """The bounded OA × cell counts of one table and what happened to the input rows.

    ``counts[i, j]`` is the number of persons counted in OA ``oa_codes[i]`` and cell ``j`` (the
    ``itertools.product`` order of the declared values). Row numbers are 0-based data rows of
    the input file. ``unmatched`` lists only reasons with rows. When ``undeclared``,
    ``missing_person_rows`` or ``movers`` are non-zero the counts must not be released:
    :meth:`raise_for_data_errors` raises the error that says so.
    """

    counts: np.ndarray
    oa_codes: tuple[str, ...]
    person_column: str
    input_rows: int
    opted_out_rows: int
    missing_person_rows: int
    matched_rows: int
    unmatched: dict[str, int]
    undeclared: dict[str, UndeclaredValues]
    missing_category_rows: int
    movers: int
    mover_rows: tuple[int, ...]
    contributions: int
    kept_contributions: int
    persons_per_oa: np.ndarray

    @property
    def truncated_contributions(self) -> int:
        """Distinct (person, cell) contributions dropped by the ``max_cells`` bound."""
        return self.contributions - self.kept_contributions

    @property
    def unmatched_rows(self) -> int:
        """Rows (after opt-outs) that could not be placed in an Output Area."""
        return sum(self.unmatched.values())

    def raise_for_data_errors(self, source: str) -> None:
        """Raise the :class:`DataError` the pandas path raises for the same input, if any."""
        if self.missing_person_rows:
            raise DataError(
                f"{source}: column '{self.person_column}' is empty in "
                f"{self.missing_person_rows} row(s)",
                fix="every record needs its privacy unit id",
            )
        for column, bad in self.undeclared.items():
            raise DataError(
                f"{source}: column '{column}' has values not declared in the config: "
                f"{list(bad.examples)} ({bad.rows} row(s))",
                fix=f"add them to source.columns.{column}.values or recode the data",
            )
        if self.movers:
            raise DataError(
                f"{source}: {self.movers} person id(s) in column '{self.person_column}' appear "
                f"in more than one Output Area (e.g. rows {list(self.mover_rows)}, 0-based)",
                fix="keep each person's current address only (one OA per person) before the run",
            )


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
        result = _read_summary(connection, query, tuple(codes), person)
        if result.movers:
            examples = _mover_examples(connection)
            rows = row_numbers_of(connection, path, fmt, person, examples, EXAMPLE_MOVER_ROWS)
            result = replace(result, mover_rows=tuple(rows))
    return result


def _read_summary(
    connection: duckdb.DuckDBPyConnection,
    query: AggregateQuery,
    oa_codes: tuple[str, ...],
    person: str,
) -> OACellAggregate:
    n_oas = len(oa_codes)
    kept_names = ", ".join(f"kept_{w}" for w in range(query.n_words))
    patterns = connection.execute(
        f"SELECT oa, n_groups, {kept_names} FROM summary WHERE is_person AND oa IS NOT NULL"
    ).fetchnumpy()
    counts = _expand_bitmasks(patterns, query, n_oas)
    persons_per_oa = np.bincount(
        np.asarray(patterns["oa"], dtype=np.int64),
        weights=np.asarray(patterns["n_groups"], dtype=np.int64),
        minlength=n_oas,
    ).astype(np.int64)
    statuses = dict(
        connection.execute(
            "SELECT status, sum(n_rows) FROM summary WHERE NOT is_person AND status IS NOT NULL "
            "GROUP BY status"
        ).fetchall()
    )
    before, after, movers = connection.execute(
        "SELECT coalesce(sum(cells_before), 0), coalesce(sum(cells_after), 0), "
        "coalesce(sum(movers), 0) FROM summary WHERE is_person"
    ).fetchone() or (0, 0, 0)
    placed = ("counted", "missing_category", "undeclared_value")
    return OACellAggregate(
        counts=counts,
        oa_codes=oa_codes,
        person_column=person,
        input_rows=int(sum(statuses.values())),
        opted_out_rows=int(statuses.get("opted_out", 0)),
        missing_person_rows=int(statuses.get("missing_person", 0)),
        matched_rows=int(sum(statuses.get(status, 0) for status in placed)),
        unmatched={r: int(statuses[r]) for r in UNMATCHED_REASONS if statuses.get(r)},
        undeclared=_undeclared(connection, query.category_columns),
        missing_category_rows=int(statuses.get("missing_category", 0)),
        movers=int(movers),
        mover_rows=(),
        contributions=int(before),
        kept_contributions=int(after),
        persons_per_oa=persons_per_oa,
    )


def _expand_bitmasks(patterns: Mapping[str, Any], query: AggregateQuery, n_oas: int) -> np.ndarray:
    """OA × cell counts from (OA, persons, kept-cell bitmask words) patterns."""
    oa = np.asarray(patterns["oa"], dtype=np.int64)
    persons = np.asarray(patterns["n_groups"], dtype=np.int64)
    words = np.column_stack(
        [np.asarray(patterns[f"kept_{w}"], dtype="<u8") for w in range(query.n_words)]
    ).reshape(len(oa), query.n_words)
    bits = np.unpackbits(words.view(np.uint8), axis=1, bitorder="little")[:, : query.n_cells]
    counts = np.zeros((n_oas, query.n_cells), dtype=np.int64)
    np.add.at(counts, oa, bits.astype(np.int64) * persons[:, None])
    return counts


def _undeclared(
    connection: duckdb.DuckDBPyConnection, columns: Sequence[str]
) -> dict[str, UndeclaredValues]:
    found: dict[str, UndeclaredValues] = {}
    for i, column in enumerate(columns):
        rows = connection.execute(
            f"SELECT coalesce(sum(n_rows), 0) FROM summary WHERE bad_{i} IS NOT NULL"
        ).fetchone()
        if rows and rows[0]:
            examples = connection.execute(
                f"SELECT DISTINCT bad_{i} FROM summary WHERE bad_{i} IS NOT NULL "
                f"ORDER BY bad_{i} LIMIT {EXAMPLE_VALUES}"
            ).fetchall()
            found[column] = UndeclaredValues(int(rows[0]), tuple(str(v[0]) for v in examples))
    return found


def _mover_examples(connection: duckdb.DuckDBPyConnection) -> list[str]:
    rows = connection.execute(
        "SELECT DISTINCT unnest(mover_examples) AS person FROM summary "
        f"WHERE mover_examples IS NOT NULL ORDER BY person LIMIT {EXAMPLE_MOVERS}"
    ).fetchall()
    return [str(row[0]) for row in rows]
