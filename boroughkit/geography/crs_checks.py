"""Coordinate sanity of boundary files: the CRS a file declares (or is declared to have) must
fit its coordinates, and ONS areas must land in the United Kingdom; otherwise the import stops
with the CRS the coordinates look like."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError

from boroughkit.errors import ConfigError, GeographyError

#: Longitude/latitude box of the UK (British National Grid's area of use, which holds Northern
#: Ireland's longitudes too): features with ONS codes must lie in it, give or take _MARGIN.
_UK = (-9.01, 49.75, 2.01, 61.01)

#: Degrees by which data may overrun an area of use (generalised coasts, offshore areas).
_MARGIN = 1.0

#: An ONS (GSS) area code: E00000001, W05000123, S12000036 …
ONS_CODE = re.compile(r"^[EWSNKLM]\d{8}$")


def feature_bounds(frame: gpd.GeoDataFrame) -> np.ndarray | None:
    """(minx, miny, maxx, maxy) of the features that have a geometry; None if none has."""
    geometries = frame.geometry.array
    present = ~(shapely.is_missing(geometries) | shapely.is_empty(geometries))
    if not present.any():
        return None
    boxes = shapely.bounds(geometries[present])
    return np.array([boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()])


def looks_like_degrees(bounds: np.ndarray) -> bool:
    minx, miny, maxx, maxy = bounds
    return bool(minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90)


def suggest_crs(frame: gpd.GeoDataFrame) -> str:
    """Which CRS the coordinates of ``frame`` look like, in words."""
    bounds = feature_bounds(frame)
    if bounds is None or not np.isfinite(bounds).all():
        return "the CRS named in the file's metadata (a .prj file or the export settings)"
    minx, miny, maxx, maxy = bounds
    if looks_like_degrees(bounds):
        return "EPSG:4326 (the coordinates look like longitude/latitude)"
    if minx >= -200_000 and maxx <= 900_000 and miny >= -200_000 and maxy <= 1_400_000:
        return "EPSG:27700 (British National Grid eastings/northings in metres)"
    if minx >= -1_200_000 and maxx <= 400_000 and miny >= 6_300_000 and maxy <= 8_800_000:
        return "EPSG:3857 (web Mercator metres, as web maps use)"
    return (
        "the CRS named in the file's metadata (a .prj file or the export settings); its "
        "coordinates look like neither longitude/latitude nor British National Grid"
    )


def declare_crs(
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
            fix=f"declare it with {option}={path}@EPSG:XXXX; most likely {suggest_crs(frame)}",
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


def where(bounds: np.ndarray) -> str:
    minx, miny, maxx, maxy = bounds
    return f"x {minx:.6g} to {maxx:.6g}, y {miny:.6g} to {maxy:.6g}"


def declare_fix(option: str, path: Path, own: CRS | None, assume: str | None) -> str:
    """How to declare the right CRS; names the file's own CRS when a declaration overrode it."""
    fix = f"declare the CRS the coordinates are in with {option}={path}@EPSG:XXXX"
    if assume is not None and own is not None and not own.equals(CRS.from_user_input(assume)):
        fix += f", or drop @{assume} to use the file's own CRS ({own.to_string()})"
    return fix


def check_coordinates(
    frame: gpd.GeoDataFrame, path: Path, option: str, own: CRS | None, assume: str | None
) -> None:
    """Raise unless the coordinates of ``frame`` can be in its CRS (before reprojecting).

    Catches longitude/latitude declared as (or labelled) a projected CRS such as British
    National Grid, which would put every feature within a few metres of the CRS's origin, and
    coordinates outside the area where the CRS is used.
    """
    bounds = feature_bounds(frame)
    if bounds is None:
        return
    crs = CRS(frame.crs)
    name = f"{crs.name} ({crs.to_string()})"
    if not np.isfinite(bounds).all():
        raise GeographyError(
            f"{path} has coordinates that are not finite numbers", fix="fix or drop those features"
        )
    unit = crs.axis_info[0].unit_name if crs.axis_info else "unit"
    if crs.is_projected and looks_like_degrees(bounds):
        span = max(bounds[2] - bounds[0], bounds[3] - bounds[1])
        raise GeographyError(
            f"{path}: its coordinates ({where(bounds)}) are in {name}, whose units are "
            f"{unit}s, so every feature would be squeezed into {span:.3g} {unit}s near the "
            "CRS's origin; they look like longitude/latitude (EPSG:4326)",
            fix=(
                f"drop @{assume}: the file itself says {own.to_string()}, which fits its "
                "coordinates"
                if assume is not None and own is not None and own.is_geographic
                else f"declare the CRS with {option}={path}@EPSG:4326"
            ),
        )
    area = crs.area_of_use
    if area is None:
        return
    try:
        lon_min, lat_min, lon_max, lat_max = Transformer.from_crs(
            crs, "EPSG:4326", always_xy=True
        ).transform_bounds(*bounds)
    except ProjError:
        lon_min = lat_min = lon_max = lat_max = np.nan
    reached = np.array([lon_min, lat_min, lon_max, lat_max])
    inside = (
        np.isfinite(reached).all()
        and lon_min <= lon_max
        and lat_min <= lat_max
        and lon_min >= area.west - _MARGIN
        and lon_max <= area.east + _MARGIN
        and lat_min >= area.south - _MARGIN
        and lat_max <= area.north + _MARGIN
    )
    if not inside:
        raise GeographyError(
            f"{path}: its coordinates ({where(bounds)}) lie outside the area where {name} is "
            f"used ({area.name.rstrip('.')}: longitude {area.west:g} to {area.east:g}, latitude "
            f"{area.south:g} to {area.north:g}), so the file is not in {crs.to_string()}",
            fix=f"{declare_fix(option, path, own, assume)}; most likely {suggest_crs(frame)}",
        )


def check_in_uk(
    placed: gpd.GeoDataFrame,
    original: gpd.GeoDataFrame,
    path: Path,
    option: str,
    own: CRS | None,
    assume: str | None,
) -> None:
    """Raise when features with ONS codes land outside the UK once reprojected."""
    bounds = feature_bounds(placed)
    if bounds is None or not placed["code"].str.fullmatch(ONS_CODE.pattern).all():
        return
    lon_min, lat_min, lon_max, lat_max = bounds
    west, south, east, north = _UK
    if (
        np.isfinite(bounds).all()
        and lon_min >= west - _MARGIN
        and lon_max <= east + _MARGIN
        and lat_min >= south - _MARGIN
        and lat_max <= north + _MARGIN
    ):
        return
    raise GeographyError(
        f"{path}: read as {CRS(original.crs).to_string()}, its features (ONS areas of the UK) "
        f"land at longitude {lon_min:.4g} to {lon_max:.4g}, latitude {lat_min:.4g} to "
        f"{lat_max:.4g}, outside the UK, so that is not the file's CRS",
        fix=f"{declare_fix(option, path, own, assume)}; most likely {suggest_crs(original)}",
    )


def parse_crs(text: str, *, what: str) -> CRS:
    """A pyproj CRS from user text such as ``EPSG:27700``; ConfigError if unknown."""
    try:
        return CRS.from_user_input(text)
    except CRSError as error:
        raise ConfigError(
            f"{what}: {text!r} is not a coordinate reference system",
            fix="write it as EPSG:27700 (British National Grid) or EPSG:4326 (longitude/latitude)",
        ) from error
