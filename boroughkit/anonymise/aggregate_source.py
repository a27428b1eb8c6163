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

from boroughkit.anonymise.aggregate_sql import quote_identifier, quote_literal
from boroughkit.errors import BoroughkitError, ConfigError, DataError, check_columns_present

FORMATS_BY_SUFFIX = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


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
    """A DuckDB table expression reading the records file (Parquet, or CSV as all text)."""
    if not path.exists():
        raise DataError(
            f"{path}: file not found",
            fix="check source.path (relative paths are resolved against the config file's folder)",
        )
    literal = quote_literal(str(path))
    if file_format(path, fmt) == "parquet":
        extra = ", file_row_number = true" if row_numbers else ""
        return f"read_parquet({literal}{extra})"
    return f"read_csv({literal}, all_varchar = true, header = true)"


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
    # Only the first line is shown: DuckDB's later lines can quote a whole record.
    detail = str(error).splitlines()[0]
    lowered = str(error).lower()
    if isinstance(error, duckdb.OutOfMemoryException) or "no space left" in lowered:
        return ConfigError(
            f"{path}: DuckDB ran out of memory or spill space ({detail})",
            fix="raise memory_limit, or free disk space in the spill folder (spill_dir)",
        )
    if "unicode" in lowered or "utf-8" in lowered:
        return DataError(
            f"{path}: not UTF-8 text ({detail})",
            fix="re-save the file as UTF-8 (in Excel: 'CSV UTF-8 (Comma delimited)')",
        )
    return DataError(f"{path}: cannot be read ({detail})", fix="export the records again")


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
    scan = scan_expression(path, fmt, row_numbers=True)
    key = f"CAST({quote_identifier(column)} AS VARCHAR)"
    if file_format(path, fmt) == "parquet":
        numbered = f"SELECT file_row_number AS row_number, {key} AS key FROM {scan}"
    else:
        # The streaming row_number() follows the file's order when insertion order is kept.
        connection.execute("SET preserve_insertion_order = true")
        numbered = f"SELECT row_number() OVER () - 1 AS row_number, {key} AS key FROM {scan}"
    register_texts(connection, "wanted", values)
    rows = connection.execute(
        f"SELECT row_number FROM ({numbered}) WHERE key IN (SELECT id FROM wanted) "
        f"ORDER BY row_number LIMIT {int(limit)}"
    ).fetchall()
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
