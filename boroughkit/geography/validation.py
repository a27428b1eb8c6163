"""Checks and normalisation of the parts of a geography bundle.

Every bundle passes through :func:`normalise_parts`, whether built by the demo, the importer or
read from disk, so its frames always have the same columns, dtypes and CRS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import shapely

from boroughkit.errors import GeographyError
from boroughkit.geography.levels import (
    CODE_COLUMNS,
    LEVELS,
    LOOKUP_COLUMNS,
    NAME_COLUMNS,
    OPTIONAL_LEVELS,
)

if TYPE_CHECKING:
    from boroughkit.geography.bundle import BundleInfo

WGS84 = "EPSG:4326"
BOUNDARY_COLUMNS = ("code", "name", "approximate", "geometry")
_COUNT_COLUMNS = ("population", "households")
#: Columns of optional levels: empty in every row (the bundle lacks the level) or in none.
OPTIONAL_LEVEL_COLUMNS: tuple[str, ...] = tuple(
    column
    for level in OPTIONAL_LEVELS
    for column in (CODE_COLUMNS[level], NAME_COLUMNS[level])
    if column is not None
)
_FIX = "rebuild the bundle with `boroughkit geography import` or fix the frame before building it"


@dataclass(frozen=True)
class NormalisedParts:
    """The frames of a bundle after checking: fixed columns, dtypes and EPSG:4326."""

    lookup: pd.DataFrame
    boundaries: dict[str, gpd.GeoDataFrame]
    postcodes: pd.DataFrame | None
    centroids: gpd.GeoDataFrame | None


def normalise_parts(
    lookup: pd.DataFrame,
    boundaries: Mapping[str, gpd.GeoDataFrame],
    info: BundleInfo,
    postcodes: pd.DataFrame | None,
    centroids: gpd.GeoDataFrame | None,
) -> NormalisedParts:
    """Check every part of a bundle and return copies in canonical form."""
    clean_lookup = normalise_lookup(lookup)
    clean_boundaries: dict[str, gpd.GeoDataFrame] = {
        level: normalise_boundary(level, boundaries[level], clean_lookup)
        for level in LEVELS
        if level in boundaries
    }
    unknown = sorted(set(boundaries) - set(LEVELS))
    if unknown:
        raise GeographyError(
            f"bundle boundaries have unknown levels: {', '.join(unknown)}",
            fix=f"use levels among {', '.join(LEVELS)}",
        )
    check_info(info, clean_boundaries)
    clean_postcodes = None if postcodes is None else normalise_postcodes(postcodes)
    clean_centroids = None if centroids is None else normalise_centroids(centroids)
    return NormalisedParts(clean_lookup, clean_boundaries, clean_postcodes, clean_centroids)


def _rows(mask: pd.Series, limit: int = 5) -> str:
    positions = [str(int(position)) for position in mask.to_numpy().nonzero()[0][:limit]]
    more = " …" if int(mask.sum()) > limit else ""
    return ", ".join(positions) + more


def normalise_lookup(lookup: pd.DataFrame) -> pd.DataFrame:
    """The lookup with :data:`LOOKUP_COLUMNS` only, string codes and Int64 counts."""
    frame = lookup.copy()
    for column in (*_COUNT_COLUMNS, *OPTIONAL_LEVEL_COLUMNS):
        if column not in frame.columns:
            frame[column] = pd.NA
    missing = [column for column in LOOKUP_COLUMNS if column not in frame.columns]
    if missing:
        raise GeographyError(
            f"bundle lookup lacks columns {', '.join(missing)} "
            f"(it has {', '.join(map(str, lookup.columns))})",
            fix=_FIX,
        )
    frame = frame[list(LOOKUP_COLUMNS)].reset_index(drop=True)
    _normalise_optional_levels(frame)
    for column in LOOKUP_COLUMNS:
        if column in _COUNT_COLUMNS or column in OPTIONAL_LEVEL_COLUMNS:
            continue
        blank = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
        if blank.any():
            raise GeographyError(
                f"bundle lookup column {column!r} is empty in rows {_rows(blank)} (0-based)",
                fix=_FIX,
            )
        frame[column] = frame[column].astype(str).str.strip().astype(object)
    for column in _COUNT_COLUMNS:
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = numbers.isna() & frame[column].notna()
        bad |= numbers.notna() & ((numbers < 0) | (numbers % 1 != 0))
        if bad.any():
            raise GeographyError(
                f"bundle lookup column {column!r} has values that are not whole numbers ≥ 0 "
                f"in rows {_rows(bad)} (0-based)",
                fix=_FIX,
            )
        frame[column] = numbers.astype("Int64")
    duplicated = frame["oa_code"].duplicated(keep=False)
    if duplicated.any():
        raise GeographyError(
            f"bundle lookup lists OA codes more than once, rows {_rows(duplicated)} (0-based)",
            fix="keep one row per OA",
        )
    check_nesting(frame)
    return frame


def _normalise_optional_levels(frame: pd.DataFrame) -> None:
    """An optional level's columns: text in every row, or null in every row (no such level)."""
    for level in OPTIONAL_LEVELS:
        columns = [CODE_COLUMNS[level], NAME_COLUMNS[level] or CODE_COLUMNS[level]]
        text = {c: frame[c].astype("string").str.strip() for c in columns}
        blank = {c: text[c].isna() | (text[c] == "") for c in columns}
        if all(bool(b.all()) for b in blank.values()):
            for column in columns:
                frame[column] = pd.Series(None, index=frame.index, dtype=object)
            continue
        for column in columns:
            if blank[column].any():
                raise GeographyError(
                    f"bundle lookup column {column!r} is empty in rows {_rows(blank[column])} "
                    f"(0-based) but not in others: a {level} must be known for every OA or "
                    "for none",
                    fix=_FIX,
                )
            frame[column] = text[column].astype(object)


def available_levels(frame: pd.DataFrame) -> tuple[str, ...]:
    """The levels a normalised lookup has (an optional level is absent when its codes are)."""
    return tuple(
        level
        for level in LEVELS
        if level not in OPTIONAL_LEVELS or frame[CODE_COLUMNS[level]].notna().any()
    )


def check_nesting(frame: pd.DataFrame, *, source: str = "bundle lookup") -> None:
    """Raise unless every LSOA lies in one MSOA, every MSOA and ward in one borough and every
    borough in one region (when there are regions)."""
    pairs = [
        ("lsoa_code", "msoa_code"),
        ("msoa_code", "borough_code"),
        ("ward_code", "borough_code"),
    ]
    if "region_code" in frame.columns and frame["region_code"].notna().any():
        pairs.append(("borough_code", "region_code"))
    for child, parent in pairs:
        parents = frame.groupby(child)[parent].nunique()
        broken = parents[parents > 1]
        if len(broken):
            examples = ", ".join(map(str, broken.index[:5]))
            raise GeographyError(
                f"{source}: {len(broken)} {child} value(s) fall in more than one {parent} "
                f"(e.g. {examples}); OA → LSOA → MSOA → borough → region must nest exactly "
                "and a ward lie in one borough",
                fix=f"give each {child} a single {parent}",
            )


def normalise_boundary(
    level: str, frame: gpd.GeoDataFrame, lookup: pd.DataFrame
) -> gpd.GeoDataFrame:
    """A boundary frame with ``code, name, approximate, geometry`` in EPSG:4326."""
    missing = [column for column in BOUNDARY_COLUMNS if column not in frame.columns]
    if missing:
        raise GeographyError(
            f"bundle boundaries for {level!r} lack columns {', '.join(missing)}", fix=_FIX
        )
    if frame.crs is None:
        raise GeographyError(
            f"bundle boundaries for {level!r} have no CRS",
            fix="set it, e.g. frame.set_crs('EPSG:27700') for British National Grid",
        )
    clean = gpd.GeoDataFrame(frame[list(BOUNDARY_COLUMNS)].copy(), geometry="geometry")
    clean = clean.to_crs(WGS84).sort_values("code").reset_index(drop=True)
    clean["code"] = clean["code"].astype(str).astype(object)
    clean["name"] = clean["name"].astype(str).astype(object)
    clean["approximate"] = clean["approximate"].astype(bool)
    if clean["code"].duplicated().any():
        raise GeographyError(
            f"bundle boundaries for {level!r} repeat codes "
            f"{', '.join(clean['code'][clean['code'].duplicated()].head(5))}",
            fix="dissolve features by code first",
        )
    geometry = clean.geometry.array
    polygonal = pd.Series(shapely.get_type_id(geometry)).isin((3, 6)).to_numpy()
    bad = pd.Series(~polygonal | shapely.is_empty(geometry) | ~shapely.is_valid(geometry))
    if bad.any():
        raise GeographyError(
            f"bundle boundaries for {level!r} have empty, invalid or non-polygon geometry "
            f"for {', '.join(clean['code'][bad].head(5))}",
            fix=_FIX,
        )
    unknown = ~clean["code"].isin(set(lookup[CODE_COLUMNS[level]]))  # type: ignore[index]
    if unknown.any():
        raise GeographyError(
            f"bundle boundaries for {level!r} have codes not in the lookup: "
            f"{', '.join(clean['code'][unknown].head(5))}",
            fix="drop features that are not areas of the lookup",
        )
    return clean


def check_info(info: BundleInfo, boundaries: Mapping[str, gpd.GeoDataFrame]) -> None:
    """Raise unless ``info`` agrees with the boundaries it describes."""
    if set(info.polygon_levels) != set(boundaries):
        raise GeographyError(
            f"bundle info lists polygon levels {list(info.polygon_levels)} but boundaries "
            f"hold {list(boundaries)}",
            fix="make info.polygon_levels name exactly the levels with boundaries",
        )
    has_oa = "oa" in boundaries
    approximate = has_oa and bool(boundaries["oa"]["approximate"].any())
    expected = "none" if not has_oa else "approximate" if approximate else "polygons"
    if info.oa_geometry != expected:
        raise GeographyError(
            f"bundle info says oa_geometry={info.oa_geometry!r} but the OA boundaries "
            f"make it {expected!r}",
            fix=f"set oa_geometry={expected!r}",
        )


def normalise_postcodes(postcodes: pd.DataFrame) -> pd.DataFrame:
    """Postcodes as ``postcode, oa_code`` strings, sorted by postcode."""
    missing = [column for column in ("postcode", "oa_code") if column not in postcodes.columns]
    if missing:
        raise GeographyError(f"bundle postcodes lack columns {', '.join(missing)}", fix=_FIX)
    frame = postcodes[["postcode", "oa_code"]].dropna().astype(str).astype(object)
    return frame.sort_values("postcode").reset_index(drop=True)


def normalise_centroids(centroids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """OA centroid points as ``oa_code, geometry`` in EPSG:4326, sorted by code."""
    if "oa_code" not in centroids.columns or centroids.crs is None:
        raise GeographyError("bundle centroids need an 'oa_code' column and a CRS", fix=_FIX)
    frame = gpd.GeoDataFrame(centroids[["oa_code", "geometry"]].copy(), geometry="geometry")
    frame = frame.to_crs(WGS84)
    frame["oa_code"] = frame["oa_code"].astype(str).astype(object)
    return frame.sort_values("oa_code").reset_index(drop=True)
