"""A canary planted in the input never reaches any output, in any release method."""

from __future__ import annotations

import pytest
import yaml

from boroughkit import build_plan, load_config, run_pipeline
from tests.helpers.configs import extract_config, minimal_config

CANARY = "ZEBRA-CANARY-7731-QUOKKA"


@pytest.mark.parametrize("method", ["dp-tables", "sdc-tables", "synthetic-extract"])
def test_planted_canary_never_published(demo_workspace, demo_residents, method):
    frame = demo_residents.astype({"person_id": str})
    planted = frame["person_id"] == frame["person_id"].iloc[0]  # all rows of one person
    frame.loc[planted, "person_id"] = CANARY
    frame["case_notes"] = "free text about " + frame["person_id"]
    frame.loc[planted, "case_notes"] = f"note mentioning {CANARY}"
    frame.to_parquet(demo_workspace / "planted.parquet")
    config = extract_config(seed=1) if method == "synthetic-extract" else minimal_config()
    config["source"]["path"] = "planted.parquet"
    config["source"]["dataset"] = "residents"  # the registered dataset, planted with a canary
    config["source"]["identifiers"] = ["case_notes", "postcode"]
    config["disclosure"] = {"canary": CANARY}
    if method == "sdc-tables":
        config["release"] = {
            "method": "sdc-tables",
            "tables": [{"name": "tenure", "count_by": ["tenure"], "levels": ["ward", "borough"]}],
        }
    path = demo_workspace / "canary.yaml"
    path.write_text(yaml.safe_dump(config))
    result = run_pipeline(build_plan(load_config(path)))
    assert "leak-scan" in [check.id for check in result.report.checks]
    for file in (demo_workspace / "catalogue").rglob("*"):
        if file.is_file():
            assert CANARY.encode() not in file.read_bytes(), file
