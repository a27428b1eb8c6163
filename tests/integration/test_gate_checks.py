"""The gate across areas and releases, and `boroughkit check`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from boroughkit import build_plan, load_config, run_pipeline
from boroughkit.cli import main
from boroughkit.errors import DisclosureError
from boroughkit.privacy.ledger import default_ledger_path
from tests.helpers.configs import minimal_config
from tests.helpers.files import tree_snapshot


def _sdc_config(**disclosure):
    config = minimal_config()
    config["release"] = {
        "method": "sdc-tables",
        "tables": [{"name": "tenure", "count_by": ["tenure"], "levels": ["ward", "borough"]}],
    }
    if disclosure:
        config["disclosure"] = disclosure
    return config


def test_custom_area_leaving_a_small_sliver_is_refused_and_named(demo_workspace, demo_bundle):
    lookup = demo_bundle.lookup
    ward = lookup["ward_code"].iloc[0]
    oas = lookup.loc[lookup["ward_code"] == ward, "oa_code"].astype(str).tolist()
    estate = pd.DataFrame(
        {"area_code": "EST-1", "area_name": "Riverside Estate", "oa_code": oas[:-1]}
    )  # the ward minus one OA
    estate.to_csv(demo_workspace / "estates.csv", index=False)
    path = demo_workspace / "estates.yaml"
    path.write_text(
        yaml.safe_dump(_sdc_config(custom_areas=[{"name": "estates", "oa_lists": "estates.csv"}]))
    )
    before = tree_snapshot(demo_workspace / "catalogue")
    with pytest.raises(DisclosureError) as caught:
        run_pipeline(build_plan(load_config(path)))
    assert tree_snapshot(demo_workspace / "catalogue") == before
    report_path = Path(caught.value.report_path.replace(".md", ".json"))
    report = json.loads(report_path.read_text())
    failed = [c for c in report["checks"] if not c["passed"]]
    assert "geographic-differencing" in {c["id"] for c in failed}
    details = json.dumps(failed)
    assert "Riverside Estate" in details and oas[-1] in details


def test_check_dry_run_stages_nothing_and_charges_nothing(demo_workspace):
    path = demo_workspace / "check.yaml"
    path.write_text(yaml.safe_dump(minimal_config()))
    catalogue_before = tree_snapshot(demo_workspace / "catalogue")
    ledger_before = default_ledger_path(demo_workspace / "catalogue").read_bytes()
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "nothing was staged or charged" in result.output
    assert tree_snapshot(demo_workspace / "catalogue") == catalogue_before
    assert default_ledger_path(demo_workspace / "catalogue").read_bytes() == ledger_before
    assert list((demo_workspace / "reports").glob("*/risk-report.md"))


def test_check_failing_config_exits_3(demo_workspace):
    config = minimal_config()
    config["disclosure"] = {"min_area_population": 10**6}
    path = demo_workspace / "check.yaml"
    path.write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 3 and "refuse" in result.output


def test_check_release_folder_detects_changed_file(demo_workspace):
    path = demo_workspace / "good.yaml"
    path.write_text(yaml.safe_dump(minimal_config()))
    built = run_pipeline(build_plan(load_config(path)))
    ok = CliRunner().invoke(main, ["check", str(built.release_dir)])
    assert ok.exit_code == 0, ok.output
    csv = next(built.release_dir.rglob("*.csv"))
    csv.write_text(csv.read_text() + "tampered\n")
    bad = CliRunner().invoke(main, ["check", str(built.release_dir)])
    assert bad.exit_code == 3 and "manifest" in bad.output.lower()
