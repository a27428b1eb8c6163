"""Vectorised matching of OA codes, postcodes and coordinates to the OAs of a bundle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from boroughkit.errors import DataError, GeographyError
from boroughkit.geography.bundle import GeographyBundle
from boroughkit.geography.crs_checks import parse_crs

#: Shape of a UK postcode once normalised (outward code, one space, inward code).
POSTCODE_PATTERN = r"^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$"
POSTCODE_ALIASES = ("postcode", "pcds", "pcd", "pcd7", "pcd8", "pcd2")
OA_ALIASES = ("oa_code", "oa21cd", "oa21", "oa11cd")
#: Coordinates outside these (x, y) ranges cannot be in Great Britain or on Earth.
_VALID_RANGES = {
    27700: ((-10_000.0, 800_000.0), (-10_000.0, 1_400_000.0)),
    4326: ((-180.0, 180.0), (-90.0, 90.0)),
}


@dataclass(frozen=True)
class Outcome:
    """Per row: the OA code (None when unmatched) and the reason (None when matched)."""

    codes: np.ndarray
    reasons: np.ndarray


def _outcome(codes: pd.Series, reasons: pd.Series) -> Outcome:
    code_array = codes.astype(object).where(reasons.isna(), None).to_numpy(dtype=object)
    reason_array = reasons.astype(object).where(reasons.notna(), None).to_numpy(dtype=object)
    return Outcome(code_array, reason_array)


def _per_distinct(values: pd.Series, transform: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``transform`` applied once per distinct value (records repeat codes a lot), 0-based index."""
    positions, distinct = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    done = transform(pd.Series(distinct, dtype=object)).to_numpy(dtype=object)
    result = np.full(len(positions), pd.NA, dtype=object)
    known = positions >= 0
    result[known] = done[positions[known]]
    return pd.Series(result, dtype="string")


def _text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Values as stripped upper-case text, and a mask of the missing/blank ones."""
    text = _per_distinct(values, lambda distinct: distinct.astype("string").str.strip().str.upper())
    missing = (text.isna() | (text == "")).fillna(True).astype(bool)
    return text, missing


def match_oa_codes(values: pd.Series, bundle: GeographyBundle) -> Outcome:
    """OA codes: missing, malformed (pattern of the bundle), unknown (not in the lookup)."""
    text, missing = _text(values)
    well_formed = text.str.match(bundle.info.oa_code_pattern).fillna(False).astype(bool)
    known = text.isin(set(bundle.lookup["oa_code"])).fillna(False).astype(bool)
    reasons = pd.Series(pd.NA, index=text.index, dtype="object")
    reasons[~known] = "unknown_oa_code"
    reasons[~well_formed] = "malformed_oa_code"
    reasons[missing] = "missing_value"
    return _outcome(text, reasons)


def normalise_postcodes(values: pd.Series) -> pd.Series:
    """Postcodes in upper case with all spaces removed and one put before the last 3 characters."""
    compact = values.astype("string").str.upper().str.replace(r"\s+", "", regex=True)
    return compact.str[:-3] + " " + compact.str[-3:]


def _postcode_table(bundle: GeographyBundle, lookup: pd.DataFrame | None) -> pd.Series:
    """A Series mapping normalised postcode -> OA code."""
    table = lookup if lookup is not None else bundle.postcodes
    if table is None:
        raise GeographyError(
            f"bundle '{bundle.info.name}' has no postcodes, so rows cannot be geocoded by postcode",
            fix="supply a postcode lookup (e.g. the ONS NSPL) with columns postcode, oa_code",
        )
    folded = {str(column).casefold(): column for column in table.columns}
    postcode = next((folded[name] for name in POSTCODE_ALIASES if name in folded), None)
    oa_code = next((folded[name] for name in OA_ALIASES if name in folded), None)
    if postcode is None or oa_code is None:
        raise DataError(
            "the postcode lookup needs a postcode column and an OA code column "
            f"(its columns are: {', '.join(map(str, table.columns))})",
            fix="name them postcode and oa_code (ONS NSPL's pcds and oa21cd also work)",
        )
    pairs = pd.DataFrame(
        {
            "postcode": normalise_postcodes(table[postcode]),
            "oa": table[oa_code].astype("string").str.strip(),
        }
    )
    pairs = pairs.dropna().drop_duplicates()
    conflicting = pairs["postcode"].duplicated(keep=False)
    if conflicting.any():
        examples = ", ".join(pairs["postcode"][conflicting].unique()[:5])
        raise DataError(
            f"the postcode lookup maps some postcodes to more than one OA (e.g. {examples})",
            fix="keep one OA per postcode (the ONS NSPL has one row per postcode)",
        )
    return pairs.set_index("postcode")["oa"]


def match_postcodes(
    values: pd.Series, bundle: GeographyBundle, lookup: pd.DataFrame | None
) -> Outcome:
    """Postcodes: missing, malformed, unknown (not in the lookup), outside the borough."""
    table = _postcode_table(bundle, lookup)
    text, missing = _text(values)
    normalised = _per_distinct(text, normalise_postcodes)
    well_formed = normalised.str.match(POSTCODE_PATTERN).fillna(False).astype(bool)
    codes = normalised.map(table)
    in_bundle = codes.isin(set(bundle.lookup["oa_code"])).fillna(False).astype(bool)
    reasons = pd.Series(pd.NA, index=text.index, dtype="object")
    reasons[~in_bundle] = "outside_borough"
    reasons[codes.isna()] = "unknown_postcode"
    reasons[~well_formed] = "malformed_postcode"
    reasons[missing] = "missing_value"
    return _outcome(codes, reasons)


def _coordinates(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Floats, a mask of missing values and a mask of present but unreadable ones."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype(float).to_numpy()
        return numbers, np.isnan(numbers), np.isinf(numbers)
    text = _per_distinct(values, lambda distinct: distinct.astype("string").str.strip())
    missing = (text.isna() | (text == "")).fillna(True).astype(bool).to_numpy()
    numbers = pd.to_numeric(text, errors="coerce").astype(float).to_numpy()
    unreadable = ~missing & ~np.isfinite(numbers)
    return numbers, missing, unreadable


def match_points(
    x_values: pd.Series, y_values: pd.Series, bundle: GeographyBundle, crs: str, warnings: list[str]
) -> Outcome:
    """Coordinates: missing, invalid (unreadable or out of range), outside every OA polygon."""
    if "oa" not in bundle.boundaries:
        raise GeographyError(
            f"bundle '{bundle.info.name}' has no OA polygons, so coordinates cannot be geocoded",
            fix="geocode by postcode or OA code, or import OA boundaries or OA centroids with "
            "LSOA boundaries (`boroughkit geography import --centroids`)",
        )
    if bundle.info.oa_geometry == "approximate":
        warnings.append(
            "OA polygons are approximate (derived from centroids): rows near OA edges may be "
            "placed in a neighbouring OA"
        )
    source = parse_crs(crs, what="coordinate CRS")
    x, x_missing, x_bad = _coordinates(x_values)
    y, y_missing, y_bad = _coordinates(y_values)
    missing = x_missing | y_missing
    invalid = ~missing & (x_bad | y_bad)
    (x_low, x_high), (y_low, y_high) = _VALID_RANGES.get(
        source.to_epsg() or 0, ((-np.inf, np.inf), (-np.inf, np.inf))
    )
    invalid |= ~missing & ~invalid & ((x < x_low) | (x > x_high) | (y < y_low) | (y > y_high))
    usable = ~missing & ~invalid
    lon, lat = np.full(len(x), np.nan), np.full(len(x), np.nan)
    transformer = Transformer.from_crs(source, CRS.from_epsg(4326), always_xy=True)
    lon[usable], lat[usable] = transformer.transform(x[usable], y[usable])
    invalid |= usable & ~(np.isfinite(lon) & np.isfinite(lat))
    usable &= ~invalid
    polygons = bundle.boundaries["oa"]
    tree = shapely.STRtree(polygons.geometry.array)
    rows = np.flatnonzero(usable)
    hit_point, hit_polygon = tree.query(
        shapely.points(lon[rows], lat[rows]), predicate="intersects"
    )
    # A point on a shared edge touches two OAs: keep the first (lowest code) deterministically.
    order = np.lexsort((hit_polygon, hit_point))
    first_points, first_index = np.unique(hit_point[order], return_index=True)
    codes = np.full(len(x), None, dtype=object)
    codes[rows[first_points]] = polygons["code"].to_numpy()[hit_polygon[order][first_index]]
    reasons = np.full(len(x), None, dtype=object)
    reasons[usable & pd.isna(codes)] = "outside_borough"
    reasons[invalid] = "invalid_coordinates"
    reasons[missing] = "missing_value"
    return Outcome(codes, reasons)
