"""Importing and geocoding the real Barking and Dagenham geography (ONS files in ../shared/data)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from boroughkit.geography import GeographyBundle, ImportReport, geocode, import_bundle
from boroughkit.geography.importer import ONS_SOURCE_LINE
from tests.helpers.shared_data import GEO

LOOKUP = GEO / "lookup_oa21_lsoa21_msoa21_wd22_lad22_lbbd.csv"
LBBD = "E09000002"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[ImportReport, GeographyBundle]:
    report = import_bundle(
        LOOKUP,
        tmp_path_factory.mktemp("real") / "lbbd",
        boundaries={
            "ward": GEO / "wards22_bsc_lbbd.geojson",
            "lsoa": GEO / "lsoa21_bsc_lbbd.geojson",
            "msoa": GEO / "msoa21_bsc_lbbd.geojson",
        },
        centroids=GEO / "oa21_pwc_points_lbbd.geojson",
    )
    return report, GeographyBundle.load(report.bundle_path)


def _metric_area(frame: gpd.GeoDataFrame) -> pd.Series:
    return frame.set_index("code").to_crs("EPSG:27700").area


def test_real_import_counts_and_attribution(imported: tuple[ImportReport, GeographyBundle]) -> None:
    report, bundle = imported
    assert report.counts == {
        "oa": 581, "lsoa": 115, "msoa": 22, "ward": 19, "borough": 1, "region": 1
    }  # fmt: skip
    assert report.polygons == {
        "oa": 581, "lsoa": 115, "msoa": 22, "ward": 19, "borough": 1, "region": 1
    }  # fmt: skip
    assert report.oa_geometry == bundle.info.oa_geometry == "approximate"
    assert report.missing_codes == {"ward": [], "lsoa": [], "msoa": [], "centroids": []}
    assert bundle.info.attribution == (
        ONS_SOURCE_LINE,
        "Contains OS data © Crown copyright and database right 2022.",
    )
    assert bundle.info.oa_code_pattern == r"^[EW]00\d{6}$"
    assert not bundle.info.synthetic
    assert bundle.areas("borough")["population"].iloc[0] == 218_887
    assert bundle.areas("borough")["name"].iloc[0] == "Barking and Dagenham"


def test_ward_areas_follow_the_best_fit_lookup(
    imported: tuple[ImportReport, GeographyBundle],
) -> None:
    _, bundle = imported
    reference = pd.read_csv(GEO / "census2021_wd22_bestfit_sums_lbbd.csv").set_index("wd22cd")
    per_ward = bundle.lookup.groupby("ward_code").size()
    assert per_ward.to_dict() == reference["n_oa"].to_dict()
    assert per_ward.between(11, 44).all()


def test_approximate_oas_are_valid_and_tile_their_lsoas(
    imported: tuple[ImportReport, GeographyBundle],
) -> None:
    _, bundle = imported
    oas = bundle.boundaries["oa"]
    assert oas["approximate"].all() and oas.geometry.is_valid.all()
    assert (~bundle.boundaries["lsoa"]["approximate"]).all()
    oa_area = _metric_area(oas)
    lsoa_area = _metric_area(bundle.boundaries["lsoa"])
    lsoa_shapes = bundle.boundaries["lsoa"].set_index("code").geometry
    oa_shapes = oas.set_index("code").geometry
    assert (oa_area > 100).all()  # every OA got a real cell (> 100 m²)
    for code, members in bundle.lookup.groupby("lsoa_code"):
        # Exact in the stored coordinates; reprojecting bends edges a little (< 0.01%).
        stored = shapely.area(oa_shapes[members["oa_code"]].array).sum()
        assert stored == pytest.approx(lsoa_shapes[code].area, rel=1e-9)
        assert oa_area[members["oa_code"]].sum() == pytest.approx(lsoa_area[code], rel=1e-4)
        union = shapely.union_all(oa_shapes[members["oa_code"]].array)
        assert union.symmetric_difference(lsoa_shapes[code]).area < 1e-9 * lsoa_shapes[code].area


def test_centroids_are_stored_and_most_fall_in_their_own_cell(
    imported: tuple[ImportReport, GeographyBundle],
) -> None:
    _, bundle = imported
    assert bundle.centroids is not None and len(bundle.centroids) == 581
    oa_shapes = bundle.boundaries["oa"].set_index("code").geometry
    cells = oa_shapes[bundle.centroids["oa_code"]].array
    inside = shapely.covers(cells, bundle.centroids.geometry.array)
    # Centroids outside their generalised LSOA polygon (45 of 581) are pulled inside it.
    assert inside.sum() >= 581 - 45


def test_geocoding_real_points_warns_about_approximate_oas(
    imported: tuple[ImportReport, GeographyBundle],
) -> None:
    _, bundle = imported
    points = bundle.boundaries["oa"].set_index("code").geometry.representative_point()
    bng = gpd.GeoSeries(points.to_numpy(), crs="EPSG:4326").to_crs("EPSG:27700")
    frame = pd.DataFrame({"easting": bng.x, "northing": bng.y})
    result = geocode(frame, bundle, x_column="easting", y_column="northing")
    assert list(result.oa_code) == list(points.index)
    assert any("approximate" in warning for warning in result.warnings)
    by_code = geocode(
        pd.read_csv(GEO / "census2021_oa_counts_lbbd.csv"), bundle, oa_column="oa21cd"
    )
    assert by_code.matched == 581 and by_code.unmatched == {}


def test_geocoding_two_hundred_thousand_bng_points(
    imported: tuple[ImportReport, GeographyBundle],
) -> None:
    _, bundle = imported
    rng = np.random.default_rng(11)
    borough = bundle.boundaries["borough"].geometry
    minx, miny, maxx, maxy = borough.to_crs("EPSG:27700").total_bounds
    frame = pd.DataFrame(
        {"x": rng.uniform(minx, maxx, 200_000), "y": rng.uniform(miny, maxy, 200_000)}
    )
    result = geocode(frame, bundle, x_column="x", y_column="y")
    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(frame["x"], frame["y"])
    inside = shapely.contains_xy(borough.iloc[0], lon, lat)
    assert abs(result.matched - int(inside.sum())) <= 5  # points exactly on the outline
    assert result.matched + result.unmatched["outside_borough"] == 200_000


@pytest.mark.parametrize(
    ("path", "declared"),
    [
        (GEO / "wards22_bsc_london.parquet", None),
        (GEO / "wards22_bsc_london_bng.gpkg", None),
        (GEO / "wards22_bsc_london.geojson", None),
    ],
)
def test_london_wide_ward_files_are_filtered(
    path: Path, declared: str | None, imported: tuple[ImportReport, GeographyBundle], tmp_path: Path
) -> None:
    report = import_bundle(LOOKUP, tmp_path / "wards", boundaries={"ward": path})
    # borough and region dissolved from the wards (London by the built-in rule)
    assert report.polygons == {"ward": 19, "borough": 1, "region": 1}
    assert report.dropped_features["ward"] == 704 - 19
    assert report.missing_codes["ward"] == []
    wards = GeographyBundle.load(report.bundle_path).boundaries["ward"]
    assert wards.crs.to_epsg() == 4326 and wards.geometry.is_valid.all()
    reference = _metric_area(imported[1].boundaries["ward"])
    assert np.allclose(_metric_area(wards)[reference.index], reference, rtol=1e-3)


def test_london_lsoas_and_a_two_borough_outline(tmp_path: Path) -> None:
    report = import_bundle(
        LOOKUP,
        tmp_path / "lsoa",
        boundaries={
            "lsoa": GEO / "lsoa21_bsc_london.parquet",
            "borough": GEO / "lad24_buc_lbbd_camden.geojson",
        },
    )
    assert report.polygons == {"lsoa": 115, "msoa": 22, "borough": 1, "region": 1}
    assert report.dropped_features == {"lsoa": 4994 - 115, "borough": 1}
    assert report.oa_geometry == "none"


def test_england_and_wales_lookup_gives_one_borough(tmp_path: Path) -> None:
    national = GEO / "lookup_oa21_lsoa21_msoa21_wd22_lad22_ew.csv.gz"
    report = import_bundle(national, tmp_path / "ew", boroughs=[LBBD])
    bundle = GeographyBundle.load(report.bundle_path)
    local = pd.read_csv(LOOKUP)
    assert sorted(bundle.lookup["oa_code"]) == sorted(local["oa21cd"])
    assert bundle.lookup["population"].isna().all()  # the national file has no counts
    assert bundle.areas("ward")["population"].isna().all()
