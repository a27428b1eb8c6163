"""The built-in demo borough: sizes, nesting, valid polygons, codes, postcodes, determinism."""

from __future__ import annotations

import re

import numpy as np
import pytest
import shapely

from boroughkit.geography import LEVELS, GeographyBundle, build_demo_bundle, open_bundle
from boroughkit.geography.levels import CODE_COLUMNS, Level

# Any real GSS code (E00…, E01…, E05…, E09…, W…, S…, N…), in any of the level code columns.
REAL_GSS_CODE = re.compile(r"^[EWSNK]\d{8}$")
UK_POSTCODE_SHAPE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$")


@pytest.fixture(scope="module")
def demo() -> GeographyBundle:
    return open_bundle("builtin:demo")


def _relative_mismatch(parts: list[shapely.Geometry], whole: shapely.Geometry) -> float:
    union = shapely.union_all(parts)
    return float(union.symmetric_difference(whole).area / whole.area)


def test_demo_has_the_intended_number_of_areas(demo: GeographyBundle) -> None:
    counts = {level: demo.lookup[CODE_COLUMNS[level]].nunique() for level in LEVELS}
    assert 550 <= counts["oa"] <= 650
    assert 100 <= counts["lsoa"] <= 140
    assert 20 <= counts["msoa"] <= 30
    assert 15 <= counts["ward"] <= 25
    assert counts["borough"] == 1
    assert set(demo.boundaries) == set(LEVELS)
    assert {level: len(demo.boundaries[level]) for level in LEVELS} == counts


def test_demo_levels_nest_exactly_in_the_lookup(demo: GeographyBundle) -> None:
    lookup = demo.lookup
    assert lookup.groupby("lsoa_code")["msoa_code"].nunique().max() == 1
    assert lookup.groupby("msoa_code")["borough_code"].nunique().max() == 1
    lsoas_per_oa = lookup.groupby("lsoa_code").size()
    assert lsoas_per_oa.between(3, 8).all()


@pytest.mark.parametrize("level", ["lsoa", "msoa", "ward", "borough"])
def test_every_polygon_is_the_union_of_its_oas(demo: GeographyBundle, level: Level) -> None:
    oa_shapes = demo.boundaries["oa"].set_index("code").geometry
    parents = demo.boundaries[level].set_index("code").geometry
    for code, members in demo.lookup.groupby(CODE_COLUMNS[level]):
        assert _relative_mismatch(list(oa_shapes[members["oa_code"]]), parents[code]) < 1e-9


def test_oa_polygons_are_valid_and_tile_the_borough_without_gaps(demo: GeographyBundle) -> None:
    for level in LEVELS:
        geometry = demo.boundaries[level].geometry
        assert geometry.is_valid.all(), level
        assert not geometry.is_empty.any(), level
        assert (~demo.boundaries[level]["approximate"]).all()
    borough = demo.boundaries["borough"].geometry.iloc[0]
    oa_area = float(shapely.area(demo.boundaries["oa"].geometry.array).sum())
    assert oa_area == pytest.approx(borough.area, rel=1e-9)  # no overlaps
    assert borough.geom_type == "Polygon" and len(borough.interiors) == 0  # no slivers


def test_demo_lies_over_the_sea_and_says_it_is_synthetic(demo: GeographyBundle) -> None:
    minx, miny, maxx, maxy = demo.boundaries["borough"].total_bounds
    assert 2.0 < minx < maxx < 2.7 and 52.5 < miny < maxy < 53.0  # North Sea, off Norfolk
    assert demo.info.synthetic
    assert "North Sea" in " ".join(demo.info.notes)
    assert any("synthetic" in line.lower() for line in demo.info.attribution)
    assert demo.info.oa_geometry == "polygons"


def test_demo_codes_cannot_be_taken_for_real_ons_codes(demo: GeographyBundle) -> None:
    for level in LEVELS:
        codes = demo.lookup[CODE_COLUMNS[level]]
        assert not codes.str.match(REAL_GSS_CODE).any(), level
        assert codes.str.startswith("DEMO-").all(), level
    assert demo.lookup["oa_code"].str.fullmatch(demo.info.oa_code_pattern[1:-1]).all()
    assert demo.lookup["ward_name"].str.startswith("Demo Ward: ").all()


def test_demo_populations_are_plausible(demo: GeographyBundle) -> None:
    population = demo.lookup["population"]
    households = demo.lookup["households"]
    assert population.notna().all() and households.notna().all()
    assert population.between(100, 625).all()
    assert 180_000 <= population.sum() <= 220_000
    assert 250 <= population.mean() <= 400
    size = population / households
    assert size.between(1.5, 4.5).all()
    assert demo.areas("borough")["population"].iloc[0] == population.sum()


def test_demo_postcodes_have_uk_shape_in_a_non_existent_area(demo: GeographyBundle) -> None:
    postcodes = demo.postcodes
    assert postcodes is not None
    assert postcodes["postcode"].str.match(UK_POSTCODE_SHAPE).all()
    assert postcodes["postcode"].str.match(r"^DM\d{1,2} ").all()
    assert not postcodes["postcode"].duplicated().any()
    per_oa = postcodes.groupby("oa_code").size()
    assert set(per_oa.index) == set(demo.lookup["oa_code"])
    assert per_oa.between(5, 15).all()


def test_demo_is_deterministic() -> None:
    first = build_demo_bundle()
    second = build_demo_bundle()
    assert first.fingerprint == second.fingerprint
    assert len(first.fingerprint) == 64 and int(first.fingerprint, 16) >= 0
    np.testing.assert_array_equal(first.lookup["population"], second.lookup["population"])


def test_open_bundle_returns_independent_copies(demo: GeographyBundle) -> None:
    mine = open_bundle("builtin:demo")
    mine.lookup.loc[0, "population"] = 0
    mine.boundaries["oa"].drop(index=0, inplace=True)
    fresh = open_bundle("builtin:demo")
    original = int(demo.lookup["population"].iloc[0])
    assert int(fresh.lookup["population"].iloc[0]) == original != 0
    assert len(fresh.boundaries["oa"]) == len(demo.boundaries["oa"])
    assert fresh.fingerprint == demo.fingerprint
