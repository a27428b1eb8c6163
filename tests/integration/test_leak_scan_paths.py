"""The streaming (DuckDB) and in-memory paths of ``dp-tables`` gate alike: the leak scan searches
the same values, the minimum-population check reads the same public figures, and exact input
facts stay private on both."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from boroughkit import build_plan, load_config, run_pipeline
from boroughkit.cli import main
from boroughkit.errors import ConfigError, DisclosureError
from boroughkit.geography import open_bundle
from boroughkit.geography.bundle import GeographyBundle
from boroughkit.geography.storage import write_bundle
from boroughkit.methods.dp_tables import sources
from boroughkit.release.streamed import can_stream
from tests.helpers.configs import REAL_PUBLISHER, minimal_config

CANARY = "QX-CANARY-5150-OKAPI"


def _run(workspace, config, name):
    path = workspace / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    plan = build_plan(load_config(path))
    return plan, lambda: run_pipeline(plan)


def _in_memory(monkeypatch):
    # The same records through the pandas path: DuckDB is not allowed to take them.
    monkeypatch.setattr(sources, "can_stream_checked", lambda job, rules: False)


def _leak_scan(report):
    (check,) = [check for check in report.checks if check.id == "leak-scan"]
    return check


def test_both_paths_search_the_same_identifier_values(demo_workspace, monkeypatch):
    plan, run = _run(demo_workspace, minimal_config(), "streamed")
    assert can_stream(plan, demo_workspace / "residents.parquet")
    streamed = _leak_scan(run().report)
    _in_memory(monkeypatch)
    in_memory = _leak_scan(_run(demo_workspace, minimal_config(), "loaded")[1]().report)
    assert streamed.passed and in_memory.passed
    for key in ("searched", "skipped_too_short", "skipped_public"):
        assert streamed.metrics[key] == in_memory.metrics[key], key
    searched = streamed.metrics["searched"]
    assert searched["person_id"] > 0 and searched["uprn"] > 0
    assert f"searched for {sum(streamed.metrics['searched'].values())} distinctive" in (
        streamed.summary
    )


def test_a_canary_planted_in_the_id_column_is_caught_when_streaming(demo_workspace, demo_residents):
    frame = demo_residents.astype({"person_id": str})
    frame.loc[frame["person_id"] == frame["person_id"].iloc[0], "person_id"] = CANARY
    frame.to_parquet(demo_workspace / "planted.parquet")
    config = minimal_config(description=f"Tenure; case {CANARY} checked by hand")
    config["source"].update({"path": "planted.parquet", "dataset": "residents"})
    config["disclosure"] = {"canary": CANARY}
    plan, run = _run(demo_workspace, config, "planted")
    assert can_stream(plan, demo_workspace / "planted.parquet")
    with pytest.raises(DisclosureError) as refused:
        run()
    report = json.loads(Path(refused.value.report_path).with_suffix(".json").read_text())
    (scan,) = [check for check in report["checks"] if check["id"] == "leak-scan"]
    assert not scan["passed"]
    assert {finding["where"]["kind"] for finding in scan["findings"]} >= {"canary", "person_id"}
    assert not list((demo_workspace / "catalogue").glob("staging/*"))


def _without_populations(workspace):
    demo = open_bundle("builtin:demo")
    lookup = demo.lookup.assign(population=pd.array([None] * len(demo.lookup), dtype="Int64"))
    bundle = GeographyBundle(lookup, demo.boundaries, demo.info, demo.postcodes, demo.centroids)
    write_bundle(bundle, workspace / "no-populations")
    return demo


@pytest.mark.parametrize("path", ["streamed", "in-memory"])
def test_without_public_populations_both_paths_refuse_before_reading(
    demo_workspace, monkeypatch, path
):
    _without_populations(demo_workspace)
    if path == "in-memory":
        _in_memory(monkeypatch)
    config = minimal_config()
    config["geography"]["boundaries"] = "no-populations"
    config["publish"].update(REAL_PUBLISHER)
    # A records file that does not exist: the refusal must come before any record is read.
    config["source"].update({"path": "not-read.parquet", "dataset": "residents"})
    with pytest.raises(ConfigError) as refused:
        _run(demo_workspace, config, "nopop")[1]()
    assert "disclosure.area_populations" in (refused.value.fix or "")
    assert "never a count of the records" in refused.value.message


def test_supplied_populations_gate_both_paths_alike(demo_workspace, monkeypatch):
    demo = _without_populations(demo_workspace)
    levels = minimal_config()["release"]["tables"][0]["levels"]
    figures = pd.concat([demo.areas(level).assign(level=level) for level in levels])
    figures.rename(columns={"code": "area_code"})[["level", "area_code", "population"]].to_csv(
        demo_workspace / "census.csv", index=False
    )
    config = minimal_config()
    config["geography"]["boundaries"] = "no-populations"
    config["publish"].update(REAL_PUBLISHER)
    config["disclosure"] = {"area_populations": "census.csv", "min_area_population": 120}
    checks = []
    for name in ("streamed", "in-memory"):
        if name == "in-memory":
            _in_memory(monkeypatch)
        # The demo's smallest OAs are below 120 residents by the public figures: refused.
        with pytest.raises(DisclosureError) as refused:
            _run(demo_workspace, config, name)[1]()
        report = json.loads(Path(refused.value.report_path).with_suffix(".json").read_text())
        (check,) = [c for c in report["checks"] if c["id"] == "min-area-population"]
        checks.append(
            (
                check["passed"],
                check["summary"],
                sorted(f["where"]["area_code"] for f in check["findings"]),
            )
        )
    assert checks[0] == checks[1]
    small = demo.areas("oa").loc[demo.areas("oa")["population"] < 120, "code"]
    assert checks[0][2] == sorted(small) and len(small) > 0


def test_input_facts_stay_in_the_audit_folder_and_the_manifest_names_a_person(
    demo_workspace, demo_residents
):
    path = demo_workspace / "cli.yaml"
    path.write_text(yaml.safe_dump(minimal_config(name="cli-tenure")))
    runner = CliRunner()
    ran = runner.invoke(main, ["run", str(path), "--by", "Asha Patel"])
    assert ran.exit_code == 0, ran.output
    assert f"input rows: {len(demo_residents)}" in ran.output  # the console is private
    catalogue = demo_workspace / "catalogue"
    (staged,) = (catalogue / "staging").iterdir()
    manifest = json.loads((staged / "manifest.json").read_text())
    assert manifest["created_by"] == "Asha Patel" and "input" not in manifest
    for command in (["approve", staged.name, "--by", "Dana Approver"], ["publish", staged.name]):
        done = runner.invoke(main, [*command, "--catalogue", str(catalogue)])
        assert done.exit_code == 0, done.output
    facts = json.loads((catalogue / "audit" / staged.name / "input-facts.json").read_text())
    assert facts["input_rows"] == len(demo_residents) and facts["unmatched"] == {}
    public = [p for p in (catalogue / "releases").rglob("*") if p.is_file()]
    assert public and not any(p.name == "input-facts.json" for p in public)
    assert not any(b'"input_rows"' in p.read_bytes() for p in public)
