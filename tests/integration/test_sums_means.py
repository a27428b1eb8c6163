"""DP sums and means of a clipped value, with margins of error and stated bounds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from boroughkit import build_plan, load_config, run_pipeline
from boroughkit.errors import ConfigError
from tests.helpers.configs import minimal_config


def _table(statistic, **extra):
    return {
        "name": f"arrears_{statistic}",
        "statistic": statistic,
        "value": "rent_arrears_gbp",
        "bounds": [0, 3000],
        "count_by": ["tenure"],
        "levels": ["ward", "borough"],
        **extra,
    }


def test_sums_and_means_are_published_with_moe(demo_workspace, demo_residents, demo_bundle):
    config = minimal_config()
    config["release"]["budget"] = {"rho": 4}  # of the workspace's lifetime ρ = 10
    config["release"]["tables"] = [_table("sum"), _table("mean")]
    path = demo_workspace / "sums.yaml"
    path.write_text(yaml.safe_dump(config))
    result = run_pipeline(build_plan(load_config(path)))
    sums = pd.read_parquet(result.release_dir / "arrears_sum" / "arrears_sum_ward.parquet")
    means = pd.read_parquet(result.release_dir / "arrears_mean" / "arrears_mean_ward.parquet")
    assert {"sum", "moe95", "noise_sd"} <= set(sums.columns) and (sums["sum"] >= 0).all()
    assert {"mean", "moe95"} <= set(means.columns)
    people = demo_residents.drop_duplicates("person_id").astype({"oa_code": str})
    people["ward"] = people["oa_code"].map(demo_bundle.oa_to_level("ward"))
    clipped = people.assign(v=np.rint(people["rent_arrears_gbp"].clip(0, 3000)))
    truth = clipped.groupby(["ward", people["tenure"].astype(str)])["v"].sum()
    cells = sums[sums["tenure"] != "Total"]
    errors = cells["sum"].to_numpy() - np.array(
        [truth.get((a, t), 0) for a, t in zip(cells["area_code"], cells["tenure"], strict=True)]
    )
    within = np.abs(errors) <= cells["moe95"].to_numpy()
    assert within.mean() >= 0.8  # 80 cells: a 95% interval rarely misses more than a few
    true_mean = clipped.groupby("ward")["v"].mean()
    totals = means[means["tenure"] == "Total"].set_index("area_code")
    assert (np.abs(totals["mean"] - true_mean.reindex(totals.index)) < 100).mean() >= 0.8
    manifest = json.loads((result.release_dir / "manifest.json").read_text())
    bound = manifest["tables"]["arrears_sum"]["contribution_bound"]
    assert bound["value_bounds"] == [0, 3000] and bound["max_rows_per_person"] == 1


def test_sum_without_bounds_is_a_config_error(demo_workspace):
    config = minimal_config()
    config["release"]["tables"] = [{"name": "x", "statistic": "sum", "value": "rent_arrears_gbp"}]
    path = demo_workspace / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError, match="bounds"):
        load_config(path)
