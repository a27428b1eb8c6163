"""The PostgreSQL query of one table's bounded OA × cell counts: the DuckDB query's statuses and
bound, written for PostgreSQL, returning only small tallies.

Each row gets the status DuckDB gives it (:mod:`boroughkit.anonymise.aggregate_sql`), in the same
order of checks; each person's distinct counted cells are gathered by a group-by, sorted by the
same MD5 bounding key and cut to ``max_cells``; a group-by counts persons per (OA, cell).
Values come in as bound parameters; column names are quoted identifiers.
"""

from __future__ import annotations

from typing import Any

from boroughkit.anonymise.aggregate_sql import (
    WHITESPACE,
    quote_identifier,
)
from boroughkit.engines.protocol import CellRequest
from boroughkit.engines.tallies import PLACED

#: Undeclared values returned per column, at most (the first ones in byte order).
EXAMPLES = 5


def source_sql(table: str | None, query: str | None) -> str:
    """The records as a table expression: a (schema-qualified) table, or the read-only query."""
    if table is not None:
        return ".".join(quote_identifier(part) for part in table.split("."))
    # The query is sent with bound parameters, so its own percent signs are escaped.
    return f"({str(query).replace('%', '%%')})"


def _text(column: str) -> str:
    return f"CAST(src.{quote_identifier(column)} AS text)"


def rows_sql(request: CellRequest, source: str) -> str:
    """Per row: person, status, OA index, cell and undeclared values (the CTEs up to ``r``)."""
    columns = [column for column, _ in request.categories]
    sizes = [len(values) for _, values in request.categories]
    texts = "".join(f", {_text(c)} AS text_{i}" for i, c in enumerate(columns))
    positions = "".join(
        f", array_position(%(values_{i})s::text[], text_{i}) - 1 AS index_{i}"
        for i in range(len(columns))
    )
    cell = "0"
    for i, size in enumerate(sizes):
        cell = f"({cell} * {size} + index_{i})"
    undeclared = [f"(text_{i} IS NOT NULL AND index_{i} IS NULL)" for i in range(len(columns))]
    empty = (
        " + ".join(
            f"(CASE WHEN src.{quote_identifier(c)} IS NULL THEN {1 << i} ELSE 0 END)"
            for i, c in enumerate(request.required_columns)
        )
        or "0"
    )
    opted_out = "FALSE"
    if request.opt_out_key is not None:
        opted_out = f"({_text(request.opt_out_key)} = ANY(%(opt_outs)s::text[]))"
    bad = "".join(
        f", CASE WHEN status = 'undeclared_value' AND {u} THEN text_{i} END AS bad_{i}"
        for i, u in enumerate(undeclared)
    )
    placed = ", ".join(f"'{status}'" for status in PLACED)
    return f"""
    oa_codes AS (
        SELECT code, (idx - 1)::int AS idx
        FROM unnest(%(oa_codes)s::text[]) WITH ORDINALITY AS codes(code, idx)
    ),
    texted AS (
        SELECT {_text(request.person)} AS person,
            coalesce({opted_out}, FALSE) AS opted_out,
            nullif(upper(btrim({_text(request.oa_column)}, %(whitespace)s)), '') AS oa_text,
            ({empty})::bigint AS empty{texts}
        FROM {source} AS src
    ),
    indexed AS (
        SELECT texted.*, oa_codes.idx AS oa_index{positions}
        FROM texted LEFT JOIN oa_codes ON texted.oa_text = oa_codes.code
    ),
    statused AS (
        SELECT *, CASE
            WHEN person IS NULL THEN 'missing_person'
            WHEN opted_out THEN 'opted_out'
            WHEN empty <> 0 THEN 'empty_value'
            WHEN oa_text IS NULL THEN 'missing_value'
            WHEN NOT (oa_text ~ %(oa_pattern)s) THEN 'malformed_oa_code'
            WHEN oa_index IS NULL THEN 'unknown_oa_code'
            WHEN {" OR ".join(undeclared) or "FALSE"} THEN 'undeclared_value'
            ELSE 'counted'
        END AS status, {cell} AS cell
        FROM indexed
    ),
    r AS MATERIALIZED (
        SELECT person, status, CASE WHEN status IN ({placed}) THEN oa_index END AS oa, cell,
            empty{bad}
        FROM statused
    )"""


def tallies_sql(request: CellRequest, source: str) -> str:
    """The whole query: one row per tally, ``(kind, a, b, n, v)``.

    One group-by per person gathers the person's OAs and distinct counted cells; only persons
    with more than ``max_cells`` cells sort theirs by the bounding key, so the bound costs a
    sort of a few cells per person, not of the whole table.
    """
    n_columns = len(request.categories)
    key = "md5(%(salt)s || '|' || person || '|' || c::text)"
    undeclared = "".join(
        f"""
    UNION ALL SELECT 'bad', {i}, NULL, count(*), NULL FROM r WHERE bad_{i} IS NOT NULL
    UNION ALL (SELECT 'bad_value', {i}, NULL, NULL, bad_{i}
        FROM (SELECT DISTINCT bad_{i} FROM r WHERE bad_{i} IS NOT NULL) AS d
        ORDER BY bad_{i} COLLATE "C" LIMIT {EXAMPLES})"""
        for i in range(n_columns)
    )
    return f"""
    WITH {rows_sql(request, source)},
    persons AS (
        SELECT person, min(oa) AS oa_first, max(oa) AS oa_last,
            coalesce(array_agg(DISTINCT cell) FILTER (WHERE status = 'counted'), '{{}}')
                AS cells
        FROM r WHERE person IS NOT NULL GROUP BY person
    ),
    bounded AS MATERIALIZED (
        SELECT oa_first, oa_last, cardinality(cells) AS n_cells,
            CASE WHEN cardinality(cells) > %(max_cells)s THEN ARRAY(
                SELECT c FROM unnest(cells) AS c ORDER BY {key} COLLATE "C", c
                LIMIT %(max_cells)s
            ) ELSE cells END AS kept
        FROM persons
    )
    SELECT 'cell' AS kind, oa_first AS a, c::bigint AS b, count(*) AS n, NULL::text AS v
        FROM bounded, unnest(kept) AS c GROUP BY oa_first, c
    UNION ALL SELECT 'persons', oa_first, NULL, count(*), NULL
        FROM bounded WHERE oa_first IS NOT NULL GROUP BY oa_first
    UNION ALL SELECT 'movers', NULL, NULL, count(*), NULL FROM bounded WHERE oa_first <> oa_last
    UNION ALL SELECT 'contributions', NULL, NULL, coalesce(sum(n_cells), 0), NULL FROM bounded
    UNION ALL SELECT 'kept', NULL, NULL, coalesce(sum(cardinality(kept)), 0), NULL FROM bounded
    UNION ALL SELECT 'status', empty, NULL, count(*), status FROM r GROUP BY status, empty
    {undeclared}
    """


def parameters(request: CellRequest, salt: int) -> dict[str, Any]:
    """The bound parameters of :func:`tallies_sql`."""
    values: dict[str, Any] = {
        f"values_{i}": [str(v) for v in declared]
        for i, (_, declared) in enumerate(request.categories)
    }
    return {
        **values,
        "oa_codes": [str(code) for code in request.oa_codes],
        "opt_outs": sorted({str(value).strip() for value in request.opt_outs or ()}),
        # Anchored at the start only, as in the DuckDB query.
        "oa_pattern": f"^(?:{request.oa_code_pattern})",
        "whitespace": WHITESPACE,
        "max_cells": request.max_cells,
        "salt": str(salt),
    }
