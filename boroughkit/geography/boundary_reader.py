"""Reading boundary and centroid files: any format GDAL reads, any CRS, any ONS code column.

Files are filtered to the lookup's areas (so London-wide files work), reprojected to EPSG:4326,
and invalid polygons are repaired when :func:`shapely.make_valid` gives a polygon. Wrong inputs
are errors, never warnings: coordinates that do not fit their CRS (longitude/latitude declared
as British National Grid, coordinates outside the CRS's area of use, ONS areas placed outside
the UK), and files that do not cover every area of the lookup or hold another census's areas.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from boroughkit.errors import GeographyError
from boroughkit.geography.crs_checks import (
    check_coordinates,
    check_in_uk,
    declare_crs,
)
from boroughkit.geography.levels import CENSUS_LEVELS, CODE_COLUMNS, Level, code_year
from boroughkit.geography.storage import file_size
from boroughkit.geography.tessellation import polygonal_part

WGS84 = "EPSG:4326"
#: ONS code column names per level (any vintage: OA21CD, WD22CD, LAD24CD …), case-insensitive.
ONS_CODE_COLUMNS: dict[Level, str] = {
    "oa": r"OA\d{2}CD",
    "lsoa": r"LSOA\d{2}CD",
    "msoa": r"MSOA\d{2}CD",
    "ward": r"WD\d{2}CD",
    "borough": r"(LAD|LTLA|UTLA|CTYUA|CMLAD)\d{2}CD",
}
EXAMPLE_CODE_COLUMNS: dict[Level, str] = {
    "oa": "OA21CD",
    "lsoa": "LSOA21CD",
    "msoa": "MSOA21CD",
    "ward": "WD22CD",
    "borough": "LAD22CD",
}
_FORMATS = "GeoJSON, GeoPackage, GeoParquet or Shapefile"


@dataclass
class GeometryRead:
    """Features of one file that belong to the lookup, with what was dropped or repaired."""

    frame: gpd.GeoDataFrame  # columns: code, geometry (EPSG:4326)
    code_column: str
    year: int | None
    dropped: int = 0
    dropped_examples: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _open(path: Path, label: str, warnings: list[str]) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise GeographyError(f"{label} file {path} does not exist", fix="check the path")
    try:
        if path.suffix.lower() in {".parquet", ".geoparquet"}:
            return gpd.read_parquet(path)
        layers = pyogrio.list_layers(path)
        if len(layers) > 1:
            warnings.append(f"{path} has {len(layers)} layers; read the first, {layers[0][0]!r}")
        return gpd.read_file(path, layer=str(layers[0][0]), engine="pyogrio")
    except MemoryError as error:
        raise GeographyError(
            f"{label} file {path} ({file_size(path)}) is too large for this machine's memory",
            fix="use generalised boundaries (ONS 'BGC' or 'BSC' files rather than full-resolution "
            "'BFC'/'BFE') or a file of your borough's areas only, or run on a machine with more "
            "memory",
        ) from error
    except Exception as error:  # GDAL/pyarrow raise many types for unreadable files
        raise GeographyError(
            f"cannot read {label} file {path}: {error}", fix=f"supply {_FORMATS} with geometry"
        ) from error


def _code_column(
    frame: gpd.GeoDataFrame,
    level: Level,
    path: Path,
    known: set[str],
    column_map: Mapping[str, str],
) -> str:
    """The column holding area codes: mapped, else an ONS name, else the best value match."""
    columns = [str(column) for column in frame.columns if column != frame.geometry.name]
    folded = {column.casefold(): column for column in columns}
    explicit = column_map.get(f"{level}_boundary_code")
    if explicit is not None:
        if explicit.casefold() not in folded:
            raise GeographyError(
                f"{path} has no column {explicit!r}; its columns are: {', '.join(columns)}",
                fix=f"map the code column with --column {level}_boundary_code=COLUMN",
            )
        return folded[explicit.casefold()]
    shared = column_map.get(CODE_COLUMNS[level], "").casefold()  # the lookup's name, if mapped
    if shared in folded:
        return folded[shared]
    pattern = re.compile(ONS_CODE_COLUMNS[level], re.IGNORECASE)
    candidates = [column for column in columns if pattern.fullmatch(column)]
    if not candidates:  # fall back on the text column whose values match the lookup's codes
        candidates = [
            column
            for column in columns
            if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column])
        ]

    def overlap(column: str) -> int:
        return int(frame[column].astype(str).str.strip().isin(known).sum())

    best = max(candidates, key=overlap, default=None)
    if best is not None and overlap(best) == 0 and pattern.fullmatch(best):
        raise GeographyError(
            f"none of the codes in column {best!r} of {path} is a {level} of the lookup "
            f"(e.g. {', '.join(frame[best].astype(str).head(3))}; the lookup has "
            f"{', '.join(sorted(known)[:3])})",
            fix="use a boundary file for the same area and year as the lookup",
        )
    if best is None or overlap(best) == 0:
        raise GeographyError(
            f"{path} has no {level} code column matching the lookup (looked for names like "
            f"{EXAMPLE_CODE_COLUMNS[level]}); its columns are: {', '.join(columns)}",
            fix=f"map it with --column {level}_boundary_code=COLUMN",
        )
    return best


def _check_geometry(
    frame: gpd.GeoDataFrame, path: Path, level: str, *, points: bool
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Repair invalid polygons; raise naming every feature that cannot be used."""
    geometries = list(shapely.force_2d(frame.geometry.array))
    wanted = {"Point", "MultiPoint"} if points else {"Polygon", "MultiPolygon"}
    problems: list[str] = []
    repaired: list[str] = []
    for position, (code, geometry) in enumerate(zip(frame["code"], geometries, strict=True)):
        if geometry is None or geometry.is_empty:
            problems.append(f"{code} (no geometry)")
        elif geometry.geom_type not in wanted:
            problems.append(f"{code} ({geometry.geom_type})")
        elif not points and not geometry.is_valid:
            fixed = polygonal_part(
                shapely.make_valid(geometry, method="structure", keep_collapsed=False)
            )
            if fixed.is_empty or fixed.area <= 0:
                problems.append(f"{code} (invalid polygon that has no area once repaired)")
            else:
                geometries[position] = fixed
                repaired.append(str(code))
    if problems:
        expected = "points" if points else "polygons"
        hint = "; pass polygons with --boundaries oa=FILE" if points else ""
        raise GeographyError(
            f"{path}: {level} features cannot be used as {expected}: {', '.join(problems[:10])}"
            + (" …" if len(problems) > 10 else ""),
            fix="fix or replace those features (e.g. QGIS 'Fix geometries') and import "
            f"again{hint}",
        )
    checked = gpd.GeoDataFrame(
        {"code": frame["code"].to_numpy()}, geometry=geometries, crs=frame.crs
    )
    return checked, repaired


def _dissolve_duplicates(frame: gpd.GeoDataFrame, points: bool) -> gpd.GeoDataFrame:
    if points:
        return frame.drop_duplicates("code").reset_index(drop=True)
    merged = frame.groupby("code", sort=True)["geometry"].apply(
        lambda parts: polygonal_part(shapely.union_all(parts.array))
    )
    return gpd.GeoDataFrame({"code": merged.index.to_numpy()}, geometry=list(merged), crs=frame.crs)


_SHORT_NAMES: dict[Level, str] = {
    "oa": "OA",
    "lsoa": "LSOA",
    "msoa": "MSOA",
    "ward": "ward",
    "borough": "borough",
}


def _examples(codes: list[str]) -> str:
    return ", ".join(codes[:5]) + (" …" if len(codes) > 5 else "")


def _check_coverage(
    path: Path,
    level: Level,
    option: str,
    code_column: str,
    codes: pd.Series,
    keep: np.ndarray,
    known_codes: set[str],
    lookup_year: int | None,
    points: bool,
) -> None:
    """Raise unless the file has every area of the lookup, of the lookup's census."""
    year = code_year(code_column)
    other_census = (
        level in CENSUS_LEVELS
        and year is not None
        and lookup_year is not None
        and year != lookup_year
    )
    missing = sorted(known_codes - set(codes[keep]))
    if not missing and not other_census:
        return
    short = _SHORT_NAMES[level]
    kind = "centroids" if points else "boundaries"
    problems = []
    if other_census:
        problems.append(
            f"its codes (column {code_column}) are {year} {short}s but the lookup's are "
            f"{lookup_year} {short}s"
        )
    if missing:
        problems.append(
            f"{len(missing)} of the lookup's {len(known_codes)} {short}s "
            f"{'is' if len(missing) == 1 else 'are'} missing from it "
            f"(e.g. {_examples(missing)})"
        )
        dropped = sorted(set(codes[~keep]))
        if dropped:
            problems.append(
                f"{len(dropped)} of its {short} codes are not in the lookup "
                f"(e.g. {_examples(dropped)})"
            )
    wanted = lookup_year or year
    column = f"{EXAMPLE_CODE_COLUMNS[level][:-4]}{(wanted or 2021) % 100:02d}CD"
    if other_census:
        fix = (
            f"use {lookup_year} {short} {kind} (code column {column}, from the ONS Open "
            f"Geography Portal), or a lookup of {year} areas"
        )
    else:
        leave_out = {
            "oa": "OA polygons are then approximated from --centroids, if given",
            "ward": "the bundle then has no ward polygons",
        }.get(level, f"{short} polygons are then dissolved from finer ones, where given")
        if points:
            leave_out = "approximate OA polygons are then not made"
        fix = (
            f"use {short} {kind} of the same year as the lookup that cover all of its "
            f"{short}s (e.g. code column {column}); or leave out {option} ({leave_out})"
        )
    what = f"{short} {kind}" if points else f"{level} boundary file"
    raise GeographyError(
        f"{path} ({what}) does not cover the lookup's areas: " + "; ".join(problems), fix=fix
    )


def read_geometry_file(
    path: Path,
    level: Level,
    known_codes: set[str],
    column_map: Mapping[str, str],
    *,
    assume_crs: str | None = None,
    option: str = "--boundaries",
    points: bool = False,
    lookup_year: int | None = None,
) -> GeometryRead:
    """Read one boundary (or, with ``points``, centroid) file for ``level``.

    Keeps the features whose code is in ``known_codes`` (reporting the others as dropped),
    reprojects them to EPSG:4326 and repairs invalid polygons. ``option`` is the CLI spelling
    used in error messages, e.g. ``--boundaries ward``. A GeographyError when the file lacks
    some of ``known_codes``, holds another census's areas than ``lookup_year``'s (OAs, LSOAs,
    MSOAs), or has coordinates that cannot be in its CRS.
    """
    label = "centroid" if points else f"{level} boundary"
    warnings: list[str] = []
    raw = _open(path, label, warnings)
    own = None if raw.crs is None else CRS(raw.crs)
    frame = declare_crs(raw, path, option, assume_crs, warnings)
    code_column = _code_column(frame, level, path, known_codes, column_map)
    codes = frame[code_column].astype(str).str.strip()
    keep = codes.isin(known_codes).to_numpy()
    _check_coverage(path, level, option, code_column, codes, keep, known_codes, lookup_year, points)
    original = gpd.GeoDataFrame(
        {"code": codes[keep].to_numpy()}, geometry=frame.geometry.array[keep], crs=frame.crs
    )
    check_coordinates(original, path, option, own, assume_crs)
    kept = original.to_crs(WGS84)
    check_in_uk(kept, original, path, option, own, assume_crs)
    kept, repaired = _check_geometry(kept, path, level, points=points)
    read = GeometryRead(
        frame=kept, code_column=code_column, year=code_year(code_column), warnings=warnings
    )
    if repaired:
        read.warnings.append(f"repaired invalid {level} polygons in {path}: {', '.join(repaired)}")
    if kept["code"].duplicated().any():
        duplicates = sorted(set(kept["code"][kept["code"].duplicated()]))
        read.notes.append(
            f"{path} has several features for {len(duplicates)} {level} code(s) "
            f"(e.g. {', '.join(duplicates[:3])}); {'kept the first' if points else 'merged them'}"
        )
        read.frame = _dissolve_duplicates(kept, points)
    read.dropped = int((~keep).sum())
    read.dropped_examples = sorted(set(codes[~keep]))[:5]
    read.missing = sorted(known_codes - set(read.frame["code"]))
    return read
