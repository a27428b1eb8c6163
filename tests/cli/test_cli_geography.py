"""``boroughkit geography import`` and ``info``: output, exit codes and error messages."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from boroughkit.cli.geography import geography, split_crs
from boroughkit.geography import GeographyBundle, open_bundle
from tests.helpers.shared_data import GEO

LOOKUP = GEO / "lookup_oa21_lsoa21_msoa21_wd22_lad22_lbbd.csv"


@click.group()
@click.pass_context
def root(context: click.Context) -> None:
    """Stand-in for the boroughkit root group."""
    context.obj = {"verbose": False}


root.add_command(geography)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(root, ["geography", *args])
    return result.exit_code, result.output


def test_import_real_files_prints_the_summary(tmp_path: Path) -> None:
    code, output = _run(
        "import", "--lookup", str(LOOKUP),
        "--boundaries", f"ward={GEO / 'wards22_bsc_london_bng.gpkg'}",
        "--boundaries", f"lsoa={GEO / 'lsoa21_bsc_lbbd.geojson'}",
        "--centroids", str(GEO / "oa21_pwc_points_lbbd.geojson"),
        "--name", "LBBD 2021", "--out", str(tmp_path / "lbbd"),
    )  # fmt: skip
    assert code == 0, output
    assert "Geography bundle 'LBBD 2021'" in output
    assert "581 polygons (approximate)" in output and "dropped 685 feature(s)" in output
    bundle = GeographyBundle.load(tmp_path / "lbbd")
    assert bundle.info.name == "LBBD 2021" and len(bundle.boundaries["ward"]) == 19


def test_crs_can_be_declared_after_the_file(tmp_path: Path) -> None:
    frame = open_bundle("builtin:demo").boundaries["ward"][["code", "geometry"]]
    lookup = open_bundle("builtin:demo").lookup.rename(
        columns={"oa_code": "oa21cd", "lsoa_code": "lsoa21cd", "lsoa_name": "lsoa21nm",
                 "msoa_code": "msoa21cd", "msoa_name": "msoa21nm", "ward_code": "wd22cd",
                 "ward_name": "wd22nm", "borough_code": "lad22cd", "borough_name": "lad22nm"}
    )  # fmt: skip
    lookup.to_csv(tmp_path / "lookup.csv", index=False)
    no_crs = (
        frame.rename(columns={"code": "WD22CD"}).to_crs(27700).set_crs(None, allow_override=True)
    )
    no_crs.to_parquet(tmp_path / "wards.parquet")
    base = ["import", "--lookup", str(tmp_path / "lookup.csv"), "--out", str(tmp_path / "out")]
    code, output = _run(*base, "--boundaries", f"ward={tmp_path / 'wards.parquet'}")
    assert code == 1
    assert "no coordinate reference system" in output and "@EPSG" in output
    code, output = _run(*base, "--boundaries", f"ward={tmp_path / 'wards.parquet'}@EPSG:27700")
    assert code == 0, output
    assert "ward         20 areas, 20 polygons" in output


@pytest.mark.parametrize(
    ("arguments", "exit_code", "message"),
    [
        (["--boundaries", "wards.geojson"], 2, "LEVEL=FILE"),
        (["--boundaries", "county=wards.geojson"], 2, "oa, lsoa, msoa, ward, borough"),
        (["--column", "population"], 2, "OURS=THEIRS"),
        (["--column", "colour=red"], 2, "unknown column mapping"),
        (["--column", "ward_name=ward_title"], 1, "--column ward_name="),
        (["--boundaries", "ward=missing.geojson"], 1, "does not exist"),
        (
            ["--boundaries", f"ward={GEO / 'wards22_bsc_lbbd.geojson'}@EPSG:nope"],
            2,
            "not a coordinate",
        ),
    ],
)
def test_bad_options_give_clear_errors(
    arguments: list[str], exit_code: int, message: str, tmp_path: Path
) -> None:
    code, output = _run("import", "--lookup", str(LOOKUP), "--out", str(tmp_path / "o"), *arguments)
    assert code == exit_code, output
    assert message in output
    assert output.startswith("error: ") or "Usage" in output
    assert not (tmp_path / "o").exists()  # nothing written on failure


def test_info_describes_a_bundle() -> None:
    code, output = _run("info", "builtin:demo")
    assert code == 0
    assert "Demo Borough" in output and "North Sea" in output
    code, output = _run("info", "builtin:nowhere")
    assert code == 2 and "builtin:demo" in output


def test_split_crs() -> None:
    assert split_crs("a/b@c.gpkg") == (Path("a/b@c.gpkg"), None)
    assert split_crs("wards.shp@EPSG:27700") == (Path("wards.shp"), "EPSG:27700")
    assert split_crs("w.geojson@OGC:CRS84") == (Path("w.geojson"), "OGC:CRS84")
