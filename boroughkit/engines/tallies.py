"""The small tallies a database or cluster returns, assembled into the aggregate boroughkit uses.

PostgreSQL and Spark compute the same per-row statuses and per-person bounds as the DuckDB query
(:mod:`boroughkit.anonymise.aggregate_sql`) and return only these tallies: counts of persons per
(OA, kept cell) and per OA, rows per status, undeclared values, movers and contributions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from boroughkit.anonymise.aggregate_result import (
    EXAMPLE_VALUES,
    UNMATCHED_REASONS,
    EmptyValues,
    OACellAggregate,
    UndeclaredValues,
)
from boroughkit.engines.protocol import CellRequest

#: Statuses of rows placed in an OA (counted, or placed with an undeclared value).
PLACED = ("counted", "undeclared_value")


@dataclass(frozen=True)
class Tallies:
    """What an engine computed, before assembly.

    ``cells``: (OA index, cell, contributions kept, their sum: clipped values or record keys,
    None for counts); ``persons``: (OA index, persons, sum of their record keys or None) by
    each person's OA; ``statuses``: (status, empty-columns bitmask, rows);
    ``undeclared``: per category column index, (rows, the first values in byte order).
    """

    cells: Iterable[tuple[int, int, int, int | None]]
    persons: Iterable[tuple[int, int, int | None]]
    statuses: Iterable[tuple[str, int, int]]
    undeclared: dict[int, tuple[int, list[str]]]
    movers: int
    contributions: int
    kept: int


def assemble(tallies: Tallies, request: CellRequest) -> OACellAggregate:
    """The :class:`OACellAggregate` of ``tallies`` (movers' and empty rows' examples left out:
    a table has no row numbers to point at)."""
    n_oas = len(request.oa_codes)
    n_cells = 1
    for _, values in request.categories:
        n_cells *= len(values)
    counts = np.zeros((n_oas, n_cells), dtype=np.int64)
    sums = np.zeros((n_oas, n_cells), dtype=np.int64)
    for oa, cell, kept, total in tallies.cells:
        counts[int(oa), int(cell)] += int(kept)
        sums[int(oa), int(cell)] += int(total or 0)
    persons_per_oa = np.zeros(n_oas, dtype=np.int64)
    person_key_sums = np.zeros(n_oas, dtype=np.int64)
    for oa, persons, keys in tallies.persons:
        persons_per_oa[int(oa)] += int(persons)
        person_key_sums[int(oa)] += int(keys or 0)
    by_status: dict[str, int] = {}
    by_mask: dict[int, int] = {}
    for status, mask, rows in tallies.statuses:
        by_status[status] = by_status.get(status, 0) + int(rows)
        if status == "empty_value":
            by_mask[int(mask)] = by_mask.get(int(mask), 0) + int(rows)
    empty, not_numbers = {}, {}
    for i, column in enumerate(request.required_columns):
        rows = sum(n for mask, n in by_mask.items() if mask >> i & 1)
        if rows:
            empty[column] = EmptyValues(rows)
    offset = len(request.required_columns)
    for i, column in enumerate(request.number_columns, start=offset):
        rows = sum(n for mask, n in by_mask.items() if mask >> i & 1)
        if rows:
            not_numbers[column] = rows
    columns = [column for column, _ in request.categories]
    undeclared = {
        columns[i]: UndeclaredValues(rows, tuple(sorted(set(examples))[:EXAMPLE_VALUES]))
        for i, (rows, examples) in sorted(tallies.undeclared.items())
        if rows
    }
    return OACellAggregate(
        counts=counts,
        oa_codes=tuple(str(code) for code in request.oa_codes),
        person_column=request.person,
        input_rows=sum(by_status.values()),
        opted_out_rows=by_status.get("opted_out", 0),
        missing_person_rows=by_status.get("missing_person", 0),
        matched_rows=sum(by_status.get(status, 0) for status in PLACED),
        unmatched={r: by_status[r] for r in UNMATCHED_REASONS if by_status.get(r)},
        undeclared=undeclared,
        empty_rows=by_status.get("empty_value", 0),
        empty=empty,
        drop_empty=frozenset(request.drop_empty),
        movers=int(tallies.movers),
        mover_rows=(),
        contributions=int(tallies.contributions),
        kept_contributions=int(tallies.kept),
        persons_per_oa=persons_per_oa,
        not_numbers=not_numbers,
        sums=sums if request.sums is not None else None,
        key_sums=sums if request.record_keys is not None else None,
        person_key_sums=person_key_sums if request.record_keys is not None else None,
    )


def tally_rows(rows: Iterable[tuple[Any, ...]]) -> Tallies:
    """The tallies of the SQL engines' ``(kind, a, b, n, v, s)`` rows."""
    cells, persons, statuses = [], [], []
    undeclared: dict[int, tuple[int, list[str]]] = {}
    totals = {"movers": 0, "contributions": 0, "kept": 0}
    for kind, a, b, n, value, total in rows:
        if kind == "cell":
            cells.append((int(a), int(b), int(n), total))
        elif kind == "persons":
            persons.append((int(a), int(n), total))
        elif kind == "status":
            statuses.append((str(value), int(a), int(n)))
        elif kind == "bad":
            undeclared[int(a)] = (int(n), undeclared.get(int(a), (0, []))[1])
        elif kind == "bad_value":
            rows_, examples = undeclared.get(int(a), (0, []))
            undeclared[int(a)] = (rows_, [*examples, str(value)])
        else:
            totals[kind] = int(n)
    return Tallies(cells, persons, statuses, undeclared, **totals)
