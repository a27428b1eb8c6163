"""A dp-tables release over three real London boroughs in one bundle: every published level is
exactly consistent with the OAs, across boroughs and up to the region."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from boroughkit import build_plan, load_config, run_pipeline
from boroughkit.demo import generate_residents, write_residents
from boroughkit.errors import ConfigError
from boroughkit.geography import GeographyBundle, import_bundle
from boroughkit.pipeline.geography_levels import open_geography
from tests.helpers.configs import REAL_PUBLISHER, minimal_config, write_config_file
from tests.helpers.ledger import register
from tests.helpers.shared_data import GEO

NATIONAL = GEO / "lookup_oa21_lsoa21_msoa21_wd22_lad22_ew.csv.gz"
# City of London (the smallest borough), Barking and Dagenham, and Richmond upon Thames (where
# one OA of the ONS lookup has no ward: the import's repair is cited by the manifest).
BOROUGHS = ["E09000001", "E09000002", "E09000027"]
FINER = ["oa", "lsoa", "msoa", "ward", "borough"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GeographyBundle]:
    folder = tmp_path_factory.mktemp("three-boroughs")
    report = import_bundle(NATIONAL, folder / "london3", boroughs=BOROUGHS)
    bundle = GeographyBundle.load(report.bundle_path)
    residents = generate_residents(bundle.lookup, 40_000, seed=5)  # fixed input, not DP noise
    write_residents(residents, folder / "residents.parquet")
    register(folder / "catalogue", "residents", rho=10)
    return folder, bundle


def _release(folder: Path, name: str, levels: list[str]) -> Path:
    config = minimal_config(name=name)
    config["geography"]["boundaries"] = "london3"
    config["publish"].update(REAL_PUBLISHER)
    config["publish"]["formats"] = ["parquet"]
    config["release"]["tables"][0]["levels"] = levels
    # The national lookup has no populations: the check of public area sizes cannot run.
    config["disclosure"] = {
        "min_area_population": 0,
        "min_area_population_reason": "the England and Wales lookup gives no populations",
    }
    path = write_config_file(folder, config, f"{name}.yaml")
    return run_pipeline(build_plan(load_config(path))).release_dir


def _counts(release: Path, level: str) -> pd.Series:
    frame = pd.read_parquet(release / "tenure" / f"tenure_{level}.parquet")
    return frame.set_index(["area_code", "tenure"])["count"]


def _check_consistent(release: Path, bundle: GeographyBundle, levels: list[str]) -> None:
    oa = _counts(release, "oa")
    assert (oa >= 0).all()
    for level in levels[1:]:
        published = _counts(release, level)
        parent = oa.index.get_level_values(0).map(bundle.oa_to_level(level))
        summed = oa.groupby([parent, oa.index.get_level_values(1)]).sum()
        assert len(published) == len(summed), level
        assert (summed.reindex(published.index) == published).all(), level
    boroughs = _counts(release, "borough").index.get_level_values(0).unique()
    assert sorted(boroughs) == BOROUGHS
    manifest = json.loads((release / "manifest.json").read_text())
    (repair,) = manifest["geography"]["lookup_repairs"]
    assert repair.startswith("E00019599 (Richmond upon Thames) had no ward: assigned E05013789")


def test_three_boroughs_are_consistent_from_oas_to_boroughs(workspace) -> None:
    folder, bundle = workspace
    _check_consistent(_release(folder, "three-boroughs", FINER), bundle, FINER)


def test_three_boroughs_are_consistent_up_to_the_region(workspace) -> None:
    folder, bundle = workspace
    levels = [*FINER, "region"]
    release = _release(folder, "three-boroughs-region", levels)
    _check_consistent(release, bundle, levels)
    region = _counts(release, "region")
    assert set(region.index.get_level_values(0)) == {"E12000007"}


def test_asking_for_a_region_the_bundle_lacks_is_refused_before_anything_is_read(
    tmp_path: Path,
) -> None:
    import_bundle(NATIONAL, tmp_path / "north", boroughs=["E07000167", "E09000002"])
    config = minimal_config(name="no-region")
    config["source"]["path"] = "missing.parquet"  # never read: the check comes first
    config["geography"]["boundaries"] = "north"
    config["publish"].update(REAL_PUBLISHER)
    config["release"]["tables"][0]["levels"] = ["oa", "lad", "region"]
    path = write_config_file(tmp_path, config)
    with pytest.raises(ConfigError, match=r"release\.tables\[0\]\.levels asks for the region"):
        open_geography(load_config(path))  # as preview_accuracy and run_pipeline do first


def test_sdc_tables_publish_the_region_of_several_boroughs(workspace) -> None:
    folder, _bundle = workspace
    config = minimal_config(name="three-boroughs-sdc")
    config["geography"]["boundaries"] = "london3"
    config["publish"].update(REAL_PUBLISHER)
    config["publish"]["formats"] = ["parquet", "csv"]
    config["disclosure"] = {
        "min_area_population": 0,
        "min_area_population_reason": "the England and Wales lookup gives no populations",
    }
    config["release"] = {
        "method": "sdc-tables", "threshold": 10, "rounding_base": 5,
        "tables": [{"name": "tenure", "count_by": ["tenure"], "levels": ["ward", "lad", "region"]}],
    }  # fmt: skip
    path = write_config_file(folder, config, "sdc.yaml")
    release = run_pipeline(build_plan(load_config(path))).release_dir
    region = pd.read_parquet(release / "tenure" / "tenure_region.parquet")
    assert set(region["area_code"]) == {"E12000007"} and set(region["area_name"]) == {"London"}
    assert set(region["level"]) == {"region"}
    boroughs = pd.read_parquet(release / "tenure" / "tenure_borough.parquet")
    assert sorted(boroughs["area_code"].unique()) == BOROUGHS
    total = region.loc[region["tenure"] == "Total", "count"].iloc[0]
    people = pd.read_parquet(folder / "residents.parquet")["person_id"].nunique()
    assert abs(total - people) <= 10  # perturbed and rounded to 5
