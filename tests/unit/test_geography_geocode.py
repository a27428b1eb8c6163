"""Geocoding on the demo borough: each method, every unmatched reason, and the method rules."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from boroughkit.errors import ConfigError, DataError, GeographyError
from boroughkit.geography import GeographyBundle, geocode, open_bundle


@pytest.fixture(scope="module")
def demo() -> GeographyBundle:
    return open_bundle("builtin:demo")


def _inside_points(demo: GeographyBundle, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Points well inside ``count`` OAs (lon/lat), with the OA codes they lie in."""
    oas = demo.boundaries["oa"].iloc[:count]
    points = shapely.point_on_surface(oas.geometry.array)
    return shapely.get_coordinates(points), oas["code"].to_numpy()


def test_by_oa_code_counts_every_reason(demo: GeographyBundle) -> None:
    values = [
        "DEMO-OA-0001",  # matched
        "  demo-oa-0002 ",  # matched after normalising case and spaces
        None,  # missing_value
        "",  # missing_value
        "E00000001",  # malformed for the demo (an ONS-shaped code)
        "DEMO-OA-9999",  # unknown_oa_code
        "DEMO-OA-0003",  # matched
    ]
    frame = pd.DataFrame({"oa": values}, index=[10, 11, 12, 13, 14, 15, 16])
    result = geocode(frame, demo, oa_column="oa")
    assert result.total == 7 and result.matched == 3 and result.unmatched_total == 4
    assert result.unmatched == {"missing_value": 2, "malformed_oa_code": 1, "unknown_oa_code": 1}
    assert result.examples == {
        "missing_value": [2, 3], "malformed_oa_code": [4], "unknown_oa_code": [5],
    }  # fmt: skip
    assert list(result.oa_code.index) == list(frame.index)
    assert result.oa_code[11] == "DEMO-OA-0002"
    assert result.oa_code[[12, 13, 14, 15]].isna().all()
    assert "3 of 7" in result.describe() and "unknown_oa_code" in result.describe()


def test_by_postcode_counts_every_reason(demo: GeographyBundle) -> None:
    assert demo.postcodes is not None
    known = demo.postcodes.iloc[[0, 100, 2000]]
    unused = sorted({f"DM1 {digit}ZZ" for digit in range(10)} - set(demo.postcodes["postcode"]))
    compact = known["postcode"].iloc[1].replace(" ", "").lower()
    values = [known["postcode"].iloc[0], compact, None, "NOT A POSTCODE", unused[0], "  "]
    result = geocode(pd.DataFrame({"pc": values}), demo, postcode_column="pc")
    assert result.unmatched == {"missing_value": 2, "malformed_postcode": 1, "unknown_postcode": 1}
    assert list(result.oa_code[:2]) == list(known["oa_code"].iloc[:2])
    # A user's lookup (NSPL-style names) can place postcodes outside the borough.
    nspl = pd.DataFrame(
        {
            "pcds": ["ZZ1 1AA", known["postcode"].iloc[2]],
            "oa21cd": ["E00000001", known["oa_code"].iloc[2]],
        }
    )
    outside = geocode(
        pd.DataFrame({"pc": ["zz11aa", known["postcode"].iloc[2], "DM1 1AB"]}), demo,
        postcode_column="pc", postcode_lookup=nspl,
    )  # fmt: skip
    assert outside.unmatched == {"outside_borough": 1, "unknown_postcode": 1}
    assert outside.oa_code[1] == known["oa_code"].iloc[2]


def test_by_wgs84_coordinates_counts_every_reason(demo: GeographyBundle) -> None:
    points, codes = _inside_points(demo, 5)
    x = [*points[:, 0], None, "east", 500.0, 0.0]
    y = [*points[:, 1], 52.7, "52.7", 52.7, 51.5]  # …, missing, unreadable, out of range, land
    result = geocode(
        pd.DataFrame({"lon": x, "lat": y}), demo, x_column="lon", y_column="lat", crs="EPSG:4326"
    )
    assert list(result.oa_code[:5]) == list(codes)
    assert result.unmatched == {"missing_value": 1, "invalid_coordinates": 2, "outside_borough": 1}
    assert result.examples["invalid_coordinates"] == [6, 7]
    assert result.warnings == ()


def test_by_british_national_grid_coordinates(demo: GeographyBundle) -> None:
    points, codes = _inside_points(demo, 40)
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    easting, northing = to_bng.transform(points[:, 0], points[:, 1])
    frame = pd.DataFrame({"e": np.append(easting, -5e6), "n": np.append(northing, 1e5)})
    result = geocode(frame, demo, x_column="e", y_column="n")  # EPSG:27700 by default
    assert list(result.oa_code[:40]) == list(codes)
    assert result.unmatched == {"invalid_coordinates": 1}


def test_coordinates_need_oa_polygons_and_postcodes_need_a_lookup(demo: GeographyBundle) -> None:
    no_oa = {level: frame for level, frame in demo.boundaries.items() if level != "oa"}
    bare = replace(
        demo, boundaries=no_oa, postcodes=None,
        info=replace(demo.info, polygon_levels=tuple(no_oa), oa_geometry="none"),
    )  # fmt: skip
    frame = pd.DataFrame({"x": [2.3], "y": [52.7], "pc": ["DM1 0AB"]})
    with pytest.raises(GeographyError, match="no OA polygons"):
        geocode(frame, bare, x_column="x", y_column="y", crs="EPSG:4326")
    with pytest.raises(GeographyError, match="no postcodes"):
        geocode(frame, bare, postcode_column="pc")


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"oa_column": "a", "postcode_column": "b"},
        {"x_column": "a"},
        {"oa_column": "a", "postcode_lookup": pd.DataFrame({"postcode": [], "oa_code": []})},
    ],
)
def test_exactly_one_method_is_required(demo: GeographyBundle, options: dict) -> None:
    with pytest.raises(ConfigError):
        geocode(pd.DataFrame({"a": ["x"], "b": ["y"]}), demo, **options)


def test_a_missing_column_is_named(demo: GeographyBundle) -> None:
    with pytest.raises(DataError, match=r"'postcode'.*its columns are: a"):
        geocode(pd.DataFrame({"a": ["x"]}), demo, postcode_column="postcode")


def test_conflicting_postcode_lookup_is_rejected(demo: GeographyBundle) -> None:
    lookup = pd.DataFrame(
        {"postcode": ["DM1 0AB", "dm10ab"], "oa_code": ["DEMO-OA-0001", "DEMO-OA-0002"]}
    )
    with pytest.raises(DataError, match="DM1 0AB"):
        geocode(
            pd.DataFrame({"pc": ["DM1 0AB"]}), demo, postcode_column="pc", postcode_lookup=lookup
        )


def test_at_level_maps_matched_rows(demo: GeographyBundle) -> None:
    result = geocode(pd.DataFrame({"oa": ["DEMO-OA-0001", None]}), demo, oa_column="oa")
    wards = result.at_level(demo, "ward")
    assert wards[0] == demo.lookup.set_index("oa_code").loc["DEMO-OA-0001", "ward_code"]
    assert pd.isna(wards[1])


def test_two_hundred_thousand_points(demo: GeographyBundle) -> None:
    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = demo.boundaries["borough"].total_bounds
    frame = pd.DataFrame(
        {"x": rng.uniform(minx, maxx, 200_000), "y": rng.uniform(miny, maxy, 200_000)}
    )
    result = geocode(frame, demo, x_column="x", y_column="y", crs="EPSG:4326")
    assert result.matched + result.unmatched.get("outside_borough", 0) == 200_000
    borough = demo.boundaries["borough"].geometry.iloc[0]
    inside = shapely.contains_xy(borough, frame["x"].to_numpy(), frame["y"].to_numpy())
    assert abs(result.matched - int(inside.sum())) <= 5  # points exactly on the outline
