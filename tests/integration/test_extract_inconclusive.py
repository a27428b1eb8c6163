"""An extract whose evidence neither shows nor rules out a risk is staged, not refused; the
approver must accept each inconclusive finding by name, and the register records them."""

from __future__ import annotations

import csv
import json

import yaml
from click.testing import CliRunner

from boroughkit.cli import main
from tests.helpers.configs import extract_config
from tests.helpers.files import tree_snapshot


def test_inconclusive_extract_is_staged_and_needs_each_finding_accepted(demo_workspace):
    # CART drawing three times as many rows as there are people: compared like for like (as
    # many synthetic records as hold-out people), nothing is shown, but small intervals are not
    # to be had from 20,000 people: some findings stay open.
    config = extract_config(seed=3)
    del config["release"]["gate"]  # the default limits
    config["release"]["rows"] = 60_000
    path = demo_workspace / "extract.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    catalogue = demo_workspace / "catalogue"
    built = CliRunner().invoke(main, ["run", str(path)])
    assert built.exit_code == 0, built.output
    [staged] = list((catalogue / "staging").iterdir())
    report = json.loads((staged / "risk-report.json").read_text())
    assert report["passed"] and report["outcome"] == "inconclusive"
    ids = [finding["id"] for finding in report["inconclusive"]]
    assert ids and len(set(ids)) == len(ids)
    for finding in report["inconclusive"]:
        low, high = finding["interval"]
        assert low <= finding["limit"] < high  # it straddles the limit
        assert finding["settle"] and round(high, 3) == high  # rounded as shared figures are
    assert "--accept " + ids[0] in built.output
    assert "Inconclusive findings" in (staged / "risk-report.md").read_text()
    where = ["--catalogue", str(catalogue)]
    approve = ["approve", staged.name, "--by", "Asha Patel", *where]
    before = tree_snapshot(catalogue)

    missing = CliRunner().invoke(main, [*approve, *(f"--accept={i}" for i in ids[1:])])
    assert missing.exit_code == 2 and ids[0] in missing.output and "not accepted" in missing.output
    unknown = CliRunner().invoke(main, [*approve, *(f"--accept={i}" for i in ids), "--accept=x"])
    assert unknown.exit_code == 2 and "not findings of this release: x" in unknown.output
    unapproved = CliRunner().invoke(main, ["publish", staged.name, *where])
    assert unapproved.exit_code != 0
    assert tree_snapshot(catalogue) == before  # nothing changed

    accepted = CliRunner().invoke(main, [*approve, *(f"--accept={i}" for i in reversed(ids))])
    assert accepted.exit_code == 0, accepted.output
    approval = json.loads((staged / "approval.json").read_text())
    assert approval["accepted_findings"] == ids
    published = CliRunner().invoke(main, ["publish", staged.name, *where])
    assert published.exit_code == 0, published.output
    registers = catalogue / "registers"
    [entry] = json.loads((registers / "data-sharing.json").read_text())["entries"]
    assert entry["accepted_findings"] == "; ".join(ids)
    with (registers / "data-sharing.csv").open() as handle:
        [row] = list(csv.DictReader(handle))
    assert row["accepted_findings"] == "; ".join(ids)
    assert ids[0] in (registers / "data-sharing.html").read_text()
    audit = json.loads((catalogue / "audit" / staged.name / "approval.json").read_text())
    assert audit["accepted_findings"] == ids
