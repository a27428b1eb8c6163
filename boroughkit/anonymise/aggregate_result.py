"""The result of the streaming aggregation, read back from DuckDB's small summary table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np

from boroughkit.anonymise.aggregate_sql import AggregateQuery
from boroughkit.errors import DataError

#: Unmatched reasons of geocoding by OA code, in the order they are checked and reported.
UNMATCHED_REASONS = ("missing_value", "malformed_oa_code", "unknown_oa_code")
EXAMPLE_VALUES = 5
EXAMPLE_MOVERS = 3


@dataclass(frozen=True)
class UndeclaredValues:
    """Rows of one category column whose value is not in the declared list, and examples."""

    rows: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class EmptyValues:
    """Rows (after opt-outs) in which one required column is empty, and example row numbers
    (0-based data rows; looked up only when the rows are an error, not left out)."""

    rows: int
    examples: tuple[int, ...] = ()


def empty_values_error(source: str, column: str, rows: int, examples: Sequence[int]) -> DataError:
    """The error for rows with no value in a column that needs one (both read paths)."""
    where = f" (e.g. rows {list(examples)}, counted from 0 after the header)" if examples else ""
    return DataError(
        f"{source}: column '{column}' is empty in {rows} row(s){where}",
        fix=f"fill in '{column}' in those rows, or set source.columns.{column}.on_invalid: drop "
        "to leave such rows out (how many are left out is shown to you and kept in the private "
        "input facts, never published)",
    )


def stored_as_error(source: str, column: str, stored: str, dtype: str) -> DataError:
    """The error for a Parquet column of values to sum stored as text or true/false values."""
    return DataError(
        f"{source}: column '{column}' is stored as {stored} (type {dtype}) in the "
        "file, where numbers are needed",
        fix=f"write '{column}' as a numeric column (e.g. float64 or int64) in the Parquet "
        "file, or name a numeric column",
    )


def numbers_error(
    source: str, column: str, count: int, kinds: dict[str, int], examples: list[int]
) -> DataError:
    """The error for rows of a number column that are empty or not finite numbers, by kind."""
    described = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
    return DataError(
        f"{source}: column '{column}' needs finite numbers, but {count} row(s) are not "
        f"({described}; e.g. rows {examples}, counted from 0 after the header)",
        fix=f"correct those rows (plain numbers like 1234.5, without currency signs or "
        f"thousands separators), or declare source.columns.{column} with on_invalid: drop "
        "(e.g. {type: number, on_invalid: drop}) to leave such rows out (how many are left out "
        "is shown to you and kept in the private input facts, never published)",
    )


@dataclass(frozen=True)
class OACellAggregate:
    """The bounded OA × cell counts of one table and what happened to the input rows.

    ``counts[i, j]`` is the number of persons counted in OA ``oa_codes[i]`` and cell ``j`` (the
    ``itertools.product`` order of the declared values). Row numbers are 0-based data rows of
    the input file. ``unmatched`` lists only reasons with rows. ``empty`` lists, per required
    column, the rows where it is empty; those rows are left out of everything (``empty_rows``
    in all) and are an error unless the column is in ``drop_empty``. When ``undeclared``,
    ``missing_person_rows``, ``movers`` or an ``empty`` column not dropped are non-zero the
    counts must not be released: :meth:`raise_for_data_errors` raises the error that says so.
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
    empty_rows: int
    empty: dict[str, EmptyValues]
    drop_empty: frozenset[str]
    movers: int
    mover_rows: tuple[int, ...]
    contributions: int
    kept_contributions: int
    persons_per_oa: np.ndarray
    #: Rows per number column that is empty or not a finite number (left out, like ``empty``).
    not_numbers: dict[str, int] = field(default_factory=dict)
    #: Sums: ``counts`` are kept rows and ``sums`` their clipped values, by OA × cell.
    sums: np.ndarray | None = None
    #: Cell-key counts: the sum of the counted persons' record keys by OA × cell, and by OA.
    key_sums: np.ndarray | None = None
    person_key_sums: np.ndarray | None = None

    @property
    def truncated_contributions(self) -> int:
        """Distinct (person, cell) contributions dropped by the ``max_cells`` bound."""
        return self.contributions - self.kept_contributions

    @property
    def dropped(self) -> dict[str, int]:
        """Rows left out per column whose empty rows may be dropped (a row may count twice)."""
        found = {column: e.rows for column, e in self.empty.items() if column in self.drop_empty}
        for column, rows in self.not_numbers.items():
            if column in self.drop_empty:
                found[column] = found.get(column, 0) + rows
        return found

    @property
    def empty_errors(self) -> list[str]:
        """Required columns with empty rows that are an error (not to be dropped)."""
        return [column for column in self.empty if column not in self.drop_empty]

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
        for column in self.empty_errors:
            empty = self.empty[column]
            raise empty_values_error(source, column, empty.rows, empty.examples)
        for column, bad_rows in self.not_numbers.items():
            if column not in self.drop_empty:
                raise DataError(
                    f"{source}: column '{column}' needs finite numbers, but {bad_rows} row(s) are "
                    "empty or not finite numbers",
                    fix=f"correct those rows (plain numbers like 1234.5, without currency signs "
                    f"or thousands separators), or declare source.columns.{column} with "
                    "on_invalid: drop to leave such rows out (how many are left out is shown to "
                    "you and kept in the private input facts, never published)",
                )
        for column, bad in self.undeclared.items():
            raise DataError(
                f"{source}: column '{column}' has values not declared in the config: "
                f"{list(bad.examples)} ({bad.rows} row(s))",
                fix=f"add them to source.columns.{column}.values or recode the data",
            )
        if self.movers:
            rows = f" (e.g. rows {list(self.mover_rows)}, 0-based)" if self.mover_rows else ""
            raise DataError(
                f"{source}: {self.movers} person id(s) in column '{self.person_column}' appear "
                f"in more than one Output Area{rows}",
                fix="keep each person's current address only (one OA per person) before the run",
            )


def read_summary(
    connection: duckdb.DuckDBPyConnection,
    query: AggregateQuery,
    oa_codes: tuple[str, ...],
    person: str,
    drop_empty: frozenset[str] = frozenset(),
) -> OACellAggregate:
    """The aggregate from the session's ``summary`` table (the output of ``aggregate_sql``);
    ``mover_rows`` and the examples of ``empty`` are left empty for the caller to fill."""
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
    placed = ("counted", "undeclared_value")
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
        empty_rows=int(statuses.get("empty_value", 0)),
        empty=_empty(connection, query.required_columns),
        drop_empty=frozenset(drop_empty),
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
    """Per category column: rows with undeclared values and the first few values, sorted."""
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


def _empty(connection: duckdb.DuckDBPyConnection, columns: Sequence[str]) -> dict[str, EmptyValues]:
    """Per required column: the rows left out because it is empty."""
    masks = connection.execute(
        "SELECT empty, sum(n_rows) FROM summary WHERE NOT is_person AND status = 'empty_value' "
        "GROUP BY empty"
    ).fetchall()
    found: dict[str, EmptyValues] = {}
    for i, column in enumerate(columns):
        rows = sum(int(n) for mask, n in masks if int(mask) >> i & 1)
        if rows:
            found[column] = EmptyValues(rows)
    return found


def mover_examples(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """A few ids of persons found in more than one OA, only to look up their row numbers."""
    rows = connection.execute(
        "SELECT DISTINCT unnest(mover_examples) AS person FROM summary "
        f"WHERE mover_examples IS NOT NULL ORDER BY person LIMIT {EXAMPLE_MOVERS}"
    ).fetchall()
    return [str(row[0]) for row in rows]
