"""Polygons the user did not supply: parents dissolved from children, approximate OAs.

Boundary frames here have columns ``code, approximate, geometry`` in EPSG:4326.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from boroughkit.geography.levels import CODE_COLUMNS, NESTED_LEVELS, Level
from boroughkit.geography.tessellation import generators_within, polygonal_part, voronoi_cells

WGS84 = "EPSG:4326"
#: For each level that can be derived, the levels it can be dissolved from, preferred first.
DISSOLVE_SOURCES: dict[Level, tuple[Level, ...]] = {
    "lsoa": ("oa",),
    "msoa": ("lsoa", "oa"),
    # LSOAs first: approximate OAs are clipped to LSOAs, so OAs then nest in the borough too.
    "borough": ("lsoa", "oa", "msoa", "ward"),
    "region": ("borough", "lsoa", "oa", "msoa", "ward"),
}


def _frame(codes: list[str], geometries: list[object], approximate: list[bool]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": codes, "approximate": approximate}, geometry=geometries, crs=WGS84
    )


def dissolve(
    children: gpd.GeoDataFrame, child_level: Level, parent_level: Level, lookup: pd.DataFrame
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Parent polygons as unions of their children; warns about parents with missing children."""
    pairs = lookup[[CODE_COLUMNS[child_level], CODE_COLUMNS[parent_level]]].drop_duplicates()
    parent_of = dict(zip(pairs.iloc[:, 0], pairs.iloc[:, 1], strict=True))
    expected = pairs.groupby(CODE_COLUMNS[parent_level]).size()
    grouped = children.assign(parent=children["code"].map(parent_of)).groupby("parent", sort=True)
    codes, geometries, approximate, incomplete = [], [], [], []
    for parent, members in grouped:
        codes.append(str(parent))
        geometries.append(polygonal_part(shapely.union_all(members.geometry.array)))
        approximate.append(bool(members["approximate"].any()))
        if len(members) < expected[parent]:
            incomplete.append(str(parent))
    warnings = []
    if incomplete:
        warnings.append(
            f"{parent_level} polygons derived from {child_level} polygons are incomplete for "
            f"{', '.join(incomplete[:5])}{' …' if len(incomplete) > 5 else ''} "
            f"(some {child_level} polygons are missing)"
        )
    return _frame(codes, geometries, approximate), warnings


def dissolve_missing_levels(
    polygons: dict[Level, gpd.GeoDataFrame], lookup: pd.DataFrame
) -> tuple[list[str], list[str]]:
    """Add LSOA, MSOA, borough and region polygons by dissolving finer ones, in place (not for
    a level the lookup lacks); notes, warnings."""
    notes: list[str] = []
    warnings: list[str] = []
    for target, sources in DISSOLVE_SOURCES.items():
        source = next((level for level in sources if level in polygons), None)
        if target in polygons or source is None or lookup[CODE_COLUMNS[target]].isna().all():
            continue
        polygons[target], problems = dissolve(polygons[source], source, target, lookup)
        notes.append(f"{target} polygons derived by dissolving the {source} polygons")
        warnings.extend(problems)
    return notes, warnings


def _cells_for_parent(
    points: np.ndarray, parent_metric: BaseGeometry, parent: BaseGeometry, to_wgs84: Transformer
) -> list[BaseGeometry]:
    """Cells of one parent's OAs: Voronoi in metres, clipped to the parent in EPSG:4326."""
    if len(points) == 1:
        return [parent]
    # Centroids outside a generalised parent polygon are pulled 1 m inside it.
    generators = generators_within(points, parent_metric, inset=1.0)
    cells = voronoi_cells(generators, parent_metric)
    # Transform the unclipped cells, then clip with the parent's own coordinates so the
    # cells tile exactly the polygon that is stored for the parent.
    cells_wgs84 = shapely.transform(
        np.asarray(cells, dtype=object),
        lambda xy: np.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1])),
    )
    clipped = shapely.intersection(cells_wgs84, parent)
    return [polygonal_part(shapely.make_valid(cell)) for cell in clipped]


def approximate_oa_polygons(
    centroids: gpd.GeoDataFrame,
    parents: gpd.GeoDataFrame,
    parent_level: Level,
    lookup: pd.DataFrame,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """OA polygons as Voronoi cells of OA centroids, each clipped to its parent's polygon.

    Cells are computed in a metric CRS (UTM zone of the data) so distances are true. The cells
    of one parent tile that parent. OAs with no centroid or no parent polygon get no polygon
    and are named in the returned warnings.
    """
    metric = centroids.estimate_utm_crs()
    to_wgs84 = Transformer.from_crs(metric, WGS84, always_xy=True)
    centroid_xy = centroids.to_crs(metric)
    point_of = dict(
        zip(centroid_xy["code"], shapely.get_coordinates(centroid_xy.geometry.array), strict=True)
    )
    parent_metric = dict(zip(parents["code"], parents.to_crs(metric).geometry.array, strict=True))
    parent_wgs84 = dict(zip(parents["code"], parents.geometry.array, strict=True))
    oa_parent = lookup[["oa_code", CODE_COLUMNS[parent_level]]]
    codes: list[str] = []
    geometries: list[object] = []
    no_centroid: list[str] = []
    no_parent: list[str] = []
    for parent_code, members in oa_parent.groupby(CODE_COLUMNS[parent_level], sort=True):
        oas = [code for code in members["oa_code"] if code in point_of]
        no_centroid.extend(code for code in members["oa_code"] if code not in point_of)
        if parent_code not in parent_wgs84:
            no_parent.extend(oas)
            continue
        if not oas:
            continue
        points = np.array([point_of[code] for code in oas])
        cells = _cells_for_parent(
            points, parent_metric[parent_code], parent_wgs84[parent_code], to_wgs84
        )
        codes.extend(oas)
        geometries.extend(cells)
    warnings = []
    if no_centroid:
        warnings.append(
            f"{len(no_centroid)} OA(s) have no centroid, so no approximate polygon "
            f"(e.g. {', '.join(sorted(no_centroid)[:5])})"
        )
    if no_parent:
        warnings.append(
            f"{len(no_parent)} OA(s) have no {parent_level} polygon to clip to, so no approximate "
            f"polygon (e.g. {', '.join(sorted(no_parent)[:5])})"
        )
    return _frame(codes, geometries, [True] * len(codes)), warnings


def finest_parent_level(polygons: dict[Level, gpd.GeoDataFrame]) -> Level | None:
    """The finest level above OA with polygons, to clip approximate OA cells to."""
    return next((level for level in NESTED_LEVELS[1:] if level in polygons), None)


def split_ward_polygons(
    polygons: dict[Level, gpd.GeoDataFrame], parts: dict[str, list[dict[str, str]]]
) -> list[str]:
    """Replace the polygon of each ward split by borough (``parts``: ward code → its parts'
    ``code`` and ``borough_code``) by one polygon per part, in place; returns notes.

    A part is its ward's polygon clipped to its borough's polygon when borough polygons were
    given; otherwise the whole ward's polygon, marked approximate.
    """
    wards = polygons.get("ward")
    if wards is None or not parts:
        return []
    boroughs = polygons.get("borough")
    outlines = (
        {}
        if boroughs is None
        else dict(zip(boroughs["code"], boroughs.geometry.array, strict=True))
    )
    kept = wards[~wards["code"].isin(list(parts))]
    rows: list[tuple[str, bool, BaseGeometry]] = []
    notes = []
    for ward, members in parts.items():
        found = wards[wards["code"] == ward]
        if found.empty:
            continue
        shape = found.geometry.iloc[0]
        for part in members:
            outline = outlines.get(part["borough_code"])
            clipped = None if outline is None else polygonal_part(shape.intersection(outline))
            exact = clipped is not None and not clipped.is_empty
            rows.append((part["code"], not exact, clipped if exact else shape))
        how = "clipped to each borough" if outlines else "drawn whole for each part (approximate)"
        notes.append(f"ward {ward}'s polygon {how}")
    split = _frame([r[0] for r in rows], [r[2] for r in rows], [r[1] for r in rows])
    polygons["ward"] = gpd.GeoDataFrame(
        pd.concat([kept[["code", "approximate", "geometry"]], split], ignore_index=True),
        geometry="geometry",
        crs=WGS84,
    )
    return notes
