"""Reading boundary and centroid files: any format GDAL reads, any CRS, any ONS code column.

Files are filtered to the lookup's areas (so London-wide files work), reprojected to EPSG:4326,
and invalid polygons are repaired when :func:`shapely.make_valid` gives a polygon.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from boroughkit.errors import ConfigError, GeographyError
from boroughkit.geography.levels import CODE_COLUMNS, Level
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


def parse_crs(text: str, *, what: str) -> CRS:
    """A pyproj CRS from user text such as ``EPSG:27700``; ConfigError if unknown."""
    try:
        return CRS.from_user_input(text)
    except CRSError as error:
        raise ConfigError(
            f"{what}: {text!r} is not a coordinate reference system",
            fix="write it as EPSG:27700 (British National Grid) or EPSG:4326 (longitude/latitude)",
        ) from error


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
    except Exception as error:  # GDAL/pyarrow raise many types for unreadable files
        raise GeographyError(
            f"cannot read {label} file {path}: {error}", fix=f"supply {_FORMATS} with geometry"
        ) from error


def _suggest_crs(frame: gpd.GeoDataFrame) -> str:
    minx, miny, maxx, maxy = frame.total_bounds
    if minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90:
        return "EPSG:4326 (the coordinates look like longitude/latitude)"
    return "EPSG:27700 (British National Grid eastings/northings in metres)"


def _declare_crs(
    frame: gpd.GeoDataFrame, path: Path, option: str, assume: str | None, warnings: list[str]
) -> gpd.GeoDataFrame:
    """The frame with a trustworthy CRS (declared or its own), not yet reprojected."""
    if assume is not None:
        declared = parse_crs(assume, what=f"CRS declared for {path}")
        if frame.crs is not None and not CRS(frame.crs).equals(declared):
            warnings.append(
                f"{path} says its CRS is {frame.crs.to_string()}; used {assume} as declared"
            )
        frame = frame.set_crs(declared, allow_override=True)
    if frame.crs is None:
        raise GeographyError(
            f"{path} has no coordinate reference system (CRS), so its coordinates cannot be placed",
            fix=f"declare it with {option}={path}@EPSG:XXXX; most likely {_suggest_crs(frame)}",
        )
    if CRS(frame.crs).is_geographic and not frame.empty:
        reach = float(abs(frame.total_bounds).max())
        if reach > 180:
            raise GeographyError(
                f"{path} says it is in {frame.crs.to_string()} (degrees) but its coordinates "
                f"reach {reach:.0f}, so they are not longitude/latitude",
                fix=f"declare the real CRS, e.g. {option}={path}@EPSG:27700 for British "
                "National Grid",
            )
    return frame


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


def read_geometry_file(
    path: Path,
    level: Level,
    known_codes: set[str],
    column_map: Mapping[str, str],
    *,
    assume_crs: str | None = None,
    option: str = "--boundaries",
    points: bool = False,
) -> GeometryRead:
    """Read one boundary (or, with ``points``, centroid) file for ``level``.

    Keeps the features whose code is in ``known_codes`` (reporting the others as dropped),
    reprojects them to EPSG:4326 and repairs invalid polygons. ``option`` is the CLI spelling
    used in error messages, e.g. ``--boundaries ward``.
    """
    label = "centroid" if points else f"{level} boundary"
    warnings: list[str] = []
    frame = _declare_crs(_open(path, label, warnings), path, option, assume_crs, warnings)
    code_column = _code_column(frame, level, path, known_codes, column_map)
    codes = frame[code_column].astype(str).str.strip()
    keep = codes.isin(known_codes).to_numpy()
    kept = gpd.GeoDataFrame({"code": codes[keep].to_numpy()}, geometry=frame.geometry.array[keep])
    kept = kept.set_crs(frame.crs).to_crs(WGS84)
    kept, repaired = _check_geometry(kept, path, level, points=points)
    read = GeometryRead(
        frame=kept, code_column=code_column, year=_year(code_column), warnings=warnings
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


def _year(code_column: str) -> int | None:
    match = re.search(r"(\d{2})CD$", code_column, re.IGNORECASE)
    return 2000 + int(match.group(1)) if match else None
