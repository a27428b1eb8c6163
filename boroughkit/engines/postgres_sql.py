"""The PostgreSQL query of one table's bounded OA × cell counts: the DuckDB query's statuses and
bound, written for PostgreSQL, returning only small tallies.

Each row gets the status DuckDB gives it (:mod:`boroughkit.anonymise.aggregate_sql`), in the same
order of checks; each person's distinct counted cells are gathered by a group-by, sorted by the
same MD5 bounding key and cut to ``max_cells``; a group-by counts persons per (OA, cell).
Values come in as bound parameters; column names are quoted identifiers.
"""

from __future__ import annotations

from typing import Any

from boroughkit.anonymise.aggregate_sql import quote_identifier
from boroughkit.engines import window_sql
from boroughkit.engines.protocol import CellRequest
from boroughkit.engines.sql_rows import POSTGRESQL, rows_sql
from boroughkit.engines.window_sql import window_parameters


def source_sql(table: str | None, query: str | None) -> str:
    """The records as a table expression: a (schema-qualified) table, or the read-only query."""
    if table is not None:
        return ".".join(quote_identifier(part) for part in table.split("."))
    # The query is sent with bound parameters, so its own percent signs are escaped.
    return f"({str(query).replace('%', '%%')})"


#: The look-up relations of :mod:`boroughkit.engines.window_sql`, from bound array parameters.
PRELUDE = """
    oa_codes AS (
        SELECT code, (idx - 1)::int AS idx
        FROM unnest(%(oa_codes)s::text[]) WITH ORDINALITY AS codes(code, idx)
    ),
    opt_outs AS (SELECT unnest(%(opt_outs)s::text[]) AS id),
    stored_keys AS (
        SELECT unnest(%(key_ids)s::text[]) AS id, unnest(%(key_values)s::int[]) AS key
    ),"""


def tallies_sql(request: CellRequest, source: str) -> str:
    """The whole query: one row per tally, ``(kind, a, b, n, v, s)``.

    Sums and cell-key counts are :func:`boroughkit.engines.window_sql.tallies_sql`. For counts,
    one group-by per person gathers the person's OAs and distinct counted cells; only persons
    with more than ``max_cells`` cells sort theirs by the bounding key, so the bound costs a
    sort of a few cells per person, not of the whole table.
    """
    if not request.plain_counts:
        return window_sql.tallies_sql(request, POSTGRESQL, source, PRELUDE)
    key = "md5(%(salt)s || '|' || person || '|' || c::text)"
    return f"""
    WITH {PRELUDE}{rows_sql(request, POSTGRESQL, source)},
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
    SELECT 'cell' AS kind, oa_first AS a, c::bigint AS b, count(*) AS n, NULL::text AS v,
            NULL::bigint AS s
        FROM bounded, unnest(kept) AS c GROUP BY oa_first, c
    UNION ALL SELECT 'persons', oa_first, NULL, count(*), NULL, NULL
        FROM bounded WHERE oa_first IS NOT NULL GROUP BY oa_first
    UNION ALL SELECT 'movers', NULL, NULL, count(*), NULL, NULL
        FROM bounded WHERE oa_first <> oa_last
    UNION ALL SELECT 'contributions', NULL, NULL, coalesce(sum(n_cells), 0), NULL, NULL
        FROM bounded
    UNION ALL SELECT 'kept', NULL, NULL, coalesce(sum(cardinality(kept)), 0), NULL, NULL
        FROM bounded
    {window_sql.status_tallies_sql(request, POSTGRESQL)}
    """


def parameters(request: CellRequest, salt: int) -> dict[str, Any]:
    """The bound parameters of :func:`tallies_sql`, with the look-up arrays of :data:`PRELUDE`."""
    keys = request.record_keys
    return {
        **window_parameters(request, salt),
        "oa_codes": [str(code) for code in request.oa_codes],
        "opt_outs": sorted({str(value).strip() for value in request.opt_outs or ()}),
        "key_ids": list(keys.stored_ids) if keys is not None else [],
        "key_values": list(keys.stored_keys) if keys is not None else [],
    }
