"""Per-row statuses for the SQL engines (DuckDB and PostgreSQL), and how each spells what the
query needs.

Rows get the statuses of :mod:`boroughkit.anonymise.aggregate_sql`, in the same order of checks;
a number column that is empty or not a finite number sets its bit of the ``empty`` mask, after
the required columns' bits. Values come in as bound parameters; column names are quoted.
"""

from __future__ import annotations

from dataclasses import dataclass

from boroughkit.anonymise.aggregate_sql import quote_identifier
from boroughkit.engines.protocol import CellRequest

#: A finite number as text (after trimming): the exponent has at most two digits, so no value
#: that passes overflows a double in any engine.
NUMBER_PATTERN = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,2})?$"
HEX_DIGITS = "0123456789abcdef"


@dataclass(frozen=True)
class Dialect:
    """How DuckDB and PostgreSQL spell what the query needs."""

    name: str
    text: str  # the text type
    double: str
    collate_c: str  # byte-order comparison of the digests

    def param(self, name: str) -> str:
        """A bound parameter."""
        return f"%({name})s" if self.name == "postgresql" else f"${name}"

    def position(self, values: str, text: str) -> str:
        """1-based position of ``text`` in the text-list parameter ``values`` (NULL if absent)."""
        if self.name == "postgresql":
            return f"array_position({self.param(values)}::text[], {text})"
        return f"list_position({self.param(values)}, {text})"

    def trim(self, text: str) -> str:
        """``text`` without the whitespace ``str.strip`` removes."""
        function = "btrim" if self.name == "postgresql" else "trim"
        return f"{function}({text}, {self.param('whitespace')})"

    def matches(self, text: str, pattern: str) -> str:
        """True when the regular expression parameter ``pattern`` matches ``text``."""
        if self.name == "postgresql":
            return f"({text} ~ {self.param(pattern)})"
        return f"regexp_matches({text}, {self.param(pattern)})"

    def round_even(self, number: str) -> str:
        """``number`` rounded to a whole number, halves to even (as numpy's ``rint``)."""
        if self.name == "postgresql":
            return f"round(({number})::double precision)"  # rint() for double precision
        return f"round_even({number}, 0)"

    def sha256_hex(self, text: str) -> str:
        """The SHA-256 hex digest of ``text`` as UTF-8."""
        if self.name == "postgresql":
            return f"encode(sha256(convert_to({text}, 'UTF8')), 'hex')"
        return f"sha256({text})"


POSTGRESQL = Dialect("postgresql", "text", "double precision", ' COLLATE "C"')
DUCKDB = Dialect("duckdb", "VARCHAR", "DOUBLE", "")


def record_key_sql(dialect: Dialect, person: str) -> str:
    """The person's derived record key: the first byte of SHA-256 of ``secret|person`` (see
    :func:`boroughkit.anonymise.keystore.derived_key`)."""
    digest = dialect.sha256_hex(f"{dialect.param('key_secret')} || '|' || {person}")
    return " + ".join(
        f"{scale} * (strpos('{HEX_DIGITS}', substr({digest}, {i}, 1)) - 1)"
        for i, scale in ((1, 16), (2, 1))
    )


def rows_sql(request: CellRequest, dialect: Dialect, source: str) -> str:
    """The CTEs up to ``r``: per row person, status, OA index, cell, empty mask, undeclared
    values and (for sums) the clipped, rounded value."""
    d, text = dialect, dialect.text
    columns = [column for column, _ in request.categories]
    texts = "".join(
        f", CAST(src.{quote_identifier(c)} AS {text}) AS text_{i}" for i, c in enumerate(columns)
    )
    positions = "".join(
        f", {d.position(f'values_{i}', f'text_{i}')} - 1 AS index_{i}" for i in range(len(columns))
    )
    cell = "0"
    for i, (_, values) in enumerate(request.categories):
        cell = f"({cell} * {len(values)} + index_{i})"
    undeclared = [f"(text_{i} IS NOT NULL AND index_{i} IS NULL)" for i in range(len(columns))]
    checks = [f"src.{quote_identifier(c)} IS NULL" for c in request.required_columns] + [
        _not_a_number(d, c) for c in request.number_columns
    ]
    empty = " + ".join(f"(CASE WHEN {c} THEN {1 << i} ELSE 0 END)" for i, c in enumerate(checks))
    opted_out = "FALSE"
    if request.opt_out_key is not None:
        key = f"CAST(src.{quote_identifier(request.opt_out_key)} AS {text})"
        opted_out = f"({key} IN (SELECT id FROM opt_outs))"
    value = ", NULL AS value_text"
    if request.sums is not None:
        value = f", {d.trim(f'CAST(src.{quote_identifier(request.sums.column)} AS {text})')}"
        value += " AS value_text"
    bad = "".join(
        f", CASE WHEN status = 'undeclared_value' AND {u} THEN text_{i} END AS bad_{i}"
        for i, u in enumerate(undeclared)
    )
    clipped = "NULL"
    if request.sums is not None:
        low, high = request.sums.bounds
        number = f"CAST(value_text AS {d.double})"
        clipped = f"CAST({d.round_even(f'greatest(least({number}, {high}), {low})')} AS BIGINT)"
    return f"""
    texted AS (
        SELECT CAST(src.{quote_identifier(request.person)} AS {text}) AS person,
            coalesce({opted_out}, FALSE) AS opted_out,
            nullif(upper({d.trim(f"CAST(src.{quote_identifier(request.oa_column)} AS {text})")}),
                '') AS oa_text,
            CAST({empty or "0"} AS BIGINT) AS empty{texts}{value}
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
            WHEN NOT {d.matches("oa_text", "oa_pattern")} THEN 'malformed_oa_code'
            WHEN oa_index IS NULL THEN 'unknown_oa_code'
            WHEN {" OR ".join(undeclared) or "FALSE"} THEN 'undeclared_value'
            ELSE 'counted'
        END AS status, {cell} AS cell
        FROM indexed
    ),
    r AS MATERIALIZED (
        SELECT person, status,
            CASE WHEN status IN ('counted', 'undeclared_value') THEN oa_index END AS oa, cell,
            empty{bad},
            CASE WHEN status = 'counted' THEN {clipped} END AS value
        FROM statused
    )"""


def _not_a_number(dialect: Dialect, column: str) -> str:
    trimmed = dialect.trim(f"CAST(src.{quote_identifier(column)} AS {dialect.text})")
    return f"NOT coalesce({dialect.matches(trimmed, 'number_pattern')}, FALSE)"
