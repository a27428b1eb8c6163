"""A DP extract's bundle rounds every figure about real people and carries no drawn seed; the
exact input facts and the hold-out's split seed stay in the council's audit folder."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import yaml

from boroughkit import build_plan, load_config, run_pipeline
from boroughkit.publish import approve_release, publish_release
from tests.helpers.configs import extract_config

# Config, budget and facts of the DP model (itself a DP output): public, not about real people.
PUBLIC = {
    ("privacy",),
    ("recipient",),
    ("budget",),
    ("files",),
    ("geography",),
    ("licence",),
    ("publication",),
    ("extract", "holdout_fraction"),
    ("extract", "numeric_bins"),
    ("extract", "synthesiser", "parameters"),
    ("synthesiser", "parameters"),
}


def _unrounded(node: Any, path: tuple[str, ...] = ()) -> list[str]:
    """Every number under ``node`` not rounded as the README says, and every seed key."""
    if any(path[: len(prefix)] == prefix for prefix in PUBLIC):
        return []
    if path and path[-1] in ("draws", "samples"):  # how many samples were drawn: a setting
        return []
    where = "/".join(path)
    if isinstance(node, dict):
        bad = [f"{where}/{key}: a seed" for key in node if key in ("seed", "split_seed")]
        for key, value in node.items():
            bad += _unrounded(value, (*path, str(key)))
        return bad
    if isinstance(node, list):
        return [problem for item in node for problem in _unrounded(item, path)]
    if isinstance(node, bool) or not isinstance(node, int | float):
        return []
    if isinstance(node, int):  # counts of people (and of synthetic rows) to the nearest 10
        return [] if node % 10 == 0 else [f"{where}: count {node}"]
    if math.isnan(node):
        return []
    if "kmarginal" in path:  # k-marginal scores (0 to 1000) to whole points
        return [] if node == round(node) else [f"{where}: score {node}"]
    return [] if node == round(node, 3) else [f"{where}: share {node}"]


def test_a_dp_extract_bundle_rounds_every_figure_and_keeps_no_seed(demo_workspace):
    config = extract_config(synthesiser="dp_mst", budget={"rho": 1})
    path = demo_workspace / "dp-extract.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    result = run_pipeline(build_plan(load_config(path)))
    staged = result.release_dir
    manifest = json.loads((staged / "manifest.json").read_text())
    evaluation = json.loads((staged / "evaluation.json").read_text())
    assert "input" not in manifest and manifest["created_by"] == "not stated"
    assert evaluation["rounded_for_sharing"] is True
    assert _unrounded(manifest) == []
    assert _unrounded(evaluation) == []
    # The walk saw the statistics it is about.
    assert evaluation["utility"]["real_accuracy"] == round(
        evaluation["utility"]["real_accuracy"], 3
    )
    assert evaluation["kmarginal"]["per_area"] and evaluation["attacks"]
    html = (staged / "evaluation.html").read_text()
    assert not re.search(r"\d\.\d{2,}%", html), "shares in the report go to 0.1 %"
    assert not re.search(r"<td>-?\d+\.\d{4,}</td>", html)
    catalogue = demo_workspace / "catalogue"
    approve_release(catalogue, result.release_id, by="Dana Approver")
    publish_release(catalogue, result.release_id)
    bundle = catalogue / "extracts" / result.release_id
    assert not (bundle / "input-facts.json").exists()
    assert not any(b"split_seed" in p.read_bytes() for p in bundle.rglob("*") if p.is_file())
    facts = json.loads((catalogue / "audit" / result.release_id / "input-facts.json").read_text())
    assert facts["input_rows"] > 0 and isinstance(facts["split_seed"], int)
