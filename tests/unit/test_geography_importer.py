"""import_bundle on small files made from the demo borough: columns, CRS, repairs, filtering."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from boroughkit.errors import ConfigError, GeographyError
from boroughkit.geography import GeographyBundle, import_bundle, open_bundle
from boroughkit.geography.lookup_reader import DEFAULT_LOOKUP_COLUMNS

ONS_NAMES = {
    ours: theirs for ours, theirs in DEFAULT_LOOKUP_COLUMNS.items() if ours != "households"
}
CODE_NAMES = {
    "oa": "OA21CD",
    "lsoa": "LSOA21CD",
    "msoa": "MSOA21CD",
    "ward": "WD22CD",
    "borough": "LAD22CD",
    "region": "RGN22CD",
}


@pytest.fixture(scope="module")
def demo() -> GeographyBundle:
    return open_bundle("builtin:demo")


@pytest.fixture(scope="module")
def small(demo: GeographyBundle) -> pd.DataFrame:
    """The OAs of the first three demo MSOAs, with ONS column names."""
    keep = demo.lookup["msoa_code"].isin(["DEMO-MSOA-01", "DEMO-MSOA-02", "DEMO-MSOA-03"])
    return demo.lookup[keep].drop(columns="households").rename(columns=ONS_NAMES)


def _lookup(small: pd.DataFrame, folder: Path, frame: pd.DataFrame | None = None) -> Path:
    path = folder / "lookup.csv"
    (small if frame is None else frame).to_csv(path, index=False)
    return path


def _boundary(demo: GeographyBundle, level: str, small: pd.DataFrame, path: Path, **kwargs) -> Path:
    """Write ``level`` polygons of the demo to ``path`` (all of them: more than the lookup)."""
    frame = demo.boundaries[level][["code", "geometry"]].rename(columns={"code": CODE_NAMES[level]})
    crs = kwargs.pop("crs", None)
    if crs is not None:
        frame = frame.to_crs(crs)
    if path.suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_file(path, **kwargs)
    return path


def test_missing_column_names_file_column_and_the_fix(small: pd.DataFrame, tmp_path: Path) -> None:
    lookup = _lookup(small, tmp_path, small.drop(columns="lsoa21nm"))
    with pytest.raises(GeographyError) as error:
        import_bundle(lookup, tmp_path / "out")
    text = str(error.value)
    assert str(lookup) in text and "'lsoa21nm'" in text and "lsoa_name" in text
    assert "oa21cd, lsoa21cd, msoa21cd" in text  # the columns present
    assert "--column lsoa_name=" in text


def test_column_map_renames_and_population_is_optional(small: pd.DataFrame, tmp_path: Path) -> None:
    renamed = small.rename(columns={"usual_residents": "people", "wd22cd": "WD23CD"})
    lookup = _lookup(small, tmp_path, renamed)
    report = import_bundle(
        lookup, tmp_path / "out", column_map={"population": "people", "ward_code": "wd23cd"}
    )
    bundle = GeographyBundle.load(report.bundle_path)
    assert bundle.lookup["population"].sum() == small["usual_residents"].sum()
    assert report.oa_geometry == "none" and report.polygons == {}
    without = import_bundle(
        _lookup(small, tmp_path, small.drop(columns="usual_residents")), tmp_path / "o2"
    )
    assert GeographyBundle.load(without.bundle_path).lookup["population"].isna().all()
    assert any("population" in note for note in without.notes)


def test_bad_lookup_values_are_named_by_line(small: pd.DataFrame, tmp_path: Path) -> None:
    doubled = pd.concat([small, small.iloc[[4]]])
    with pytest.raises(GeographyError, match=r"more than once, lines 6, \d+"):
        import_bundle(_lookup(small, tmp_path, doubled), tmp_path / "out")
    negative = small.copy()
    negative.loc[negative.index[2], "usual_residents"] = -3
    with pytest.raises(GeographyError, match="lines 4"):
        import_bundle(_lookup(small, tmp_path, negative), tmp_path / "out")


def test_multi_borough_lookup_keeps_every_borough_or_those_chosen(
    small: pd.DataFrame, tmp_path: Path
) -> None:
    other = small.assign(
        oa21cd=small["oa21cd"] + "X", lsoa21cd=small["lsoa21cd"] + "X",
        msoa21cd=small["msoa21cd"] + "X", wd22cd=small["wd22cd"] + "X", lad22cd="DEMO-LAD-2",
    )  # fmt: skip
    lookup = _lookup(small, tmp_path, pd.concat([small, other]))
    report = import_bundle(lookup, tmp_path / "all")
    assert report.counts["oa"] == 2 * len(small) and report.counts["borough"] == 2
    assert "kept every borough of the lookup (2)" in report.notes
    report = import_bundle(lookup, tmp_path / "out", boroughs=["DEMO-LAD-2"])
    assert report.counts["oa"] == len(small) and report.counts["borough"] == 1
    with pytest.raises(GeographyError, match="no OAs in borough") as error:
        import_bundle(lookup, tmp_path / "none", boroughs=["DEMO-LAD-3"])
    assert "--borough" not in str(error.value) or "check the borough code" in str(error.value)


def test_unknown_level_and_mapping_are_config_errors(small: pd.DataFrame, tmp_path: Path) -> None:
    lookup = _lookup(small, tmp_path)
    with pytest.raises(ConfigError, match="county"):
        import_bundle(lookup, tmp_path / "out", boundaries={"county": tmp_path / "x.geojson"})
    with pytest.raises(ConfigError, match="colour"):
        import_bundle(lookup, tmp_path / "out", column_map={"colour": "x"})


def test_wider_boundary_files_are_filtered_and_reported(
    demo: GeographyBundle, small: pd.DataFrame, tmp_path: Path
) -> None:
    lookup = _lookup(small, tmp_path)
    lsoa_file = _boundary(demo, "lsoa", small, tmp_path / "lsoa.parquet")
    ward_file = _boundary(demo, "ward", small, tmp_path / "ward.geojson")
    report = import_bundle(
        lookup, tmp_path / "out", boundaries={"lsoa": lsoa_file, "ward": ward_file}
    )
    assert report.polygons["lsoa"] == small["lsoa21cd"].nunique()
    assert report.dropped_features["lsoa"] == len(demo.boundaries["lsoa"]) - report.polygons["lsoa"]
    assert report.missing_codes["ward"] == []
    assert "dropped" in report.summary()
    # Borough polygon dissolved from the LSOAs (the finest nested level supplied).
    assert report.polygons["borough"] == 1 and report.polygons["msoa"] == 3
    bundle = GeographyBundle.load(report.bundle_path)
    lsoas = shapely.union_all(bundle.boundaries["lsoa"].geometry.array)
    assert bundle.boundaries["borough"].geometry.iloc[0].symmetric_difference(lsoas).area < 1e-12


def test_boundaries_missing_an_area_of_the_lookup_are_an_error(
    demo: GeographyBundle, small: pd.DataFrame, tmp_path: Path
) -> None:
    ward = demo.boundaries["ward"][["code", "geometry"]].rename(columns={"code": "WD22CD"})
    first_ward = sorted(small["wd22cd"].unique())[0]
    ward[ward["WD22CD"] != first_ward].to_file(tmp_path / "ward.geojson")
    with pytest.raises(GeographyError) as error:
        import_bundle(
            _lookup(small, tmp_path), tmp_path / "out",
            boundaries={"ward": tmp_path / "ward.geojson"},
        )  # fmt: skip
    text = str(error.value)
    wards = small["wd22cd"].nunique()
    assert f"1 of the lookup's {wards} wards is missing from it (e.g. {first_ward})" in text
    assert "ward.geojson" in text and "fix: use ward boundaries of the same year" in text
    assert "leave out --boundaries ward" in text
    assert not (tmp_path / "out").exists()


def test_file_without_crs_is_a_clear_error_and_can_be_declared(
    demo: GeographyBundle, small: pd.DataFrame, tmp_path: Path
) -> None:
    lookup = _lookup(small, tmp_path)
    frame = demo.boundaries["msoa"][["code", "geometry"]].rename(columns={"code": "MSOA21CD"})
    frame.to_crs("EPSG:27700").set_crs(None, allow_override=True).to_parquet(tmp_path / "m.parquet")
    with pytest.raises(GeographyError) as error:
        import_bundle(lookup, tmp_path / "out", boundaries={"msoa": tmp_path / "m.parquet"})
    text = str(error.value)
    assert "no coordinate reference system" in text and "m.parquet" in text
    assert "--boundaries msoa=" in text and "@EPSG" in text and "EPSG:27700" in text
    report = import_bundle(
        lookup, tmp_path / "out", boundaries={"msoa": tmp_path / "m.parquet"},
        boundary_crs={"msoa": "EPSG:27700"},
    )  # fmt: skip
    bundle = GeographyBundle.load(report.bundle_path)
    original = demo.boundaries["msoa"].set_index("code").geometry
    for code, geometry in bundle.boundaries["msoa"].set_index("code").geometry.items():
        assert geometry.symmetric_difference(original[code]).area < 1e-6 * original[code].area


def test_metres_labelled_as_degrees_are_caught(
    demo: GeographyBundle, small: pd.DataFrame, tmp_path: Path
) -> None:
    frame = demo.boundaries["msoa"][["code", "geometry"]].rename(columns={"code": "MSOA21CD"})
    frame.to_crs("EPSG:27700").set_crs("EPSG:4326", allow_override=True).to_parquet(
        tmp_path / "m.parquet"
    )
    with pytest.raises(GeographyError, match="not longitude/latitude"):
        import_bundle(
            _lookup(small, tmp_path), tmp_path / "out", boundaries={"msoa": tmp_path / "m.parquet"}
        )


def test_invalid_polygons_are_repaired_or_rejected_by_code(
    demo: GeographyBundle, small: pd.DataFrame, tmp_path: Path
) -> None:
    lookup = _lookup(small, tmp_path)
    wards = demo.boundaries["ward"][["code", "geometry"]].rename(columns={"code": "WD22CD"})
    codes = sorted(small["wd22cd"].unique())
    minx, miny, maxx, maxy = wards.set_index("WD22CD").geometry[codes[0]].bounds
    bowtie = shapely.Polygon([(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy)])
    wards.loc[wards["WD22CD"] == codes[0], "geometry"] = bowtie
    wards.to_parquet(tmp_path / "w.parquet")
    report = import_bundle(lookup, tmp_path / "out", boundaries={"ward": tmp_path / "w.parquet"})
    assert any("repaired" in warning and codes[0] in warning for warning in report.warnings)
    repaired = (
        GeographyBundle.load(report.bundle_path).boundaries["ward"].set_index("code").geometry
    )
    assert repaired[codes[0]].is_valid and repaired[codes[0]].area == pytest.approx(
        bowtie.buffer(0).area * 2, rel=0.01
    )
    flat = shapely.Polygon([(minx, miny), (maxx, maxy), (minx, miny)])
    wards.loc[wards["WD22CD"] == codes[1], "geometry"] = flat
    wards.to_parquet(tmp_path / "w.parquet")
    with pytest.raises(GeographyError, match=f"{codes[1]} \\(invalid polygon"):
        import_bundle(lookup, tmp_path / "out", boundaries={"ward": tmp_path / "w.parquet"})


def test_centroids_must_be_points(
    demo: GeographyBundle, small: pd.DataFrame, tmp_path: Path
) -> None:
    path = _boundary(demo, "oa", small, tmp_path / "oa.parquet")
    with pytest.raises(GeographyError, match=r"as points.*Polygon"):
        import_bundle(_lookup(small, tmp_path), tmp_path / "out", centroids=path)


def test_oa_polygons_give_every_level_by_dissolving(
    demo: GeographyBundle, small: pd.DataFrame, tmp_path: Path
) -> None:
    oa_file = _boundary(demo, "oa", small, tmp_path / "oa.gpkg", crs="EPSG:27700", layer="oas")
    report = import_bundle(_lookup(small, tmp_path), tmp_path / "out", boundaries={"oa": oa_file})
    assert report.oa_geometry == "polygons"
    assert report.polygons == {
        "oa": len(small),
        "lsoa": small["lsoa21cd"].nunique(),
        "msoa": 3,
        "borough": 1,
        "region": 1,
    }
    bundle = GeographyBundle.load(report.bundle_path)
    assert not bundle.boundaries["oa"]["approximate"].any()
    assert bundle.info.oa_code_pattern == r"^DEMO\-OA\-\d\d\d\d$"
    assert any("ONS codes" in warning for warning in report.warnings)  # demo codes are not ONS


def test_centroids_and_lsoas_give_approximate_oas_that_tile_each_lsoa(
    demo: GeographyBundle, small: pd.DataFrame, tmp_path: Path
) -> None:
    centroids = gpd.GeoDataFrame(
        {"OA21CD": demo.boundaries["oa"]["code"]},
        geometry=demo.boundaries["oa"].geometry.representative_point(),
        crs="EPSG:4326",
    )
    centroids.to_file(tmp_path / "points.geojson")
    lsoa_file = _boundary(demo, "lsoa", small, tmp_path / "lsoa.geojson")
    report = import_bundle(
        _lookup(small, tmp_path), tmp_path / "out", boundaries={"lsoa": lsoa_file},
        centroids=tmp_path / "points.geojson",
    )  # fmt: skip
    assert report.oa_geometry == "approximate"
    bundle = GeographyBundle.load(report.bundle_path)
    assert bundle.centroids is not None and len(bundle.centroids) == len(small)
    oas = bundle.boundaries["oa"].set_index("code").geometry
    assert bundle.boundaries["oa"]["approximate"].all() and oas.is_valid.all()
    lsoas = bundle.boundaries["lsoa"].set_index("code").geometry
    for code, members in bundle.lookup.groupby("lsoa_code"):
        parts = oas[members["oa_code"]]
        assert (
            shapely.union_all(parts.array).symmetric_difference(lsoas[code]).area
            < 1e-9 * lsoas[code].area
        )
        assert shapely.area(parts.array).sum() == pytest.approx(lsoas[code].area, rel=1e-9)


def test_code_column_is_found_by_name_mapping_or_values(
    demo: GeographyBundle, small: pd.DataFrame, tmp_path: Path
) -> None:
    lookup = _lookup(small, tmp_path)
    wards = demo.boundaries["ward"][["code", "name", "geometry"]]
    wards.rename(columns={"code": "ward_id"}).to_parquet(tmp_path / "by_value.parquet")
    report = import_bundle(
        lookup, tmp_path / "out", boundaries={"ward": tmp_path / "by_value.parquet"}
    )
    assert report.polygons["ward"] == small["wd22cd"].nunique()
    with pytest.raises(GeographyError, match="no column 'WARD'") as error:
        import_bundle(
            lookup, tmp_path / "out", boundaries={"ward": tmp_path / "by_value.parquet"},
            column_map={"ward_boundary_code": "WARD"},
        )  # fmt: skip
    assert "--column ward_boundary_code=COLUMN" in str(error.value)
    other = wards.assign(code="X" + wards["code"]).rename(columns={"code": "WD23CD"})
    other.to_parquet(tmp_path / "other.parquet")
    with pytest.raises(GeographyError, match="none of the codes in column 'WD23CD'"):
        import_bundle(lookup, tmp_path / "out", boundaries={"ward": tmp_path / "other.parquet"})
