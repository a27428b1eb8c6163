"""The demo's researcher extract at the demo's full size passes the default gate (or waits for
its inconclusive findings to be accepted by name) and is issued."""

from __future__ import annotations

import json

from boroughkit.pipeline.demo import EXAMPLE_CONFIGS, run_demo


def test_full_size_demo_extract_is_issued_under_default_limits(tmp_path):
    config = EXAMPLE_CONFIGS / "demo-extract-dp.yaml"
    assert "gate:" not in config.read_text()  # the default limits of the disclosure policy
    result = run_demo(tmp_path, configs=[config], echo=lambda _: None)
    assert not result.refused, result.refused
    [issued] = result.published
    assert issued.folder.parent.name == "extracts"
    register = json.loads((result.catalogue / "registers" / "data-sharing.json").read_text())
    [entry] = register["entries"]
    assert entry["agreement_reference"] == "DSA-DEMO-2026-001"
    assert entry["approved_by"] == "boroughkit demo (synthetic data)"
    audit = next((result.catalogue / "audit").glob("*/risk-report.json")).parent
    report = json.loads((audit / "risk-report.json").read_text())
    attacks = next(c for c in report["checks"] if c["id"] == "synthetic-attacks")
    assert attacks["passed"]
    # Passed, or staged with inconclusive findings the demo's approver accepted by name.
    assert report["outcome"] in ("passed", "inconclusive")
    ids = [finding["id"] for finding in report["inconclusive"]]
    assert json.loads((audit / "approval.json").read_text())["accepted_findings"] == ids
    assert entry["accepted_findings"] == "; ".join(ids)
