"""The sdc-tables release: cell-key perturbation, consistent record keys, suppression."""

from __future__ import annotations

import json

import pandas as pd
import yaml

from boroughkit import build_plan, load_config, run_pipeline
from tests.helpers.configs import minimal_config


def _sdc_config(**release):
    config = minimal_config()
    config["release"] = {
        "method": "sdc-tables",
        "threshold": 10,
        "rounding_base": 5,
        "tables": [
            {"name": "tenure", "count_by": ["tenure"], "levels": ["lsoa", "msoa", "borough"]}
        ],
        **release,
    }
    return config


def _run(workspace, config):
    path = workspace / "sdc.yaml"
    path.write_text(yaml.safe_dump(config))
    return run_pipeline(build_plan(load_config(path)))


def test_cell_key_release_suppresses_rounds_and_keeps_keys(demo_workspace):
    first = _run(demo_workspace, _sdc_config())
    oa = pd.read_parquet(first.release_dir / "tenure" / "tenure_lsoa.parquet")
    published = oa[oa["status"] == "published"]["count"]
    assert (published >= 10).all() and (published % 5 == 0).all()
    assert oa.loc[oa["status"] == "suppressed", "count"].isna().all()
    ward = pd.read_parquet(first.release_dir / "tenure" / "tenure_msoa.parquet")
    assert len(ward) == ward["area_code"].nunique() * 5  # 4 tenures + Total per MSOA
    second = _run(demo_workspace, _sdc_config())
    again = pd.read_parquet(second.release_dir / "tenure" / "tenure_msoa.parquet")
    # same people, same record keys, same ptable: the same published table
    pd.testing.assert_frame_equal(ward, again)
    manifest = json.loads((first.release_dir / "manifest.json").read_text())
    assert manifest["privacy"]["threshold"] == 10 and manifest["method"] == "sdc-tables"
    keys = list(demo_workspace.glob("catalogue.record-keys/*.parquet"))
    assert len(keys) == 1 and not list((demo_workspace / "catalogue").rglob("*record-keys*"))


def test_ward_counts_are_close_to_truth(demo_workspace, demo_residents, demo_bundle):
    config = _sdc_config(
        tables=[{"name": "tenure", "count_by": ["tenure"], "levels": ["ward", "borough"]}]
    )
    result = _run(demo_workspace, config)
    ward = pd.read_parquet(result.release_dir / "tenure" / "tenure_ward.parquet")
    people = demo_residents.drop_duplicates("person_id").astype({"oa_code": str})
    people["ward"] = people["oa_code"].map(demo_bundle.oa_to_level("ward"))
    truth = people.groupby(["ward", people["tenure"].astype(str)]).size()
    cells = ward[(ward["tenure"] != "Total") & (ward["status"] == "published")]
    diffs = [
        abs(row.count - truth.get((row.area_code, row.tenure), 0)) for row in cells.itertuples()
    ]
    assert max(diffs) <= 5 + 2  # ptable D = 5, then rounding to base 5 moves at most 2
