"""Every listed bad input gets a clear message, the right exit code, and an unchanged catalogue."""

from __future__ import annotations

import shutil

import geopandas as gpd
import pytest
import yaml
from click.testing import CliRunner
from shapely.geometry import Polygon

from boroughkit.cli import main
from tests.helpers.configs import minimal_config
from tests.helpers.files import tree_snapshot
from tests.helpers.shared_data import GEO


@pytest.fixture(scope="module")
def built_workspace(new_demo_workspace):
    """A workspace with one good release already in its catalogue (built once per module)."""
    folder = new_demo_workspace("bad-input")
    (folder / "good.yaml").write_text(yaml.safe_dump(minimal_config()))
    result = CliRunner().invoke(main, ["run", str(folder / "good.yaml")])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def workspace(built_workspace, tmp_path):
    """Each test's own copy of that workspace: the tests write their bad inputs into it."""
    return shutil.copytree(built_workspace, tmp_path / "workspace")


def run_config(workspace, config: dict | str):
    if isinstance(config, dict) and isinstance(config.get("source"), dict):
        # Bad records files keep the registered dataset: the test is about the data error.
        config["source"].setdefault("dataset", "residents")
    path = workspace / "bad.yaml"
    path.write_text(config if isinstance(config, str) else yaml.safe_dump(config))
    before = tree_snapshot(workspace / "catalogue")
    result = CliRunner().invoke(main, ["run", str(path)])
    assert tree_snapshot(workspace / "catalogue") == before, "the catalogue changed"
    return result


def test_unknown_key(workspace):
    config = minimal_config()
    config["publish"]["formatz"] = ["csv"]
    result = run_config(workspace, config)
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "publish.formatz" in result.output
    assert "did you mean 'formats'" in result.output


def test_wrong_type(workspace):
    config = minimal_config()
    config["release"]["budget"]["rho"] = "lots"
    result = run_config(workspace, config)
    assert result.exit_code == 2 and "release.budget.rho" in result.output


def test_missing_input_file(workspace):
    config = minimal_config()
    config["source"]["path"] = "nowhere.parquet"
    result = run_config(workspace, config)
    assert result.exit_code == 1 and "nowhere.parquet: file not found" in result.output


def test_missing_column(workspace):
    config = minimal_config()
    config["source"]["privacy_unit"] = "person_ref"
    result = run_config(workspace, config)
    assert result.exit_code == 1
    assert "column 'person_ref' not found" in result.output and "person_id" in result.output


def test_malformed_oa_codes(workspace, demo_residents):
    frame = demo_residents.astype({"oa_code": str})
    frame.loc[frame.index[::5], "oa_code"] = "E0000X"
    frame.to_csv(workspace / "malformed.csv", index=False)
    config = minimal_config()
    config["source"]["path"] = "malformed.csv"
    result = run_config(workspace, config)
    assert result.exit_code == 1
    assert "malformed_oa_code" in result.output and "Output Area" in result.output


def test_empty_input(workspace):
    (workspace / "empty.csv").write_text("person_id,uprn,oa_code,tenure\n", encoding="utf-8")
    config = minimal_config()
    config["source"]["path"] = "empty.csv"
    result = run_config(workspace, config)
    assert result.exit_code == 1 and "no records" in result.output


def test_non_utf8_csv(workspace):
    text = "person_id,uprn,oa_code,tenure\nR1,99,DEMO-OA-0001,Caf\u00e9\n"
    (workspace / "latin1.csv").write_bytes(text.encode("latin-1"))
    config = minimal_config()
    config["source"]["path"] = "latin1.csv"
    result = run_config(workspace, config)
    assert result.exit_code == 1 and "not UTF-8" in result.output and "latin1.csv" in result.output


def test_person_in_two_output_areas(workspace, demo_residents):
    frame = demo_residents.astype({"oa_code": str})
    mover = frame.index[frame["person_id"] == frame["person_id"].iloc[0]][0]
    other = frame.loc[frame["oa_code"] != frame.loc[mover, "oa_code"]].iloc[0].copy()
    other["person_id"] = frame.loc[mover, "person_id"]
    frame.loc[len(frame)] = other
    frame.to_parquet(workspace / "mover.parquet")
    config = minimal_config()
    config["source"]["path"] = "mover.parquet"
    result = run_config(workspace, config)
    assert result.exit_code == 1
    assert "more than one Output Area" in result.output and "person_id" in result.output


def test_boundary_file_without_crs(tmp_path):
    # British National Grid metres, but the file does not say so: written with its CRS, then
    # the .prj that states it is removed (writing with crs=None warns that none was given).
    x, y = 545_000, 184_000
    square = Polygon([(x, y), (x + 500, y), (x + 500, y + 500), (x, y + 500)])
    wards = gpd.GeoDataFrame({"WD22CD": ["E05014053"]}, geometry=[square], crs="EPSG:27700")
    shapefile = tmp_path / "wards.shp"
    wards.to_file(shapefile)
    shapefile.with_suffix(".prj").unlink()
    result = CliRunner().invoke(
        main,
        [
            "geography",
            "import",
            "--lookup",
            str(GEO / "lookup_oa21_lsoa21_msoa21_wd22_lad22_lbbd.csv"),
            "--boundaries",
            f"ward={shapefile}",
            "--out",
            str(tmp_path / "bundle"),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "wards.shp" in result.output and "EPSG:27700" in result.output
    assert not (tmp_path / "bundle").exists()


def test_verbose_shows_traceback(workspace):
    config = minimal_config()
    config["source"]["path"] = "nowhere.parquet"
    (workspace / "bad.yaml").write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(main, ["--verbose", "run", str(workspace / "bad.yaml")])
    assert result.exit_code == 1 and "Traceback" in result.output


def test_validate_and_plan_spend_nothing(workspace):
    path = workspace / "good.yaml"
    before = tree_snapshot(workspace)
    validated = CliRunner().invoke(main, ["validate", str(path)])
    planned = CliRunner().invoke(main, ["plan", str(path)])
    assert validated.exit_code == 0 and "valid" in validated.output
    assert planned.exit_code == 0 and "noise sd" in planned.output and "oa" in planned.output
    assert tree_snapshot(workspace) == before
