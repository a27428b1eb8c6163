"""The SQL of the streaming OA × cell aggregation (see :mod:`boroughkit.anonymise.aggregate`).

One query reads the file once. Each row gets a status (why it is left out, or ``counted``), its
OA index and its cell index; a hash aggregate with grouping sets then builds, in the same scan,
one group per person (the set of the person's distinct cells as a bitmask, and the person's
OAs) and the small per-status and per-undeclared-value tallies. Each person's cells are then cut
to ``max_cells`` and the result is reduced to counts of persons per (OA, kept cells) pattern,
a table small enough to read into Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Bits per word of the per-person cell bitmask (DuckDB UBIGINT).
WORD_BITS = 64
#: Characters Python's ``str.strip`` removes from ASCII text; OA codes are trimmed of them.
WHITESPACE = " \t\n\r\x0b\x0c"
#: Statuses of rows placed in an OA (after opt-outs); a person's OAs are taken from these.
PLACED = "('counted', 'undeclared_value')"


def quote_identifier(name: str) -> str:
    """A column name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """A string as a SQL literal."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class AggregateQuery:
    """Names and sizes the query is built from (values come in as bound parameters)."""

    scan: str  # a table expression reading the file, e.g. read_parquet('...')
    person: str
    oa_column: str
    category_columns: tuple[str, ...]
    category_sizes: tuple[int, ...]
    opt_out_column: str | None  # None: no opt-out register to join
    # Columns that must hold a value (the category columns and any others): a row with an empty
    # one gets the status ``empty_value`` and bit i of ``empty`` for required column i.
    required_columns: tuple[str, ...] = ()

    @property
    def n_cells(self) -> int:
        """Number of category cells (1 for an area-only table)."""
        total = 1
        for size in self.category_sizes:
            total *= size
        return total

    @property
    def n_words(self) -> int:
        """UBIGINT words needed for a bitmask of all cells."""
        return -(-self.n_cells // WORD_BITS)


def _rows_sql(query: AggregateQuery) -> str:
    """Per row: person, status, OA index, cell index and any undeclared category value."""
    n_columns = len(query.category_columns)
    texts = [
        f"CAST(src.{quote_identifier(c)} AS VARCHAR) AS text_{i}"
        for i, c in enumerate(query.category_columns)
    ]
    # $values_i is the declared list of column i; list_position is 1-based, NULL when absent.
    positions = [f"list_position($values_{i}, text_{i}) - 1 AS index_{i}" for i in range(n_columns)]
    cell = "0"
    for i, size in enumerate(query.category_sizes):
        cell = f"({cell} * {size} + index_{i})"
    undeclared = [f"(text_{i} IS NOT NULL AND index_{i} IS NULL)" for i in range(n_columns)]
    empty = (
        " + ".join(
            f"(CASE WHEN src.{quote_identifier(c)} IS NULL THEN {1 << i} ELSE 0 END)"
            for i, c in enumerate(query.required_columns)
        )
        or "0"
    )
    opted_out, opt_out_join = "FALSE", ""
    if query.opt_out_column is not None:
        key = f"CAST(src.{quote_identifier(query.opt_out_column)} AS VARCHAR)"
        opt_out_join = f"LEFT JOIN opt_outs ON {key} = opt_outs.id"
        opted_out = "opt_outs.id IS NOT NULL"
    oa_column = quote_identifier(query.oa_column)
    person = quote_identifier(query.person)
    texted = f"""
    SELECT
        CAST(src.{person} AS VARCHAR) AS person,
        {opted_out} AS opted_out,
        nullif(upper(trim(CAST(src.{oa_column} AS VARCHAR), {quote_literal(WHITESPACE)})), '')
            AS oa_text,
        ({empty})::BIGINT AS empty
        {"".join(", " + t for t in texts)}
    FROM {query.scan} AS src
    {opt_out_join}
    """
    indexed = f"""
    SELECT texted.*, oa_codes.idx AS oa {"".join(", " + p for p in positions)}
    FROM ({texted}) AS texted
    LEFT JOIN oa_codes ON texted.oa_text = oa_codes.code
    """
    status = f"""CASE
            WHEN person IS NULL THEN 'missing_person'
            WHEN opted_out THEN 'opted_out'
            WHEN empty <> 0 THEN 'empty_value'
            WHEN oa_text IS NULL THEN 'missing_value'
            WHEN NOT regexp_matches(oa_text, $oa_pattern) THEN 'malformed_oa_code'
            WHEN oa IS NULL THEN 'unknown_oa_code'
            WHEN {" OR ".join(undeclared) or "FALSE"} THEN 'undeclared_value'
            ELSE 'counted'
        END"""
    bad = [
        f"CASE WHEN status = 'undeclared_value' AND {u} THEN text_{i} END AS bad_{i}"
        for i, u in enumerate(undeclared)
    ]
    return f"""
    SELECT person, status, CASE WHEN status IN {PLACED} THEN oa END AS oa, cell, empty
        {"".join(", " + b for b in bad)}
    FROM (SELECT *, {status} AS status, {cell} AS cell FROM ({indexed}))
    """


def _word_aggregates(query: AggregateQuery) -> list[str]:
    """One bitmask word per 64 cells: bit ``c`` set when the person has a counted row in ``c``."""
    words = []
    for word in range(query.n_words):
        low = word * WORD_BITS
        in_word = "" if query.n_words == 1 else f" AND cell >= {low} AND cell < {low + WORD_BITS}"
        # bit_or skips the NULL of rows that are not counted (cheaper than a FILTER clause).
        words.append(
            f"bit_or(CASE WHEN status = 'counted'{in_word} "
            f"THEN 1::UBIGINT << (cell - {low})::UBIGINT END) AS word_{word}"
        )
    return words


def _cells_list(query: AggregateQuery) -> str:
    """The person's distinct cells as a sorted list, decoded from the bitmask words."""
    parts = [
        f"list_transform(list_filter(range({WORD_BITS}), lambda i: "
        f"((coalesce(word_{w}, 0::UBIGINT) >> i::UBIGINT) & 1::UBIGINT) = 1), "
        f"lambda i: i + {w * WORD_BITS})"
        for w in range(query.n_words)
    ]
    joined = parts[0]
    for part in parts[1:]:
        joined = f"list_concat({joined}, {part})"
    return joined


def bounding_key_sql(salt: str, person: str, cell: str) -> str:
    """The SQL of a (person, cell) contribution's bounding key: the MD5 hex digest of
    ``salt|person|cell`` (cell as a decimal number). A person keeps the cells with the smallest
    keys (ties, which MD5 makes all but impossible, by the smaller cell). The same text and
    digest are computed in PostgreSQL and in Spark, so every engine keeps the same cells."""
    return f"md5(concat({salt}, '|', {person}, '|', CAST({cell} AS VARCHAR)))"


def _kept_word(word: int) -> str:
    """Word ``word`` of the kept-cells bitmask: the person's own word unless cells were cut."""
    low = word * WORD_BITS
    encoded = (
        f"coalesce(list_sum(list_transform(list_filter(kept_list, lambda c: c >= {low} "
        f"AND c < {low + WORD_BITS}), lambda c: 1::UBIGINT << (c - {low})::UBIGINT)), 0)"
    )
    return (
        f"CASE WHEN kept_list IS NULL THEN coalesce(word_{word}, 0::UBIGINT) "
        f"ELSE ({encoded})::UBIGINT END AS kept_{word}"
    )


def aggregate_sql(query: AggregateQuery) -> str:
    """The whole query: rows → per-person groups and tallies → counts per (OA, kept cells).

    Parameters: ``$values_i`` (declared values of category column i), ``$oa_pattern``,
    ``$max_cells`` and ``$salt`` (decimal text); tables ``oa_codes(code, idx)`` and, with an
    opt-out column, ``opt_outs(id)``. Output columns: ``is_person``, ``oa``, ``kept_0..``
    (bitmask words of the kept cells), ``status``, ``empty``, ``bad_0..``, ``n_rows``,
    ``n_groups``, ``cells_before``, ``cells_after``, ``movers``, ``mover_examples``.
    """
    bad_names = [f"bad_{i}" for i in range(len(query.category_columns))]
    sets = ", ".join(["(person)", "(status, empty)", *(f"({name})" for name in bad_names)])
    bad_select = "".join(f", {name}" for name in bad_names)
    words = range(query.n_words)
    n_person_cells = " + ".join(f"bit_count(coalesce(word_{w}, 0::UBIGINT))" for w in words)
    grouped = f"""
    SELECT
        GROUPING(person) = 0 AS is_person, person, status, empty{bad_select},
        count(*) AS n_rows,
        min(oa) AS oa_first,
        max(oa) AS oa_last,
        {", ".join(_word_aggregates(query))}
    FROM ({_rows_sql(query)})
    GROUP BY GROUPING SETS ({sets})
    """
    # Most persons have no more than max_cells cells and keep their bitmask as it is; only the
    # others are decoded. They keep the cells with the smallest bounding keys (see
    # bounding_key_sql): see boroughkit.anonymise.aggregate for why that is a valid bound.
    cut = f"""
    SELECT *,
        CASE WHEN n_person_cells > $max_cells THEN
            list_transform(list_slice(list_sort(list_transform({_cells_list(query)},
                lambda c: {{'h': {bounding_key_sql("$salt::VARCHAR", "person", "c")}, 'c': c}})),
                1, $max_cells), lambda s: s.c)
        END AS kept_list
    FROM (SELECT *, ({n_person_cells})::BIGINT AS n_person_cells FROM ({grouped}))
    """
    kept = ", ".join(_kept_word(w) for w in words)
    kept_names = ", ".join(f"kept_{w}" for w in words)
    return f"""
    SELECT
        is_person, oa, {kept_names}, status, empty{bad_select},
        sum(n_rows)::BIGINT AS n_rows,
        count(*)::BIGINT AS n_groups,
        sum(n_person_cells)::BIGINT AS cells_before,
        sum(least(n_person_cells, $max_cells))::BIGINT AS cells_after,
        (count(*) FILTER (WHERE oa <> oa_last))::BIGINT AS movers,
        arg_min(person, hash(person, $salt::VARCHAR), 3) FILTER (WHERE oa <> oa_last)
            AS mover_examples
    FROM (SELECT *, oa_first AS oa, {kept} FROM ({cut}))
    GROUP BY is_person, oa, {kept_names}, status, empty{bad_select}
    """


def declared_parameters(values: Sequence[Sequence[str]]) -> dict[str, list[str]]:
    """The ``$values_i`` parameters of :func:`aggregate_sql`."""
    return {f"values_{i}": [str(v) for v in column] for i, column in enumerate(values)}
