"""The SQL of one table's pre-noise aggregate, for DuckDB and PostgreSQL alike: per-row
statuses, then the contribution bound with window functions, then a group-by into tallies.

Rows get their statuses by :mod:`boroughkit.engines.sql_rows`. Then, by the request's kind
(:class:`CellRequest`):

* counts: each person keeps the ``max_cells`` distinct cells with the smallest bounding keys;
* sums: each person keeps the rows of those cells, and of them the ``max_rows`` rows with the
  smallest row keys (``md5(salt|person|cell|value)``), each value clipped to the bounds and
  rounded half to even; rows with one person, cell and value are interchangeable, so ties
  change nothing;
* cell-key counts: every distinct (person, cell), with the person's record key summed.

The records, the OA codes, the opt-out register and any stored record keys are the relations
``src``, ``oa_codes(code, idx)``, ``opt_outs(id)`` and ``stored_keys(id, key)``; values come in
as bound parameters. Output: one row per tally, ``(kind, a, b, n, v, s)``.
"""

from __future__ import annotations

from typing import Any

from boroughkit.anonymise.aggregate_result import EXAMPLE_VALUES
from boroughkit.anonymise.aggregate_sql import WHITESPACE
from boroughkit.engines.protocol import CellRequest
from boroughkit.engines.sql_rows import NUMBER_PATTERN, Dialect, record_key_sql, rows_sql


def _bounded_sql(request: CellRequest, dialect: Dialect) -> str:
    """The CTE ``bounded``: the kept contributions, one row each, with ``kept`` and ``s``."""
    salt, c = dialect.param("salt"), dialect.collate_c
    cell_key = f"md5({salt} || '|' || person || '|' || CAST(cell AS {dialect.text}))"
    if request.sums is not None:
        row_key = f"md5({salt} || '|' || person || '|' || CAST(cell AS {dialect.text}) || '|' || "
        row_key += f"CAST(value AS {dialect.text}))"
        return f"""
    celled AS (
        SELECT person, oa, cell, value,
            dense_rank() OVER (PARTITION BY person ORDER BY {cell_key}{c}, cell) AS cell_rank
        FROM r WHERE status = 'counted'
    ),
    bounded AS (
        SELECT oa, cell, value AS s, row_number() OVER (
            PARTITION BY person ORDER BY {row_key}{c}, cell, value) <= {dialect.param("max_rows")}
            AS kept
        FROM celled WHERE cell_rank <= {dialect.param("max_cells")}
    )"""
    distinct = (
        "distinct_cells AS (SELECT DISTINCT person, oa, cell FROM r WHERE status = 'counted')"
    )
    if request.record_keys is not None:
        return f"""
    {distinct},
    bounded AS (
        SELECT oa, cell, TRUE AS kept, keyed.rkey AS s
        FROM distinct_cells JOIN keyed USING (person)
    )"""
    return f"""
    {distinct},
    bounded AS (
        SELECT oa, cell, CAST(NULL AS BIGINT) AS s, row_number() OVER (
            PARTITION BY person ORDER BY {cell_key}{c}, cell) <= {dialect.param("max_cells")}
            AS kept
        FROM distinct_cells
    )"""


def tallies_sql(request: CellRequest, dialect: Dialect, source: str, prelude: str = "") -> str:
    """The whole query; ``prelude`` defines the look-up relations (PostgreSQL, from arrays)."""
    keyed = "SELECT persons.*, CAST(NULL AS BIGINT) AS rkey FROM persons"
    if request.record_keys is not None:
        derived = record_key_sql(dialect, "persons.person")
        keyed = f"""SELECT persons.*, coalesce(stored_keys.key, {derived}) AS rkey
        FROM persons LEFT JOIN stored_keys ON stored_keys.id = persons.person"""
    text = dialect.text
    return f"""
    WITH {prelude}{rows_sql(request, dialect, source)},
    persons AS (
        SELECT person, min(oa) AS oa_first, max(oa) AS oa_last
        FROM r WHERE person IS NOT NULL GROUP BY person
    ),
    keyed AS ({keyed}),
    {_bounded_sql(request, dialect)}
    SELECT 'cell' AS kind, oa AS a, CAST(cell AS BIGINT) AS b, count(*) AS n,
            CAST(NULL AS {text}) AS v, CAST(sum(s) AS BIGINT) AS s
        FROM bounded WHERE kept GROUP BY oa, cell
    UNION ALL SELECT 'persons', oa_first, NULL, count(*), NULL, CAST(sum(rkey) AS BIGINT)
        FROM keyed WHERE oa_first IS NOT NULL GROUP BY oa_first
    UNION ALL SELECT 'movers', NULL, NULL, count(*), NULL, NULL
        FROM persons WHERE oa_first <> oa_last
    UNION ALL SELECT 'contributions', NULL, NULL, count(*), NULL, NULL FROM bounded
    UNION ALL SELECT 'kept', NULL, NULL, count(*), NULL, NULL FROM bounded WHERE kept
    {status_tallies_sql(request, dialect)}
    """


def status_tallies_sql(request: CellRequest, dialect: Dialect) -> str:
    """The tallies of ``r`` every query ends with: rows per (status, empty mask), and per
    category column the undeclared rows and the first values in byte order."""
    undeclared = "".join(
        f"""
    UNION ALL SELECT 'bad', {i}, NULL, count(*), NULL, NULL FROM r WHERE bad_{i} IS NOT NULL
    UNION ALL (SELECT 'bad_value', {i}, NULL, NULL, bad_{i}, NULL
        FROM (SELECT DISTINCT bad_{i} FROM r WHERE bad_{i} IS NOT NULL) AS d
        ORDER BY bad_{i}{dialect.collate_c} LIMIT {EXAMPLE_VALUES})"""
        for i in range(len(request.categories))
    )
    return f"""UNION ALL SELECT 'status', empty, NULL, count(*), status, NULL FROM r
        GROUP BY status, empty{undeclared}"""


def window_parameters(request: CellRequest, salt: int) -> dict[str, Any]:
    """The bound parameters of :func:`tallies_sql` (the relations are the caller's)."""
    values: dict[str, Any] = {
        f"values_{i}": [str(v) for v in declared]
        for i, (_, declared) in enumerate(request.categories)
    }
    keys = request.record_keys
    return {
        **values,
        # Anchored at the start only, as Python's re.match in the pandas path.
        "oa_pattern": f"^(?:{request.oa_code_pattern})",
        "whitespace": WHITESPACE,
        "number_pattern": NUMBER_PATTERN,
        "max_cells": request.max_cells,
        "max_rows": request.sums.max_rows if request.sums is not None else 0,
        "salt": str(salt),
        "key_secret": keys.secret if keys is not None else "",
    }
