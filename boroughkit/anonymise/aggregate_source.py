"""Reading resident records with DuckDB: sessions with bounded memory, file checks, look-ups.

A session sets DuckDB's memory limit, thread count and a private spill folder, so a file far
larger than memory is streamed and its large intermediate results go to disk. CSV is read with
every column as text, so ids keep their leading zeros and compare as text as they do in the
pandas path.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from boroughkit.anonymise.aggregate_files import (
    csv_header,
    csv_scan,
    open_records,
    read_error,
    require_kind,
)
from boroughkit.anonymise.aggregate_sql import quote_identifier, quote_literal
from boroughkit.errors import BoroughkitError, ConfigError, check_columns_present

FORMATS_BY_SUFFIX = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
#: The row-number column of a numbered scan (a name no records file uses).
ROW = "__boroughkit_row"


@contextmanager
def duckdb_session(
    memory_limit: str = "3GB", threads: int = 2, spill_dir: Path | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection that spills to a temporary folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="boroughkit-duckdb-", dir=spill_dir) as spill:
        try:
            connection = duckdb.connect(
                config={
                    "memory_limit": memory_limit,
                    "threads": threads,
                    "temp_directory": spill,
                    # Order is never needed for counting; dropping it lets operators stream.
                    "preserve_insertion_order": False,
                }
            )
        except duckdb.Error as error:
            raise ConfigError(
                f"cannot start DuckDB with memory_limit={memory_limit!r}, threads={threads}: "
                f"{error}",
                fix="give the memory limit like '3GB' and at least one thread",
            ) from error
        try:
            connection.execute("SET enable_progress_bar = false")
            yield connection
        finally:
            connection.close()


def file_format(path: Path, fmt: str) -> str:
    """``csv`` or ``parquet``: ``fmt`` itself, or read from the suffix when it is ``auto``."""
    kind = FORMATS_BY_SUFFIX.get(path.suffix.lower()) if fmt == "auto" else fmt
    if kind not in ("csv", "parquet"):
        raise ConfigError(
            f"{path}: records in format {kind or path.suffix or '(none)'!r} cannot be streamed",
            fix="set source.format to csv or parquet (export Excel sheets as CSV UTF-8)",
        )
    return kind


def scan_expression(path: Path, fmt: str, *, row_numbers: bool = False) -> str:
    """A DuckDB table expression reading the records file (Parquet, or CSV as all text), after
    checking that the file opens and is what its format says (see
    :mod:`boroughkit.anonymise.aggregate_files`)."""
    head = open_records(path)
    kind = file_format(path, fmt)
    require_kind(path, kind, head, declared=fmt != "auto")
    literal = quote_literal(str(path))
    if kind == "parquet":
        extra = ", file_row_number = true" if row_numbers else ""
        return f"read_parquet({literal}{extra})"
    return csv_scan(path, csv_header(path))


def require_columns(
    connection: duckdb.DuckDBPyConnection, path: Path, scan: str, wanted: Iterable[str]
) -> None:
    """Fail with the columns present (and a close match) when a wanted column is missing."""
    try:
        available = [
            row[0] for row in connection.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
        ]
    except duckdb.Error as error:
        raise unreadable(path, error) from error
    check_columns_present(path, available, wanted)


def unreadable(path: Path, error: duckdb.Error) -> BoroughkitError:
    """The error to raise when DuckDB fails on the records file, saying what to change."""
    return read_error(path, error)


def check_pattern(connection: duckdb.DuckDBPyConnection, pattern: str) -> None:
    """Fail early when DuckDB's regular expressions (RE2) cannot use the OA code pattern."""
    try:
        connection.execute("SELECT regexp_matches('', $pattern)", {"pattern": pattern})
    except duckdb.Error as error:
        raise ConfigError(
            f"the OA code pattern {pattern!r} is not a valid RE2 regular expression "
            f"({str(error).splitlines()[0]})",
            fix="write the bundle's oa_code_pattern without look-arounds or back-references",
        ) from error


def register_texts(connection: duckdb.DuckDBPyConnection, name: str, values: Iterable[str]) -> None:
    """Make distinct text ``values`` a one-column table ``name(id)`` of the session."""
    distinct = sorted({str(value) for value in values})
    connection.register(name, pa.table({"id": pa.array(distinct, pa.string())}))


def row_numbers_of(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    fmt: str,
    column: str,
    values: Sequence[str],
    limit: int,
) -> list[int]:
    """0-based data row numbers (header excluded) of the first ``limit`` rows whose ``column``
    is one of ``values``: a second scan, made only to point an error message at example rows."""
    if not values:
        return []
    register_texts(connection, "wanted", values)
    key = f"CAST({quote_identifier(column)} AS VARCHAR)"
    return rows_where(connection, path, fmt, f"{key} IN (SELECT id FROM wanted)", limit)


def rows_where(
    connection: duckdb.DuckDBPyConnection, path: Path, fmt: str, condition: str, limit: int
) -> list[int]:
    """0-based data row numbers (header excluded) of the first ``limit`` rows where the SQL
    ``condition`` (on the file's columns) holds: a second scan, only for an error message."""
    scan = scan_expression(path, fmt, row_numbers=True)
    if file_format(path, fmt) == "parquet":
        numbered = f"SELECT file_row_number AS {ROW}, * FROM {scan}"
    else:
        # The streaming row_number() follows the file's order when insertion order is kept.
        connection.execute("SET preserve_insertion_order = true")
        numbered = f"SELECT row_number() OVER () - 1 AS {ROW}, * FROM {scan}"
    try:
        rows = connection.execute(
            f"SELECT {ROW} FROM ({numbered}) WHERE {condition} ORDER BY {ROW} LIMIT {int(limit)}"
        ).fetchall()
    except duckdb.Error as error:
        raise unreadable(path, error) from error
    return [int(row[0]) for row in rows]


def find_identifier_values(
    path: Path,
    fmt: str,
    column: str,
    candidates: Iterable[str],
    *,
    memory_limit: str = "3GB",
    threads: int = 2,
) -> set[str]:
    """Which ``candidates`` occur as values of ``column`` in the records file.

    For the leak scan of a release built from more ids than fit in a Python set: the candidate
    tokens come from the (small) published files and DuckDB checks them against the column in
    one streaming pass. Matching ignores case and surrounding spaces, as the leak scan does;
    the candidates are returned as given.
    """
    by_key: dict[str, set[str]] = {}
    for candidate in candidates:
        by_key.setdefault(str(candidate).strip().upper(), set()).add(str(candidate))
    if not by_key:
        return set()
    with duckdb_session(memory_limit, threads) as connection:
        scan = scan_expression(path, fmt)
        require_columns(connection, path, scan, [column])
        register_texts(connection, "candidates", by_key)
        key = f"upper(trim(CAST({quote_identifier(column)} AS VARCHAR)))"
        try:
            found = connection.execute(
                f"SELECT DISTINCT {key} FROM {scan} WHERE {key} IN (SELECT id FROM candidates)"
            ).fetchall()
        except duckdb.Error as error:
            raise unreadable(path, error) from error
    return {original for (value,) in found for original in by_key[value]}
