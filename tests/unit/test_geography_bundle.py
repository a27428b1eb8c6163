"""GeographyBundle: areas, OA mappings, save/load round trip, damaged folders, open_bundle."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from boroughkit.errors import ConfigError, GeographyError
from boroughkit.geography import LEVELS, GeographyBundle, open_bundle
from boroughkit.geography.levels import (
    CODE_COLUMNS,
    Level,
    check_level,
    child_levels,
    parent_levels,
)


@pytest.fixture(scope="module")
def demo() -> GeographyBundle:
    return open_bundle("builtin:demo")


@pytest.fixture(scope="module")
def saved(demo: GeographyBundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo.save(tmp_path_factory.mktemp("bundles") / "demo")


def test_levels_helpers() -> None:
    assert LEVELS == ("oa", "lsoa", "msoa", "ward", "borough", "region")
    assert parent_levels("oa") == ("lsoa", "msoa", "borough", "region")
    assert parent_levels("ward") == ("borough", "region")
    assert parent_levels("lad") == ("region",)
    assert child_levels("msoa") == ("oa", "lsoa")
    assert child_levels("ward") == ("oa",)
    with pytest.raises(ConfigError, match="oa, lsoa, msoa, ward, borough"):
        check_level("county")


@pytest.mark.parametrize("level", LEVELS)
def test_areas_sum_the_lookup_population(demo: GeographyBundle, level: Level) -> None:
    areas = demo.areas(level)
    assert list(areas.columns) == ["code", "name", "population"]
    assert list(areas["code"]) == sorted(demo.lookup[CODE_COLUMNS[level]].unique())
    assert areas["population"].sum() == demo.lookup["population"].sum()
    expected = demo.lookup.groupby(CODE_COLUMNS[level])["population"].sum()
    assert areas.set_index("code")["population"].to_dict() == expected.to_dict()
    if level == "oa":
        assert (areas["code"] == areas["name"]).all()
    else:
        assert (areas["code"] != areas["name"]).all()


def test_area_population_is_unknown_when_any_oa_is_unknown(demo: GeographyBundle) -> None:
    lookup = demo.lookup.copy()
    first_ward = lookup["ward_code"].iloc[0]
    lookup.loc[0, "population"] = pd.NA
    bundle = replace(demo, lookup=lookup)
    wards = bundle.areas("ward").set_index("code")["population"]
    assert pd.isna(wards[first_ward])
    assert wards.drop(first_ward).notna().all()
    assert str(wards.dtype) == "Int64"


def test_oa_to_level_maps_every_oa(demo: GeographyBundle) -> None:
    mapping = demo.oa_to_level("ward")
    assert mapping.index.name == "oa_code"
    assert mapping.index.is_unique and len(mapping) == len(demo.lookup)
    assert (
        mapping["DEMO-OA-0001"] == demo.lookup.set_index("oa_code").loc["DEMO-OA-0001", "ward_code"]
    )
    assert (demo.oa_to_level("oa").index == demo.oa_to_level("oa").to_numpy()).all()


def test_save_and_load_round_trip(demo: GeographyBundle, saved: Path) -> None:
    assert sorted(path.name for path in saved.iterdir()) == [
        "boundaries", "bundle.json", "lookup.parquet", "postcodes.parquet",
    ]  # fmt: skip
    loaded = GeographyBundle.load(saved)
    assert loaded.fingerprint == demo.fingerprint
    assert loaded.info == demo.info
    pd.testing.assert_frame_equal(loaded.lookup, demo.lookup)
    assert loaded.postcodes is not None and demo.postcodes is not None
    pd.testing.assert_frame_equal(loaded.postcodes, demo.postcodes)
    for level in LEVELS:
        assert loaded.boundaries[level].crs.to_epsg() == 4326
        assert loaded.boundaries[level].geom_equals_exact(demo.boundaries[level], 0).all()
    document = json.loads((saved / "bundle.json").read_text())
    assert document["fingerprint"] == demo.fingerprint
    assert document["info"]["synthetic"] is True
    boundary = gpd.read_parquet(saved / "boundaries" / "ward.parquet")  # plain GeoParquet
    assert list(boundary.columns) == ["code", "name", "approximate", "geometry"]


def test_saving_again_replaces_the_bundle(demo: GeographyBundle, tmp_path: Path) -> None:
    folder = demo.save(tmp_path / "bundle")
    smaller = replace(demo, postcodes=None)
    smaller.save(folder)
    assert not (folder / "postcodes.parquet").exists()
    assert GeographyBundle.load(folder).fingerprint == smaller.fingerprint != demo.fingerprint
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bundle"]  # no leftovers


def test_save_refuses_a_folder_that_is_not_a_bundle(demo: GeographyBundle, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not empty"):
        demo.save(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def _copy(saved: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(saved, tmp_path / "copy"))


def test_load_names_a_missing_file(saved: Path, tmp_path: Path) -> None:
    folder = _copy(saved, tmp_path)
    (folder / "boundaries" / "ward.parquet").unlink()
    with pytest.raises(GeographyError, match=r"ward\.parquet is missing"):
        GeographyBundle.load(folder)


def test_load_names_a_corrupt_file(saved: Path, tmp_path: Path) -> None:
    folder = _copy(saved, tmp_path)
    (folder / "lookup.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(GeographyError, match=r"lookup\.parquet is corrupt"):
        GeographyBundle.load(folder)


def test_load_detects_changed_contents(saved: Path, tmp_path: Path) -> None:
    folder = _copy(saved, tmp_path)
    lookup = pd.read_parquet(folder / "lookup.parquet")
    lookup["population"] = lookup["population"] + (lookup.index == 3)
    lookup.to_parquet(folder / "lookup.parquet", index=False)
    with pytest.raises(GeographyError, match="fingerprint"):
        GeographyBundle.load(folder)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda folder: (folder / "bundle.json").unlink(), "bundle.json is missing"),
        (lambda folder: (folder / "bundle.json").write_text("{"), "corrupt"),
        (lambda folder: (folder / "bundle.json").write_text('{"format": "x"}'), "not a boroughkit"),
    ],
)
def test_load_rejects_a_damaged_info_file(
    saved: Path, tmp_path: Path, damage, message: str
) -> None:
    folder = _copy(saved, tmp_path)
    damage(folder)
    with pytest.raises(GeographyError, match=message):
        GeographyBundle.load(folder)


def test_open_bundle_by_folder_and_relative_path(saved: Path) -> None:
    assert open_bundle(saved).fingerprint == open_bundle("builtin:demo").fingerprint
    relative = open_bundle(saved.name, base_dir=saved.parent)
    assert relative.fingerprint == open_bundle("builtin:demo").fingerprint
    with pytest.raises(GeographyError, match="does not exist"):
        open_bundle("no-such-bundle", base_dir=saved.parent)


def test_unknown_builtin_lists_what_exists() -> None:
    with pytest.raises(ConfigError, match="builtin:demo") as error:
        open_bundle("builtin:camden")
    assert error.value.exit_code == 2


def test_bundle_rejects_inconsistent_parts(demo: GeographyBundle) -> None:
    doubled = pd.concat([demo.lookup, demo.lookup.head(1)])
    with pytest.raises(GeographyError, match="more than once"):
        replace(demo, lookup=doubled)
    with pytest.raises(GeographyError, match="polygon levels"):
        replace(demo, info=replace(demo.info, polygon_levels=("oa",)))
    with pytest.raises(GeographyError, match="oa_geometry"):
        replace(demo, info=replace(demo.info, oa_geometry="approximate"))
    no_oa = {level: frame for level, frame in demo.boundaries.items() if level != "oa"}
    with pytest.raises(GeographyError, match="oa_geometry"):
        replace(demo, boundaries=no_oa, info=replace(demo.info, polygon_levels=tuple(no_oa)))
    broken = demo.lookup.copy()
    broken.loc[0, "msoa_code"] = "DEMO-MSOA-99"
    with pytest.raises(GeographyError, match="more than one msoa_code"):
        replace(demo, lookup=broken)
