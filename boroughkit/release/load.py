"""Load resident records: read the declared columns, check them, remove opted-out residents.

Files are opened and checked as the streaming path opens them (see
:mod:`boroughkit.anonymise.aggregate_files`), and CSV is parsed by DuckDB in the same dialect,
so a bad file gets the same message on both paths. Values are checked by :class:`ValueRules`:
a category (a table's group key) must not be empty and a number must be a finite number; a bad
value is an error naming the column, the rows and the fix, unless the column's
``on_invalid: drop`` lets such rows be left out (then they are counted, privately).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from boroughkit.anonymise.aggregate_files import (
    open_records,
    out_of_memory,
    path_error,
    read_error,
    require_kind,
    shown,
)
from boroughkit.anonymise.aggregate_result import (
    empty_values_error,
    numbers_error,
    stored_as_error,
)
from boroughkit.anonymise.aggregate_source import duckdb_session, require_columns, scan_expression
from boroughkit.anonymise.aggregate_sql import quote_identifier
from boroughkit.config.models import SourceConfig
from boroughkit.errors import BoroughkitError, ConfigError, DataError, check_columns_present

EXAMPLE_ROWS = 5
NUMBER_TYPES = ("integer", "number")
CATEGORY_TYPES = ("category", "boolean")


@dataclass(frozen=True)
class LoadedRecords:
    """Records ready for geocoding, and what happened on the way in."""

    frame: pd.DataFrame
    path: Path
    input_rows: int
    opted_out_rows: int
    # Rows left out for invalid values (``on_invalid: drop``): in all, and per column.
    dropped_rows: int = 0
    dropped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ValueRules:
    """What the values of the loaded columns must be.

    ``required`` columns (categories: a table's group keys) must not be empty; ``numbers`` must
    be finite numbers (empty allowed only in the ``optional`` ones); rows breaking a rule in a
    ``drop`` column are left out, in any other column they are an error.
    """

    required: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    optional: frozenset[str] = frozenset()
    drop: frozenset[str] = frozenset()


def value_rules(
    source: SourceConfig,
    columns: Sequence[str],
    *,
    categories: Sequence[str] = (),
    numbers: Sequence[str] = (),
) -> ValueRules:
    """The rules for ``columns`` of records described by ``source``.

    ``categories`` (a method's group keys) must never be empty; ``numbers`` (values to sum)
    must be finite numbers. Of the other columns, declared categories and booleans must not be
    empty and declared integers and numbers must be finite numbers, unless declared
    ``optional``. A declared ``on_invalid: drop`` lets a column's bad rows be left out.
    """
    declared = source.columns
    required = list(categories)
    number_columns = list(numbers)
    for column in columns:
        schema = declared.get(column)
        if schema is None:
            continue
        if schema.type in NUMBER_TYPES and schema.values is None:
            number_columns.append(column)
        elif (schema.type in CATEGORY_TYPES or schema.values is not None) and not schema.optional:
            required.append(column)
    number_columns = [
        column for column in dict.fromkeys(number_columns) if column not in categories
    ]
    optional = {
        column
        for column in number_columns
        if column not in numbers and column in declared and declared[column].optional
    }
    checked = dict.fromkeys([*required, *number_columns])
    drop = {
        column for column in checked if column in declared and declared[column].on_invalid == "drop"
    }
    return ValueRules(
        tuple(dict.fromkeys(required)), tuple(number_columns), frozenset(optional), frozenset(drop)
    )


def _format_of(path: Path, declared: str) -> str:
    if declared != "auto":
        return declared
    suffix = path.suffix.lower()
    formats = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "excel"}
    if suffix not in formats:
        raise ConfigError(
            f"{shown(path)}: cannot tell the file format from '{suffix}'",
            fix="set source.format to csv, parquet or excel",
        )
    return formats[suffix]


def read_table(
    path: Path, fmt: str = "auto", columns: list[str] | None = None, *, setting: str | None = None
) -> pd.DataFrame:
    """Read a CSV (UTF-8), Parquet or Excel file with identifiers kept as text.

    ``setting`` names the config key that gave ``path`` (for the fix of a message). Every
    failure to open or parse the file is a :class:`BoroughkitError` naming the file.
    """
    head = open_records(path, setting)
    kind = _format_of(path, fmt)
    require_kind(path, kind, head, declared=fmt != "auto", setting=setting)
    try:
        if kind == "parquet":
            return _read_parquet(path, columns)
        if kind == "excel":
            frame = _read_excel(path)
            check_columns_present(path, list(frame.columns), columns or [])
            return frame[columns] if columns else frame
        return _read_csv(path, columns)
    except MemoryError:
        raise out_of_memory(path) from None
    except BoroughkitError:
        raise
    except OSError as error:
        raise path_error(path, error, setting) from error


def _read_parquet(path: Path, columns: list[str] | None) -> pd.DataFrame:
    try:
        available = pq.read_schema(path).names
        check_columns_present(path, available, columns or [])
        return pq.read_table(path, columns=columns).to_pandas()
    except (pa.ArrowException, ValueError) as error:
        raise read_error(path, error) from error


def _read_excel(path: Path) -> pd.DataFrame:
    try:
        return pd.read_excel(path, dtype=str)
    except ImportError as error:
        raise ConfigError(
            "reading Excel needs the openpyxl package",
            fix="pip install openpyxl, or export the sheet as CSV",
        ) from error
    except (MemoryError, OSError):
        raise
    except Exception as error:  # zipfile.BadZipFile, ValueError, openpyxl's own errors...
        raise _not_a_workbook(path, error) from error


def _not_a_workbook(path: Path, error: Exception) -> DataError:
    detail = str(error).splitlines()[0] if str(error) else type(error).__name__
    return DataError(
        f"{shown(path)}: not a readable Excel workbook ({detail})",
        fix="open it in Excel and save it again as .xlsx, or export the sheet as CSV UTF-8",
    )


def _read_csv(path: Path, columns: list[str] | None) -> pd.DataFrame:
    """Read a CSV file as text with DuckDB, in the dialect the streaming path uses."""
    with duckdb_session() as connection:
        scan = scan_expression(path, "csv")
        require_columns(connection, path, scan, columns or [])
        select = ", ".join(quote_identifier(column) for column in columns) if columns else "*"
        # The file's row order is kept: rows are named by their position in messages.
        connection.execute("SET preserve_insertion_order = true")
        try:
            frame = connection.execute(f"SELECT {select} FROM {scan}").df()
        except duckdb.Error as error:
            raise read_error(path, error) from error
    # Missing values as pandas' read_csv gives them (NaN), ids and categories as text.
    return frame.astype(object).where(frame.notna(), np.nan)


def load_records(
    source: SourceConfig,
    path: Path,
    columns: list[str],
    opt_outs: Path | None,
    rules: ValueRules | None = None,
) -> LoadedRecords:
    """Read ``columns`` of the records at ``path``, drop residents on the opt-out register, and
    check the values by ``rules`` (default: by the columns declared in ``source``)."""
    if source.database is not None:
        # Fetched in batches: extracts, and tables placed by postcode, need the rows themselves.
        from boroughkit.engines.postgres_engine import PostgresAggregation

        frame = PostgresAggregation(source.database).read_rows(columns)
    else:
        frame = read_table(path, source.format, columns, setting="source.path")
    if frame.empty:
        raise DataError(
            f"{shown(path)}: no records in the file", fix="check the export is complete"
        )
    unit = source.privacy_unit
    if frame[unit].isna().any():
        rows = list(frame.index[frame[unit].isna()][:5])
        raise DataError(
            f"{shown(path)}: column '{unit}' is empty in rows {rows} (0-based)",
            fix="every record needs its privacy unit id",
        )
    frame[unit] = frame[unit].astype(str)
    input_rows = len(frame)
    if opt_outs is not None:
        frame = _remove_opt_outs(frame, source, opt_outs)
    if frame.empty:
        raise DataError(
            f"{shown(path)}: every record is on the opt-out register",
            fix="check the opt-out file",
        )
    opted_out = input_rows - len(frame)
    typed = source.database is not None or _format_of(path, source.format) == "parquet"
    checks = rules if rules is not None else value_rules(source, columns)
    frame, dropped = check_values(frame, checks, shown(path), typed=typed)
    if frame.empty:
        raise DataError(
            f"{shown(path)}: every record was left out for invalid values {dropped}",
            fix="correct the values, or remove on_invalid: drop to see the rows",
        )
    return LoadedRecords(
        frame.reset_index(drop=True),
        path,
        input_rows,
        opted_out,
        input_rows - opted_out - len(frame),
        dropped,
    )


def check_values(
    frame: pd.DataFrame, rules: ValueRules, source: str, *, typed: bool = False
) -> tuple[pd.DataFrame, dict[str, int]]:
    """``frame`` without the rows ``rules`` let be dropped, and the rows dropped per column;
    a :class:`DataError` for any other rule broken. Row numbers in messages are ``frame``'s
    index (0-based data rows of the file). ``typed``: the file stores types (Parquet), so a
    number column stored as text is an error of the file, not of some rows."""
    leave_out = np.zeros(len(frame), dtype=bool)
    dropped: dict[str, int] = {}
    for column in dict.fromkeys([*rules.required, *rules.numbers]):
        if column not in frame.columns:
            continue
        if column in rules.numbers:
            bad, kinds = _not_numbers(
                frame[column], source, column, typed=typed, optional=column in rules.optional
            )
        else:
            bad, kinds = frame[column].isna().to_numpy(bool), {}
        count = int(bad.sum())
        if not count:
            continue
        if column in rules.drop:
            leave_out |= bad
            dropped[column] = count
            continue
        examples = [int(row) for row in frame.index[bad][:EXAMPLE_ROWS]]
        if not kinds:
            raise empty_values_error(source, column, count, examples)
        raise numbers_error(source, column, count, kinds, examples)
    return (frame[~leave_out] if leave_out.any() else frame), dropped


def _not_numbers(
    series: pd.Series, source: str, column: str, *, typed: bool, optional: bool
) -> tuple[np.ndarray, dict[str, int]]:
    """Which values are not finite numbers, and how many of each kind."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(
            series.cat.categories.dtype
            if pd.api.types.is_numeric_dtype(series.cat.categories.dtype)
            else object
        )
    if pd.api.types.is_bool_dtype(series.dtype) or (
        typed and not pd.api.types.is_numeric_dtype(series.dtype) and series.notna().any()
    ):
        stored = "true/false values" if pd.api.types.is_bool_dtype(series.dtype) else "text"
        raise stored_as_error(source, column, stored, str(series.dtype))
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        empty = np.isnan(values)
    else:
        text = series.astype(object).where(series.notna(), None)
        stripped = pd.Series(
            [value.strip() if isinstance(value, str) else value for value in text],
            index=series.index,
            dtype=object,
        )
        empty = (stripped.isna() | (stripped == "")).to_numpy(bool)
        values = pd.to_numeric(stripped.where(~empty, None), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
    infinite = np.isinf(values)
    text_values = ~np.isfinite(values) & ~empty & ~infinite
    bad = (infinite | text_values) if optional else (empty | infinite | text_values)
    kinds = {
        "empty or NaN": 0 if optional else int(empty.sum()),
        "infinite": int(infinite.sum()),
        "not a number": int(text_values.sum()),
    }
    return bad, {kind: n for kind, n in kinds.items() if n}


def _remove_opt_outs(frame: pd.DataFrame, source: SourceConfig, register: Path) -> pd.DataFrame:
    key = source.opt_out_column or source.privacy_unit
    if key not in frame.columns:
        raise DataError(
            f"opt-outs match on column '{key}', which was not loaded",
            fix="set source.opt_out_column to the privacy unit or household column",
        )
    table = read_table(register, setting="source.opt_outs")
    column = key if key in table.columns else table.columns[0]
    opted_out = set(table[column].dropna().astype(str).str.strip())
    return frame[~frame[key].astype(str).isin(opted_out)]
