"""Geometry sanity in ``boroughkit geography import`` on the real ONS files (issue 12).

Wrong inputs are errors that say what is wrong and how to fix it, and leave nothing behind:
longitude/latitude declared as British National Grid, coordinates outside the CRS's area of
use, ONS areas that would land outside the UK, and boundaries that do not cover the lookup's
areas or hold another census's areas. Warnings about right inputs stay warnings.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner

from boroughkit.cli import main
from boroughkit.errors import GeographyError
from boroughkit.geography import import_bundle
from tests.helpers.shared_data import GEO

LOOKUP = GEO / "lookup_oa21_lsoa21_msoa21_wd22_lad22_lbbd.csv"
WARDS = GEO / "wards22_bsc_lbbd.geojson"


def _import(out: Path, *arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["geography", "import", "--lookup", str(LOOKUP), *arguments, "--out", str(out)]
    )
    return result.exit_code, result.output


def test_longitude_latitude_declared_as_british_national_grid(tmp_path: Path) -> None:
    code, output = _import(tmp_path / "out", "--boundaries", f"ward={WARDS}@EPSG:27700")
    assert code == 1, output
    assert output.startswith("error: ") and "Traceback" not in output
    assert str(WARDS) in output and "EPSG:27700" in output
    assert "look like longitude/latitude (EPSG:4326)" in output
    assert "fix: drop @EPSG:27700: the file itself says EPSG:4326" in output
    assert not (tmp_path / "out").exists()


def test_longitude_latitude_labelled_as_british_national_grid(tmp_path: Path) -> None:
    """No declaration: the file's own metadata is wrong."""
    wards = gpd.read_file(WARDS).set_crs("EPSG:27700", allow_override=True)
    wards.to_file(tmp_path / "wards.gpkg")
    code, output = _import(tmp_path / "out", "--boundaries", f"ward={tmp_path / 'wards.gpkg'}")
    assert code == 1, output
    assert "look like longitude/latitude" in output
    assert f"fix: declare the CRS with --boundaries ward={tmp_path / 'wards.gpkg'}@EPSG:4326" in (
        output
    )
    assert not (tmp_path / "out").exists()


def test_coordinates_outside_the_area_of_use(tmp_path: Path) -> None:
    """UTM zone 30N metres declared as British National Grid reach past 61°N."""
    utm = gpd.read_file(WARDS).to_crs("EPSG:32630").set_crs(None, allow_override=True)
    utm.to_parquet(tmp_path / "wards.parquet")
    with pytest.raises(GeographyError) as error:
        import_bundle(
            LOOKUP, tmp_path / "out", boundaries={"ward": tmp_path / "wards.parquet"},
            boundary_crs={"ward": "EPSG:27700"},
        )  # fmt: skip
    text = str(error.value)
    assert "outside the area where OSGB36 / British National Grid (EPSG:27700) is used" in text
    assert "longitude -9.01 to 2.01, latitude 49.75 to 61.01" in text
    assert "fix: declare the CRS the coordinates are in with --boundaries ward=" in text
    assert not (tmp_path / "out").exists()


def test_british_national_grid_declared_as_web_mercator_lands_outside_the_uk(
    tmp_path: Path,
) -> None:
    bng = GEO / "wards22_bsc_london_bng.gpkg"
    code, output = _import(tmp_path / "out", "--boundaries", f"ward={bng}@EPSG:3857")
    assert code == 1, output
    assert "outside the UK" in output and "read as EPSG:3857" in output
    assert "drop @EPSG:3857 to use the file's own CRS (EPSG:27700)" in output
    assert "most likely EPSG:27700 (British National Grid" in output
    assert not (tmp_path / "out").exists()


def test_2011_output_areas_for_a_2021_lookup(tmp_path: Path) -> None:
    code, output = _import(tmp_path / "out", "--boundaries", f"oa={GEO / 'oa11_bgc_lbbd.geojson'}")
    assert code == 1, output
    assert "oa11_bgc_lbbd.geojson (oa boundary file) does not cover the lookup's areas" in output
    assert "its codes (column OA11CD) are 2011 OAs but the lookup's are 2021 OAs" in output
    assert "56 of the lookup's 581 OAs are missing from it (e.g. E00185665" in output
    assert "28 of its OA codes are not in the lookup (e.g. E00000062" in output
    assert "fix: use 2021 OA boundaries (code column OA21CD" in output
    assert not (tmp_path / "out").exists()


def test_boundaries_that_do_not_cover_the_lookup(tmp_path: Path) -> None:
    lsoas = gpd.read_file(GEO / "lsoa21_bsc_lbbd.geojson")
    lsoas.iloc[3:].to_file(tmp_path / "lsoa.geojson")
    missing = sorted(lsoas["LSOA21CD"].iloc[:3])
    code, output = _import(tmp_path / "out", "--boundaries", f"lsoa={tmp_path / 'lsoa.geojson'}")
    assert code == 1, output
    assert f"3 of the lookup's 115 LSOAs are missing from it (e.g. {', '.join(missing)})" in output
    assert "not in the lookup" not in output  # nothing extra in the file
    assert "or leave out --boundaries lsoa" in output
    assert not (tmp_path / "out").exists()


def test_centroids_that_do_not_cover_the_lookup(tmp_path: Path) -> None:
    points = gpd.read_file(GEO / "oa21_pwc_points_lbbd.geojson")
    points.iloc[1:].to_file(tmp_path / "points.geojson")
    code, output = _import(
        tmp_path / "out", "--boundaries", f"lsoa={GEO / 'lsoa21_bsc_lbbd.geojson'}",
        "--centroids", str(tmp_path / "points.geojson"),
    )  # fmt: skip
    assert code == 1, output
    assert "(OA centroids) does not cover the lookup's areas" in output
    assert f"1 of the lookup's 581 OAs is missing from it (e.g. {points['OA21CD'].iloc[0]})" in (
        output
    )
    assert not (tmp_path / "out").exists()


def test_right_inputs_keep_their_notes_and_warnings(tmp_path: Path) -> None:
    """A London-wide BNG file wrongly labelled, declared right: filtered, with a warning."""
    london = gpd.read_file(GEO / "wards22_bsc_london_bng.gpkg")
    london.set_crs("EPSG:3857", allow_override=True).to_file(tmp_path / "wards.gpkg")
    code, output = _import(
        tmp_path / "out", "--boundaries", f"ward={tmp_path / 'wards.gpkg'}@EPSG:27700"
    )
    assert code == 0, output
    assert "ward         19 areas, 19 polygons" in output
    assert "dropped 685 feature(s)" in output
    assert "says its CRS is EPSG:3857; used EPSG:27700 as declared" in output
