"""Voronoi tessellation of a region around generator points.

Used to derive approximate OA polygons from population-weighted centroids (each cell clipped to
the OA's LSOA so the cells tile it) and to draw the demo borough.
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

_POLYGON_TYPES = {"Polygon", "MultiPolygon"}


def polygonal_part(geometry: BaseGeometry) -> BaseGeometry:
    """The polygons of ``geometry`` (dropping lines and points an overlay may leave)."""
    if geometry.is_empty or geometry.geom_type in _POLYGON_TYPES:
        return geometry
    parts = [
        part
        for part in shapely.get_parts(geometry)
        if part.geom_type in _POLYGON_TYPES and not part.is_empty
    ]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts)


def generators_within(points: np.ndarray, region: BaseGeometry, inset: float = 0.0) -> np.ndarray:
    """Points moved into ``region`` when outside it, and nudged apart when they coincide.

    A generator outside its region would get an empty clipped cell; the closest point of the
    region (``inset`` inside its edge, when that leaves something) keeps the cell non-empty
    and as near as possible to where the centroid lies.
    """
    adjusted = np.array(points, dtype=float, copy=True).reshape(-1, 2)
    geometries = shapely.points(adjusted)
    outside = ~shapely.covers(region, geometries)
    target = region
    if inset > 0 and outside.any():
        inner = region.buffer(-inset)
        target = inner if not inner.is_empty else region
    for index in np.flatnonzero(outside):
        nearest = shapely.shortest_line(target, geometries[index])
        adjusted[index] = shapely.get_coordinates(nearest)[0]
    extent = max(np.ptp(np.asarray(region.bounds).reshape(2, 2), axis=0).max(), 1e-9)
    # Points closer than this are treated as one: Voronoi cells between them would be empty.
    tolerance = 1e-7 * extent
    anchor = np.asarray(region.representative_point().coords[0])
    for _ in range(len(adjusted)):
        pairs = cKDTree(adjusted).query_pairs(tolerance, output_type="ndarray")
        duplicates = np.unique(pairs[:, 1]) if len(pairs) else pairs[:0, 1]
        if not len(duplicates):
            break
        for rank, index in enumerate(duplicates, start=1):
            # Step towards an interior point so the nudged generator stays inside the region.
            step = (anchor - adjusted[index]) * 1e-3 * rank
            if np.hypot(*step) < 10 * tolerance:
                step = np.array([10 * tolerance * rank, 0.0])
            adjusted[index] += step
    return adjusted


def voronoi_cells(points: np.ndarray, region: BaseGeometry) -> list[BaseGeometry]:
    """Unclipped Voronoi cells, one per point in input order, covering ``region``'s envelope.

    Points must be distinct (see :func:`generators_within`).
    """
    coordinates = np.asarray(points, dtype=float).reshape(-1, 2)
    minx, miny, maxx, maxy = region.bounds
    margin = max(maxx - minx, maxy - miny, 1e-9)
    frame = shapely.box(minx - margin, miny - margin, maxx + margin, maxy + margin)
    if len(coordinates) == 1:
        return [frame]
    cells = shapely.voronoi_polygons(
        shapely.multipoints(coordinates), extend_to=frame, ordered=True
    )
    return list(shapely.get_parts(cells))


def clip_cells(cells: list[BaseGeometry], region: BaseGeometry) -> list[BaseGeometry]:
    """Each cell intersected with ``region``, keeping only polygonal parts."""
    clipped = shapely.intersection(np.asarray(cells, dtype=object), region)
    return [polygonal_part(shapely.make_valid(cell)) for cell in clipped]


def tessellate(points: np.ndarray, region: BaseGeometry) -> list[BaseGeometry]:
    """Cells that tile ``region``, one per point (points outside are pulled onto it)."""
    if len(points) == 0:
        return []
    generators = generators_within(points, region)
    return clip_cells(voronoi_cells(generators, region), region)


def planar_partition(cells: list[BaseGeometry]) -> list[BaseGeometry]:
    """Cells rebuilt from one noded set of edges, so neighbours share edges vertex for vertex.

    Cells clipped separately can leave hairline overlaps, or gaps enclosed by other cells,
    where their edges were computed twice; noding all edges together and giving each face to
    one cell removes them, so unions of neighbours close exactly.
    """
    cell_array = np.asarray(cells, dtype=object)
    linework = shapely.union_all(shapely.boundary(cell_array))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(linework)))
    points = shapely.point_on_surface(faces)
    tree = shapely.STRtree(cell_array)
    owner = np.full(len(faces), -1, dtype=int)
    face_index, cell_index = tree.query(points, predicate="within")
    # Where a face lies in two cells (an overlap sliver) the lower index wins, deterministically.
    for face, cell in sorted(
        zip(face_index.tolist(), cell_index.tolist(), strict=True), reverse=True
    ):
        owner[face] = cell
    for face in np.flatnonzero(owner < 0):
        owner[face] = int(tree.query_nearest(points[face])[0])  # a gap sliver
    return [
        polygonal_part(shapely.union_all(faces[owner == index])) for index in range(len(cell_array))
    ]


def relax(points: np.ndarray, region: BaseGeometry, iterations: int) -> np.ndarray:
    """Lloyd relaxation: move each point to its cell's centroid, ``iterations`` times."""
    current = generators_within(points, region)
    for _ in range(iterations):
        cells = tessellate(current, region)
        centroids = shapely.get_coordinates(shapely.centroid(np.asarray(cells, dtype=object)))
        if len(centroids) != len(current):
            break
        current = generators_within(centroids, region)
    return current
