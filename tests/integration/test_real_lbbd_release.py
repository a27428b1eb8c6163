"""A release on the real Barking and Dagenham geography imported from ONS files."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from boroughkit.cli import main
from tests.helpers.configs import REAL_PUBLISHER, minimal_config
from tests.helpers.ledger import register
from tests.helpers.shared_data import GEO


@pytest.fixture(scope="module")
def lbbd_release(tmp_path_factory):
    work = tmp_path_factory.mktemp("lbbd")
    runner = CliRunner()
    imported = runner.invoke(
        main,
        [
            "geography",
            "import",
            "--lookup",
            str(GEO / "lookup_oa21_lsoa21_msoa21_wd22_lad22_lbbd.csv"),
            "--boundaries",
            f"ward={GEO / 'wards22_bsc_lbbd.geojson'}",
            "--boundaries",
            f"lsoa={GEO / 'lsoa21_bsc_lbbd.geojson'}",
            "--boundaries",
            f"msoa={GEO / 'msoa21_bsc_lbbd.geojson'}",
            "--centroids",
            str(GEO / "oa21_pwc_points_lbbd.geojson"),
            "--out",
            str(work / "lbbd"),
        ],
    )
    assert imported.exit_code == 0, imported.output
    residents = runner.invoke(
        main,
        [
            "demo",
            "residents",
            "--geography",
            str(work / "lbbd"),
            "--n",
            "30000",
            "--out",
            str(work / "residents.csv"),
        ],
    )
    assert residents.exit_code == 0, residents.output
    config = minimal_config(name="lbbd-tenure")
    config["source"]["path"] = "residents.csv"
    config["geography"]["boundaries"] = "lbbd"
    config["publish"].update(REAL_PUBLISHER)
    config["release"]["budget"] = {"rho": 0.5}
    register(work / "catalogue", "residents", rho=2)  # the records file's name: residents.csv
    (work / "lbbd.yaml").write_text(yaml.safe_dump(config))
    ran = runner.invoke(main, ["run", str(work / "lbbd.yaml")])
    assert ran.exit_code == 0, ran.output
    (staged,) = (work / "catalogue" / "staging").iterdir()
    catalogue = str(work / "catalogue")
    approved = runner.invoke(
        main, ["approve", staged.name, "--by", "Test Approver", "--catalogue", catalogue]
    )
    assert approved.exit_code == 0, approved.output
    published = runner.invoke(main, ["publish", staged.name, "--catalogue", catalogue])
    assert published.exit_code == 0, published.output
    return work / "catalogue" / "releases" / staged.name


def test_all_581_oas_and_19_wards_are_published(lbbd_release):
    oa = pd.read_parquet(lbbd_release / "tenure" / "tenure_oa.parquet")
    ward = pd.read_parquet(lbbd_release / "tenure" / "tenure_ward.parquet")
    lookup = pd.read_csv(GEO / "lookup_oa21_lsoa21_msoa21_wd22_lad22_lbbd.csv")
    assert set(oa["area_code"]) == set(lookup["oa21cd"]) and oa["area_code"].nunique() == 581
    assert set(ward["area_code"]) == set(lookup["wd22cd"]) and ward["area_code"].nunique() == 19
    assert set(ward["area_name"]) == set(lookup["wd22nm"])


def test_geojson_and_manifest_flag_approximate_oa_shapes(lbbd_release):
    wards = gpd.read_file(lbbd_release / "tenure" / "tenure_ward.geojson")
    assert len(wards) == 19 and wards.geometry.is_valid.all()
    assert not wards["geometry_approximate"].any()
    oas = gpd.read_file(lbbd_release / "tenure" / "tenure_oa.geojson")
    assert len(oas) == 581 and oas["geometry_approximate"].all()
    manifest = json.loads((lbbd_release / "manifest.json").read_text())
    assert manifest["geography"]["oa_geometry_approximate"] is True
    assert any(
        "Office for National Statistics" in line for line in manifest["licence"]["attribution"]
    )
