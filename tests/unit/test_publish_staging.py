"""Building into the approval area, approving, and the checks publishing makes before it starts.

`stage_release` (tests/helpers/publishing.py) builds a small staged release by hand (no pipeline,
no noise); the other publishing tests use it too.
"""

from __future__ import annotations

import json

import pytest

from boroughkit.errors import ConfigError, DisclosureError, PublishError
from boroughkit.publish import approve_release, publish_release
from boroughkit.publish.catalogue import list_staged, staged_release
from tests.helpers.publishing import stage_release


def test_run_output_waits_in_the_approval_area(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    release_id = stage_release(catalogue, demo_bundle)
    assert list_staged(catalogue) == [release_id]
    assert not (catalogue / "releases").exists() and not (catalogue / "index.json").exists()
    assert not (catalogue / ".building").exists()
    staged = catalogue / "staging" / release_id
    assert {"manifest.json", "risk-report.json", "risk-report.md"} <= {
        p.name for p in staged.iterdir()
    }
    manifest = json.loads((staged / "manifest.json").read_text())
    assert manifest["publication"]["dpia_reference"] == "DPIA-2026-014"


def test_a_failed_build_leaves_no_trace(tmp_path):
    catalogue = tmp_path / "catalogue"
    with pytest.raises(RuntimeError), staged_release(catalogue, "r1") as building:
        (building / "x.csv").write_text("a\n1\n")
        raise RuntimeError("gate failed")
    assert not catalogue.exists()


def test_approval_records_who_and_the_checksums(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    release_id = stage_release(catalogue, demo_bundle)
    record = approve_release(catalogue, release_id, by="  Asha Patel ", note="read the report")
    saved = json.loads((catalogue / "staging" / release_id / "approval.json").read_text())
    assert saved["approved_by"] == record.approved_by == "Asha Patel"
    assert len(saved["manifest_sha256"]) == 64 and saved["note"] == "read the report"
    with pytest.raises(PublishError, match="already approved by Asha Patel"):
        approve_release(catalogue, release_id, by="Someone Else")


def test_approval_refuses_a_failed_gate_an_empty_name_and_an_unknown_release(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    failed = stage_release(catalogue, demo_bundle, passed=False)
    with pytest.raises(DisclosureError, match="gate failed") as caught:
        approve_release(catalogue, failed, by="Asha Patel")
    assert caught.value.exit_code == 3
    with pytest.raises(ConfigError, match="--by"):
        approve_release(catalogue, failed, by=" ")
    with pytest.raises(PublishError, match=f"waiting: {failed}"):
        approve_release(catalogue, "no-such-release", by="Asha Patel")


def test_publish_refuses_an_unapproved_release(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    release_id = stage_release(catalogue, demo_bundle)
    with pytest.raises(PublishError, match="has not been approved") as caught:
        publish_release(catalogue, release_id)
    assert "boroughkit approve" in str(caught.value) and caught.value.exit_code == 5
    assert not (catalogue / "releases").exists()


@pytest.mark.parametrize("tamper", ["data", "manifest", "extra", "missing"])
def test_publish_refuses_a_release_changed_after_approval(tmp_path, demo_bundle, tamper):
    catalogue = tmp_path / "catalogue"
    release_id = stage_release(catalogue, demo_bundle)
    approve_release(catalogue, release_id, by="Asha Patel")
    staged = catalogue / "staging" / release_id
    csv = staged / "tenure" / "tenure_ward.csv"
    if tamper == "data":
        csv.write_text(csv.read_text().replace(",owned,", ",owned,1"))
    elif tamper == "manifest":
        manifest = json.loads((staged / "manifest.json").read_text())
        manifest["description"] = "changed"
        (staged / "manifest.json").write_text(json.dumps(manifest))
    elif tamper == "extra":
        (staged / "tenure" / "people.csv").write_text("person_id\nP1\n")
    else:
        csv.unlink()
    expected = {
        "data": "tenure_ward.csv changed",
        "manifest": "manifest.json changed",
        "extra": "people.csv is not listed",
        "missing": "tenure_ward.csv is missing",
    }
    with pytest.raises(PublishError, match=expected[tamper]):
        publish_release(catalogue, release_id)
    assert not (catalogue / "releases").exists() and not (catalogue / "index.json").exists()
