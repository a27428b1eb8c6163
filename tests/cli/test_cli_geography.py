"""``boroughkit geography import`` and ``info``: output, exit codes and error messages."""

from __future__ import annotations

import re
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


def _gap_lookup(folder: Path) -> Path:
    path = folder / "lookup.csv"
    path.write_text(
        "oa21cd,lsoa21cd,lsoa21nm,msoa21cd,msoa21nm,lad22cd,lad22nm,wd22cd,wd22nm\n"
        "E00000001,E01000001,A 001A,E02000001,A 001,E09000001,Alpha,E05000001,North\n"
        "E00000002,E01000001,A 001A,E02000001,A 001,E09000001,Alpha,,\n"
        "E00000003,E01000002,B 001A,E02000002,B 001,E09000002,Beta,E05000002,South\n"
    )
    return path


def test_ward_gaps_are_reported_refused_or_fixed_from_the_command_line(tmp_path: Path) -> None:
    lookup = _gap_lookup(tmp_path)
    code, output = _run("import", "--lookup", str(lookup), "--out", str(tmp_path / "a"))
    assert code == 0, output
    assert "ward-gap: E00000002 (Alpha) had no ward: assigned E05000001 North" in output
    assert re.search(r"region +1 areas", output)  # two London boroughs: one region
    code, output = _run(
        "import", "--lookup", str(lookup), "--on-ward-gap", "refuse", "--out", str(tmp_path / "b")
    )
    assert code == 1 and "1 OA(s) have no ward code: E00000002 (line 3)" in output
    assert not (tmp_path / "b").exists()
    fixes = tmp_path / "fixes.csv"
    fixes.write_text("oa_code,column,value\nE00000002,ward_code,E05000009\n"
                     "E00000002,ward_name,Riverside\n")  # fmt: skip
    code, output = _run(
        "import", "--lookup", str(lookup), "--lookup-fix", str(fixes), "--lad", "E09000001",
        "--on-ward-gap", "refuse", "--out", str(tmp_path / "c"),
    )  # fmt: skip
    assert code == 0, output
    assert "lookup-fix: E00000002: ward_code (empty) → E05000009 (fixes.csv line 2)" in output
    bundle = GeographyBundle.load(tmp_path / "c")
    assert bundle.oa_to_level("ward")["E00000002"] == "E05000009"
    assert bundle.lookup["borough_code"].unique().tolist() == ["E09000001"]
