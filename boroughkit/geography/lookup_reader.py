"""Reading an ONS-style OA lookup file (CSV, CSV.gz or Parquet) into bundle lookup columns."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from boroughkit.errors import ConfigError, GeographyError
from boroughkit.geography.levels import (
    LOOKUP_COLUMNS,
    ONS_OA_CODE_PATTERN,
    check_level,
    code_year,
)
from boroughkit.geography.lookup_repairs import (
    LookupRepair,
    WardAcrossRule,
    WardGapRule,
    apply_fixes,
    fill_ward_gaps,
    split_wards_across_boroughs,
)
from boroughkit.geography.regions import assign_regions
from boroughkit.geography.storage import file_size
from boroughkit.geography.validation import OPTIONAL_LEVEL_COLUMNS, check_nesting

#: Our lookup column -> the column of ONS's OA21 → LSOA21 → MSOA21 → WD22 → LAD22 lookup.
DEFAULT_LOOKUP_COLUMNS: dict[str, str] = {
    "oa_code": "oa21cd",
    "lsoa_code": "lsoa21cd",
    "lsoa_name": "lsoa21nm",
    "msoa_code": "msoa21cd",
    "msoa_name": "msoa21nm",
    "ward_code": "wd22cd",
    "ward_name": "wd22nm",
    "borough_code": "lad22cd",
    "borough_name": "lad22nm",
    "region_code": "rgn22cd",
    "region_name": "rgn22nm",
    "population": "usual_residents",
    "households": "households",
}
OPTIONAL_COLUMNS = ("population", "households", *OPTIONAL_LEVEL_COLUMNS)
# Region columns of any year's ONS lookup (RGN21CD, RGN22NM, …) are found by their shape.
_COLUMN_SHAPES = {"region_code": r"rgn\d{2}cd", "region_name": r"rgn\d{2}nm"}


@dataclass
class LookupRead:
    """A lookup read from a file, ready to become a bundle lookup."""

    frame: pd.DataFrame
    oa_code_pattern: str
    ons_codes: bool
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: The year of each level's areas, from its code column's name (oa21cd: 2021), if it says.
    years: dict[str, int | None] = field(default_factory=dict)
    #: What the analyst's fixes and the importer's rules changed (see ``lookup_repairs``).
    repairs: list[LookupRepair] = field(default_factory=list)


def check_column_map(column_map: Mapping[str, str]) -> None:
    """Raise a ConfigError for a key that names no lookup column or boundary code column."""
    allowed = set(LOOKUP_COLUMNS)
    for key in column_map:
        if key in allowed:
            continue
        level = key.removesuffix("_boundary_code")
        if key.endswith("_boundary_code"):
            check_level(level)
            continue
        raise ConfigError(
            f"unknown column mapping {key!r}",
            fix=f"map one of: {', '.join(LOOKUP_COLUMNS)} or <level>_boundary_code",
        )


def _line_numbers(mask: pd.Series, limit: int = 5) -> str:
    # The index is the row's position in the file; data rows start on line 2 (after the header).
    lines = [str(int(row) + 2) for row in mask.index[mask.to_numpy()][:limit]]
    return ", ".join(lines) + (" …" if int(mask.sum()) > limit else "")


def _find_column(columns: Sequence[str], wanted: str, shape: str | None = None) -> str | None:
    if wanted in columns:
        return wanted
    folded = {column.casefold(): column for column in columns}
    if wanted.casefold() in folded or shape is None:
        return folded.get(wanted.casefold())
    return next((c for c in columns if re.fullmatch(shape, c.strip(), re.IGNORECASE)), None)


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise GeographyError(
            f"lookup file {path} does not exist", fix="check the path given to --lookup"
        )
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            return pd.read_parquet(path).astype("string").astype(object)
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except MemoryError as error:
        raise GeographyError(
            f"lookup file {path} ({file_size(path)}) is too large for this machine's memory",
            fix="keep only your borough's rows in the lookup (or those of a few boroughs), or "
            "run on a machine with more memory",
        ) from error
    except Exception as error:  # pandas/pyarrow raise many types for unreadable files
        raise GeographyError(
            f"cannot read lookup file {path}: {error}",
            fix="supply a CSV (optionally .csv.gz) or Parquet lookup",
        ) from error


def _select_columns(raw: pd.DataFrame, path: Path, column_map: Mapping[str, str]) -> LookupRead:
    present = [str(column) for column in raw.columns]
    selected: dict[str, pd.Series] = {}
    notes: list[str] = []
    years: dict[str, int | None] = {}
    for ours in LOOKUP_COLUMNS:
        theirs = column_map.get(ours, DEFAULT_LOOKUP_COLUMNS[ours])
        shape = None if ours in column_map else _COLUMN_SHAPES.get(ours)
        found = _find_column(present, theirs, shape)
        if found is None and ours in OPTIONAL_LEVEL_COLUMNS and ours not in column_map:
            selected[ours] = pd.Series(pd.NA, index=raw.index, dtype="object")
            continue
        if found is None and ours in OPTIONAL_COLUMNS and ours not in column_map:
            selected[ours] = pd.Series(pd.NA, index=raw.index, dtype="object")
            notes.append(
                f"lookup has no {ours} column ({theirs!r}); {ours} is unknown "
                f"(map one with --column {ours}=COLUMN)"
            )
            continue
        if found is None:
            raise GeographyError(
                f"lookup file {path} has no column {theirs!r} (needed for {ours}); "
                f"its columns are: {', '.join(present)}",
                fix=f"map it with --column {ours}=COLUMN (column_map={{{ours!r}: 'COLUMN'}})",
            )
        selected[ours] = raw[found]
        if ours.endswith("_code"):
            years[ours.removesuffix("_code")] = code_year(found)
    return LookupRead(pd.DataFrame(selected), ONS_OA_CODE_PATTERN, True, notes, years=years)


def _strip(frame: pd.DataFrame) -> None:
    """Codes and names as stripped text (blank cells stay blank), so the rules compare them."""
    for column in LOOKUP_COLUMNS:
        if column not in OPTIONAL_COLUMNS:
            frame[column] = frame[column].astype("string").str.strip().fillna("").astype(object)


def _clean(read: LookupRead, path: Path) -> None:
    frame = read.frame
    for column in LOOKUP_COLUMNS:
        if column in OPTIONAL_LEVEL_COLUMNS:
            continue  # filled or cleared, for every OA, by assign_regions
        if column in OPTIONAL_COLUMNS:
            text = frame[column].astype("string").str.strip()
            text = text.mask(text == "")
            numbers = pd.to_numeric(text, errors="coerce")
            bad = (numbers.isna() & text.notna()) | (numbers < 0) | (numbers % 1 != 0)
            bad = bad.fillna(False).astype(bool)
            if bad.any():
                raise GeographyError(
                    f"lookup file {path}: column for {column} has values that are not whole "
                    f"numbers ≥ 0 on lines {_line_numbers(bad)}",
                    fix="correct those values or leave them empty (unknown)",
                )
            frame[column] = numbers.astype("Int64")
            continue
        text = frame[column].astype("string").str.strip()
        blank = text.isna() | (text == "")
        if blank.any():
            raise GeographyError(
                f"lookup file {path}: column for {column} is empty on lines {_line_numbers(blank)}",
                fix="fill in the missing codes/names or remove those rows",
            )
        frame[column] = text.astype(object)
    duplicated = frame["oa_code"].duplicated(keep=False)
    if duplicated.any():
        raise GeographyError(
            f"lookup file {path}: OA codes appear more than once, "
            f"lines {_line_numbers(duplicated)}",
            fix="keep one row per OA (each OA has one best-fit ward)",
        )
    check_nesting(frame, source=f"lookup file {path}")


def _filter_boroughs(read: LookupRead, path: Path, boroughs: Sequence[str] | None) -> None:
    # Filter before other checks: a national file may have gaps in other boroughs' rows.
    codes = read.frame["borough_code"].astype("string").str.strip()
    present = sorted(code for code in codes.dropna().unique() if code)
    if boroughs:
        unknown = [code for code in boroughs if code not in present]
        if unknown:
            raise GeographyError(
                f"lookup file {path} has no OAs in borough(s) {', '.join(unknown)} "
                f"(it covers {len(present)}, e.g. {', '.join(present[:5])})",
                fix="check the borough code (e.g. E09000002 for Barking and Dagenham)",
            )
        read.frame = read.frame[codes.isin(boroughs).fillna(False).to_numpy()].copy()
        shown = ", ".join(boroughs[:5]) + (
            f" … ({len(boroughs)} boroughs)" if len(boroughs) > 5 else ""
        )
        read.notes.append(f"kept the {len(read.frame)} OAs of {shown}")
    elif len(present) > 1:
        read.notes.append(f"kept every borough of the lookup ({len(present)})")


def _detect_pattern(read: LookupRead) -> None:
    codes = read.frame["oa_code"]
    if codes.str.fullmatch(ONS_OA_CODE_PATTERN[1:-1]).all():
        return
    read.ons_codes = False
    shapes = codes.str.replace(r"\d", "9", regex=True).unique()
    if len(shapes) == 1:
        read.oa_code_pattern = "^" + re.escape(shapes[0]).replace("9", r"\d") + "$"
    else:
        read.oa_code_pattern = r"^\S+$"
        read.warnings.append(
            "OA codes are not ONS 2021 codes and have no common shape; geocoding cannot tell "
            "malformed codes from unknown ones"
        )


@dataclass(frozen=True)
class LookupRules:
    """How the importer treats the lookup: corrections, the two ward rules, regions."""

    fixes: Path | None = None
    on_ward_gap: WardGapRule = "assign"
    on_ward_across_lad: WardAcrossRule = "split"
    regions: Path | None = None


def read_lookup(
    path: Path,
    column_map: Mapping[str, str],
    boroughs: Sequence[str] | None = None,
    rules: LookupRules | None = None,
) -> LookupRead:
    """Read and check an OA lookup; a GeographyError names the file, column and lines.

    The analyst's fixes are applied first, then the borough filter, then the ward rules of
    :mod:`~boroughkit.geography.lookup_repairs` and the regions of
    :mod:`~boroughkit.geography.regions`; ``read.repairs`` lists every change.
    """
    rules = rules or LookupRules()
    raw = _read(path)
    read = _select_columns(raw, path, column_map)
    del raw
    if rules.fixes is not None:
        read.repairs += apply_fixes(read.frame, Path(rules.fixes))
    _filter_boroughs(read, path, boroughs)
    if read.frame.empty:
        raise GeographyError(f"lookup file {path} has no rows", fix="supply a non-empty lookup")
    _strip(read.frame)
    read.repairs += fill_ward_gaps(read.frame, rules.on_ward_gap, path)
    read.repairs += split_wards_across_boroughs(read.frame, rules.on_ward_across_lad, path)
    read.notes.append(assign_regions(read.frame, rules.regions))
    _clean(read, path)
    read.frame = read.frame.reset_index(drop=True)
    _detect_pattern(read)
    return read
