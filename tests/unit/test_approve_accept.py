"""Approving a release with inconclusive findings: each must be accepted by name, and the
accepted ids are kept in the approval and the Data Sharing Register entry."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from boroughkit.disclosure.report import GateReport
from boroughkit.errors import ConfigError
from boroughkit.publish import approve_release
from boroughkit.publish.approval import ApprovalRecord, check_approved, read_approval
from boroughkit.publish.extracts import sharing_entry
from boroughkit.publish.registers import data_sharing_files
from tests.helpers.files import tree_snapshot
from tests.helpers.publishing import stage_release

FINDINGS = ("attack-linkage", "dcr-identical-records")


def test_a_missing_or_unknown_finding_is_refused_and_nothing_changes(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    release_id = stage_release(catalogue, demo_bundle, inconclusive=FINDINGS)
    before = tree_snapshot(catalogue)
    with pytest.raises(ConfigError, match="not accepted: dcr-identical-records") as missing:
        approve_release(catalogue, release_id, by="Asha Patel", accept=["attack-linkage"])
    assert missing.value.exit_code == 2
    assert "--accept attack-linkage --accept dcr-identical-records" in str(missing.value.fix)
    with pytest.raises(ConfigError, match="not findings of this release: attack-inference"):
        approve_release(
            catalogue, release_id, by="Asha Patel", accept=[*FINDINGS, "attack-inference"]
        )
    with pytest.raises(ConfigError, match="not accepted: attack-linkage, dcr-identical"):
        approve_release(catalogue, release_id, by="Asha Patel")
    assert tree_snapshot(catalogue) == before


def test_accepting_every_finding_records_them_in_the_approval(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    release_id = stage_release(catalogue, demo_bundle, inconclusive=FINDINGS)
    record = approve_release(
        catalogue, release_id, by="Asha Patel", accept=list(reversed(FINDINGS))
    )
    assert record.accepted_findings == FINDINGS  # in the report's order
    folder = catalogue / "staging" / release_id
    saved = json.loads((folder / "approval.json").read_text())
    assert saved["accepted_findings"] == list(FINDINGS)
    assert read_approval(folder) == record
    assert check_approved(folder) == record


def test_publishing_refuses_an_approval_that_does_not_cover_the_findings(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    release_id = stage_release(catalogue, demo_bundle, inconclusive=FINDINGS)
    approve_release(catalogue, release_id, by="Asha Patel", accept=FINDINGS)
    folder = catalogue / "staging" / release_id
    path = folder / "approval.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({**saved, "accepted_findings": ["attack-linkage"]}))
    with pytest.raises(ConfigError, match="not accepted: dcr-identical-records"):
        check_approved(folder)


def test_a_release_without_findings_takes_no_accept(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    release_id = stage_release(catalogue, demo_bundle)
    with pytest.raises(ConfigError, match="0 inconclusive finding"):
        approve_release(catalogue, release_id, by="Asha Patel", accept=["attack-linkage"])
    assert approve_release(catalogue, release_id, by="Asha Patel").accepted_findings == ()


def test_report_lists_findings_to_accept_and_reads_them_back(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    release_id = stage_release(catalogue, demo_bundle, inconclusive=FINDINGS)
    folder = catalogue / "staging" / release_id
    data = json.loads((folder / "risk-report.json").read_text())
    assert data["passed"] and data["outcome"] == "inconclusive"
    assert [f["id"] for f in data["inconclusive"]] == list(FINDINGS)
    assert data["checks"][0]["status"] == "inconclusive"
    again = GateReport.from_json(data)
    assert [f.id for f in again.inconclusive()] == list(FINDINGS)
    text = (folder / "risk-report.md").read_text()
    assert "Inconclusive findings" in text and "--accept dcr-identical-records" in text
    assert "--accept attack-linkage" in (folder / "risk-report.html").read_text()
    assert "INCONCLUSIVE" in again.to_console()


def test_register_entry_carries_the_accepted_findings() -> None:
    manifest = {
        "release_id": "extract-1",
        "dataset": "residents",
        "recipient": {
            "organisation": "University of Testing",
            "purpose": "Research.",
            "legal_basis": "public task",
            "agreement": "DSA-1",
            "expires": "2099-01-01",
        },
        "extract": {"synthesiser": {"method": "cart"}, "area_level": "ward"},
    }
    approval = ApprovalRecord(
        "extract-1",
        "Asha Patel",
        "2026-01-01T00:00:00+00:00",
        None,
        "a",
        "b",
        accepted_findings=FINDINGS,
    )
    entry = sharing_entry(manifest, approval, dt.date(2026, 1, 2))
    assert entry.accepted_findings == "attack-linkage; dcr-identical-records"
    files = data_sharing_files([entry.to_row()])
    assert "accepted_findings" in files["registers/data-sharing.csv"].splitlines()[0]
    assert "attack-linkage; dcr-identical-records" in files["registers/data-sharing.csv"]
    html = files["registers/data-sharing.html"]
    assert "Accepted findings" in html and "dcr-identical-records" in html
    plain = ApprovalRecord("extract-1", "Asha Patel", "2026-01-01", None, "a", "b")
    assert sharing_entry(manifest, plain, dt.date(2026, 1, 2)).accepted_findings == ""
