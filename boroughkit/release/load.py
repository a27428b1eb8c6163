"""Load resident records: read the declared columns, check them, remove opted-out residents."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from boroughkit.config.models import SourceConfig
from boroughkit.errors import ConfigError, DataError, check_columns_present


@dataclass(frozen=True)
class LoadedRecords:
    """Records ready for geocoding, and what happened on the way in."""

    frame: pd.DataFrame
    path: Path
    input_rows: int
    opted_out_rows: int


def _format_of(path: Path, declared: str) -> str:
    if declared != "auto":
        return declared
    suffix = path.suffix.lower()
    formats = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "excel"}
    if suffix not in formats:
        raise ConfigError(
            f"{path}: cannot tell the file format from '{suffix}'",
            fix="set source.format to csv, parquet or excel",
        )
    return formats[suffix]


def read_table(path: Path, fmt: str = "auto", columns: list[str] | None = None) -> pd.DataFrame:
    """Read a CSV (UTF-8), Parquet or Excel file with identifiers kept as text."""
    if not path.exists():
        raise DataError(
            f"{path}: file not found",
            fix="check source.path (relative paths are resolved against the config file's folder)",
        )
    kind = _format_of(path, fmt)
    if kind == "parquet":
        available = pq.read_schema(path).names
        check_columns_present(path, available, columns or [])
        return pq.read_table(path, columns=columns).to_pandas()
    if kind == "excel":
        try:
            frame = pd.read_excel(path, dtype=str)
        except ImportError as error:
            raise ConfigError(
                "reading Excel needs the openpyxl package",
                fix="pip install openpyxl, or export the sheet as CSV",
            ) from error
    else:
        frame = _read_csv(path)
    check_columns_present(path, list(frame.columns), columns or [])
    return frame[columns] if columns else frame


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, encoding="utf-8", keep_default_na=False, na_values=[""])
    except UnicodeDecodeError as error:
        raise DataError(
            f"{path}: not UTF-8 text (byte {error.start} cannot be decoded)",
            fix="re-save the file as UTF-8 (in Excel: 'CSV UTF-8 (Comma delimited)')",
        ) from error
    except pd.errors.EmptyDataError as error:
        raise DataError(f"{path}: the file is empty", fix="export the records again") from error


def load_records(
    source: SourceConfig, path: Path, columns: list[str], opt_outs: Path | None
) -> LoadedRecords:
    """Read ``columns`` of the records at ``path`` and drop residents on the opt-out register."""
    frame = read_table(path, source.format, columns)
    if frame.empty:
        raise DataError(f"{path}: no records in the file", fix="check the export is complete")
    unit = source.privacy_unit
    if frame[unit].isna().any():
        rows = list(frame.index[frame[unit].isna()][:5])
        raise DataError(
            f"{path}: column '{unit}' is empty in rows {rows} (0-based)",
            fix="every record needs its privacy unit id",
        )
    frame[unit] = frame[unit].astype(str)
    input_rows = len(frame)
    if opt_outs is not None:
        frame = _remove_opt_outs(frame, source, opt_outs)
    if frame.empty:
        raise DataError(
            f"{path}: every record is on the opt-out register", fix="check the opt-out file"
        )
    return LoadedRecords(frame.reset_index(drop=True), path, input_rows, input_rows - len(frame))


def _remove_opt_outs(frame: pd.DataFrame, source: SourceConfig, register: Path) -> pd.DataFrame:
    key = source.opt_out_column or source.privacy_unit
    if key not in frame.columns:
        raise DataError(
            f"opt-outs match on column '{key}', which was not loaded",
            fix="set source.opt_out_column to the privacy unit or household column",
        )
    table = read_table(register)
    column = key if key in table.columns else table.columns[0]
    opted_out = set(table[column].dropna().astype(str).str.strip())
    return frame[~frame[key].astype(str).isin(opted_out)]
