"""Voronoi tessellation helpers: cells tile the region whatever the generator points."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from boroughkit.geography.tessellation import (
    generators_within,
    planar_partition,
    polygonal_part,
    tessellate,
)

L_SHAPE = shapely.Polygon([(0, 0), (4, 0), (4, 1), (1, 1), (1, 3), (0, 3)])


def _assert_tiles(cells: list[shapely.Geometry], region: shapely.Geometry) -> None:
    assert all(cell.is_valid and not cell.is_empty for cell in cells)
    assert sum(cell.area for cell in cells) == pytest.approx(region.area, rel=1e-9)
    assert shapely.union_all(cells).symmetric_difference(region).area < 1e-9 * region.area


def test_a_single_point_gets_the_whole_region() -> None:
    (cell,) = tessellate(np.array([[0.5, 0.5]]), L_SHAPE)
    assert cell.equals(L_SHAPE)
    assert tessellate(np.empty((0, 2)), L_SHAPE) == []


def test_points_outside_and_duplicates_still_get_cells() -> None:
    points = np.array([[0.5, 0.5], [0.5, 0.5], [3.0, 2.5], [9.0, 9.0], [2.0, 0.5]])
    adjusted = generators_within(points, L_SHAPE)
    assert len({tuple(point) for point in adjusted.tolist()}) == len(points)
    assert shapely.covers(L_SHAPE, shapely.points(adjusted)).all()
    inset = generators_within(points, L_SHAPE, inset=0.1)
    assert shapely.contains(L_SHAPE.buffer(-0.05), shapely.points(inset[[2, 3]])).all()
    cells = tessellate(points, L_SHAPE)
    assert len(cells) == len(points)
    _assert_tiles(cells, L_SHAPE)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-1, 5, allow_nan=False), st.floats(-1, 4, allow_nan=False)),
        min_size=1,
        max_size=12,
    )
)
def test_any_points_tile_the_region(points: list[tuple[float, float]]) -> None:
    cells = tessellate(np.array(points), L_SHAPE)
    assert len(cells) == len(points)
    _assert_tiles(cells, L_SHAPE)


def test_planar_partition_closes_enclosed_hairline_gaps() -> None:
    left = shapely.box(0, 0, 1, 1)
    right = shapely.Polygon([(1 + 1e-12, 0), (2, 0), (2, 1), (1 + 1e-12, 1)])  # a 1e-12 gap
    above, below = shapely.box(0, 1, 2, 2), shapely.box(0, -1, 2, 0)
    assert len(shapely.union_all([left, right, above, below]).interiors) == 1
    fixed = planar_partition([left, right, above, below])
    union = shapely.union_all(fixed)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    assert sum(cell.area for cell in fixed) == pytest.approx(union.area, rel=1e-12)


def test_polygonal_part_drops_lines() -> None:
    mixed = shapely.GeometryCollection(
        [shapely.box(0, 0, 1, 1), shapely.LineString([(1, 1), (2, 2)])]
    )
    assert polygonal_part(mixed).equals(shapely.box(0, 0, 1, 1))
    assert polygonal_part(shapely.LineString([(0, 0), (1, 1)])).is_empty
