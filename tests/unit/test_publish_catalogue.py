"""The versioned catalogue: publish, supersede, retract, registers, recovery, what is public."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest

from boroughkit.errors import ConfigError, PublishError
from boroughkit.publish import (
    DataSharingEntry,
    append_data_sharing_entry,
    approve_release,
    export_site,
    publish_release,
    recover_catalogue,
    retract_release,
)
from boroughkit.publish.entry import (
    CatalogueEntry,
    CatalogueVersion,
    FileEntry,
    ReleaseStatus,
    Retraction,
)
from boroughkit.publish.explorer import public_content, public_files, resolve_public
from boroughkit.publish.schema import schema_document, schema_text
from boroughkit.publish.state import assign_statuses
from boroughkit.publish.transaction import CatalogueTransaction
from boroughkit.terms import LEVELS
from tests.helpers.publishing import stage_release


def _publish(catalogue, bundle, **kwargs):
    release_id = stage_release(catalogue, bundle, **kwargs)
    approve_release(catalogue, release_id, by="Asha Patel")
    return release_id, publish_release(catalogue, release_id, by="Data Team")


def _index(catalogue):
    return json.loads((catalogue / "index.json").read_text())


def test_publish_makes_a_new_version_with_metadata_registers_and_audit(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    release_id, result = _publish(catalogue, demo_bundle)
    assert result.version == 1 and result.folder == catalogue / "releases" / release_id
    index = _index(catalogue)
    assert index == json.loads((catalogue / "versions" / "1.json").read_text())
    (entry,) = index["releases"]
    assert entry["status"] == "current" and entry["approved_by"] == "Asha Patel"
    assert entry["dpia_reference"] == "DPIA-2026-014"
    assert index["change"] == {**index["change"], "action": "publish", "by": "Data Team"}
    folder = catalogue / "releases" / release_id
    # Evidence for the approver stays private; the approval area is emptied.
    assert not (folder / "risk-report.json").exists() and not (folder / "approval.json").exists()
    assert {p.name for p in (catalogue / "audit" / release_id).iterdir()} == {
        "risk-report.json",
        "risk-report.md",
        "risk-report.html",
        "approval.json",
    }
    assert not (catalogue / "staging" / release_id).exists()
    listed = {item["path"] for item in entry["files"]}
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert listed == on_disk
    assert {"dcat.jsonld", "datapackage.json", "manifest.json"} <= on_disk
    register = (catalogue / "registers" / "transparency.csv").read_text()
    rows = list(csv.DictReader(register.splitlines()))
    assert [(r["release_id"], r["approved_by"], r["legal_basis"]) for r in rows] == [
        (release_id, "Asha Patel", "UK GDPR Article 6(1)(e)")
    ]
    assert "DPIA-2026-014" in (catalogue / "registers" / "transparency.html").read_text()
    catalog = json.loads((catalogue / "catalog.jsonld").read_text())
    assert [d["dct:identifier"] for d in catalog["dcat:dataset"]] == [release_id]
    before = _index(catalogue)  # publishing again changes nothing and says so (issue 12)
    again = publish_release(catalogue, release_id)
    assert again.status == "already published (current)" and again.version == 1
    assert _index(catalogue) == before


def test_a_newer_release_of_the_same_name_supersedes_without_deleting(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    old, _ = _publish(catalogue, demo_bundle, created="2026-01-01T00:00:00+00:00")
    other, _ = _publish(catalogue, demo_bundle, name="other-table")
    new, result = _publish(catalogue, demo_bundle, created="2026-02-01T00:00:00+00:00")
    assert result.version == 3
    statuses = {e["id"]: (e["status"], e["superseded_by"]) for e in _index(catalogue)["releases"]}
    assert statuses == {old: ("superseded", new), new: ("current", None), other: ("current", None)}
    assert (catalogue / "releases" / old / "manifest.json").exists()
    catalog = json.loads((catalogue / "catalog.jsonld").read_text())
    replaced = {d["dct:identifier"]: d.get("dct:isReplacedBy") for d in catalog["dcat:dataset"]}
    assert replaced[old] == {"@id": f"releases/{new}/"}
    # Earlier versions are kept and still say what was public then.
    first = json.loads((catalogue / "versions" / "1.json").read_text())
    assert [e["status"] for e in first["releases"]] == ["current"]


def test_retract_moves_the_files_and_says_why(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    old, _ = _publish(catalogue, demo_bundle, created="2026-01-01T00:00:00+00:00")
    new, _ = _publish(catalogue, demo_bundle, created="2026-02-01T00:00:00+00:00")
    with pytest.raises(ConfigError, match="--reason"):
        retract_release(catalogue, new, reason="  ")
    result = retract_release(
        catalogue, new, reason="A table double-counted one ward.", by="Asha Patel"
    )
    assert result.version == 3 and not (catalogue / "releases" / new).exists()
    assert (catalogue / "retracted" / new / "manifest.json").exists()
    notice = json.loads((catalogue / "retracted" / new / "retraction.json").read_text())
    assert notice["reason"] == "A table double-counted one ward."
    statuses = {e["id"]: e["status"] for e in _index(catalogue)["releases"]}
    assert statuses == {new: "retracted", old: "current"}  # the older one is current again
    rows = {
        r["release_id"]: r
        for r in csv.DictReader(
            (catalogue / "registers" / "transparency.csv").read_text().splitlines()
        )
    }
    assert rows[new]["status"] == "retracted"
    assert rows[new]["retraction_reason"] == "A table double-counted one ward."
    with pytest.raises(PublishError, match="already withdrawn"):
        retract_release(catalogue, new, reason="again")


def test_statuses_follow_creation_time_per_name():
    withdrawn = Retraction(at="2026-03-02", by="Asha Patel", reason="x")
    entries = [
        CatalogueEntry(id="a-1", name="a", created="2026-01-01"),
        CatalogueEntry(id="a-3", name="a", created="2026-03-01", retraction=withdrawn),
        CatalogueEntry(id="a-2", name="a", created="2026-02-01"),
        CatalogueEntry(id="b-1", name="b", created="2025-01-01"),
    ]
    result = {e.id: (e.status, e.superseded_by) for e in assign_statuses(entries)}
    assert result == {
        "a-1": (ReleaseStatus.SUPERSEDED, "a-2"),
        "a-2": (ReleaseStatus.CURRENT, None),
        "a-3": (ReleaseStatus.RETRACTED, None),
        "b-1": (ReleaseStatus.CURRENT, None),
    }


def test_entries_and_versions_read_back_exactly_as_written(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    _publish(catalogue, demo_bundle, created="2026-01-01T00:00:00+00:00")
    new, _ = _publish(catalogue, demo_bundle, created="2026-02-01T00:00:00+00:00")
    retract_release(catalogue, new, reason="Wrong figures.")
    text = (catalogue / "index.json").read_text()
    version = CatalogueVersion.from_json(json.loads(text))
    # The typed document writes the same bytes, and statuses stay plain strings in the JSON.
    assert json.dumps(version.to_json(), indent=2, ensure_ascii=False) + "\n" == text
    assert [e.status for e in version.releases] == ["current", "retracted"]
    assert isinstance(version.releases[0].files[0], FileEntry)
    assert version.find(new).retraction.reason == "Wrong figures."


def _sharing_entry(**changes):
    values = dict(
        recipient_organisation="University of Essex",
        purpose="Housing research",
        legal_basis="UK GDPR Article 6(1)(e)",
        agreement_reference="DSA-2026-003",
        approved_by="Asha Patel",
        date=date(2026, 3, 1),
        expiry=date(2027, 3, 1),
        data_description="Synthetic extract of tenure records",
    )
    return DataSharingEntry(**{**values, **changes})


def test_data_sharing_register_appends_in_every_format(tmp_path):
    catalogue = tmp_path / "catalogue"
    append_data_sharing_entry(catalogue, _sharing_entry())
    append_data_sharing_entry(catalogue, _sharing_entry(recipient_organisation="NHS Trust"))
    registers = catalogue / "registers"
    entries = json.loads((registers / "data-sharing.json").read_text())["entries"]
    assert [e["recipient_organisation"] for e in entries] == ["University of Essex", "NHS Trust"]
    rows = list(csv.DictReader((registers / "data-sharing.csv").read_text("utf-8").splitlines()))
    assert rows[1]["expiry"] == "2027-03-01" and rows[0]["agreement_reference"] == "DSA-2026-003"
    page = (registers / "data-sharing.html").read_text()
    assert page.count("<tr>") == 3 and 'lang="en"' in page and "NHS Trust" in page
    with pytest.raises(ConfigError, match="expiry"):
        append_data_sharing_entry(catalogue, _sharing_entry(expiry=date(2025, 1, 1)))
    with pytest.raises(ConfigError, match="purpose"):
        append_data_sharing_entry(catalogue, _sharing_entry(purpose=""))
    assert len(json.loads((registers / "data-sharing.json").read_text())["entries"]) == 2


def test_recovery_finishes_committed_changes_and_sweeps_the_rest(tmp_path):
    catalogue = tmp_path / "catalogue"
    catalogue.mkdir()
    (catalogue / "index.json").write_text('{"version": 1}')
    committed = CatalogueTransaction(catalogue)
    committed.write_text("versions/2.json", "two")
    committed.write_text("index.json", '{"version": 2}')
    # Write the journal as commit() would, but stop before applying it (a kill there).
    moves = committed._moves
    (committed.folder / "journal.json").write_text(json.dumps({"moves": moves}))
    abandoned = CatalogueTransaction(catalogue)
    abandoned.write_text("index.json", '{"version": 99}')
    done = recover_catalogue(catalogue)
    assert len(done) == 2
    assert json.loads((catalogue / "index.json").read_text()) == {"version": 2}
    assert (catalogue / "versions" / "2.json").read_text() == "two"
    assert not (catalogue / ".publishing").exists()


def test_only_public_files_are_served_or_exported(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    published, _ = _publish(catalogue, demo_bundle)
    waiting = stage_release(catalogue, demo_bundle, name="not-yet")
    (tmp_path / "catalogue.privacy-ledger.sqlite").write_bytes(b"ledger")
    assert resolve_public(catalogue, "/") is not None
    assert resolve_public(catalogue, "/index.json") == (catalogue / "index.json").resolve()
    assert resolve_public(catalogue, f"/releases/{published}/tenure/tenure_ward.csv")
    for private in (
        f"/staging/{waiting}/manifest.json",
        f"/audit/{published}/approval.json",
        "/../catalogue.privacy-ledger.sqlite",
        "/releases/../staging",
        "/%2e%2e/catalogue.privacy-ledger.sqlite",
        "/.lock",
        f"/releases/{published}/../../audit/{published}/approval.json",
    ):
        assert resolve_public(catalogue, private) is None, private
    files = public_files(catalogue)
    assert not any(path.startswith(("staging", "audit", ".")) for path in files)
    out = tmp_path / "site"
    count = export_site(catalogue, out)
    exported = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert count == len(exported) and {"index.html", "explorer.js", "index.json"} <= exported
    assert not any("risk-report" in name or "approval" in name for name in exported)
    with pytest.raises(ConfigError, match="not empty"):
        export_site(catalogue, out)


def test_the_published_schema_is_served_and_exported(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    _publish(catalogue, demo_bundle)
    written = json.loads((catalogue / "schema.json").read_text())
    assert written == schema_document()
    assert [level["id"] for level in written["levels"]] == list(LEVELS)
    assert written["columns"]["fixed"][:3] == ["area_code", "area_name", "level"]
    assert public_content(catalogue, "/schema.json") == (
        "schema.json",
        (catalogue / "schema.json").read_bytes(),
    )
    # A catalogue last changed before schema.json existed gets this version's schema.
    (catalogue / "schema.json").unlink()
    assert public_content(catalogue, "/schema.json") == ("schema.json", schema_text().encode())
    out = tmp_path / "site"
    count = export_site(catalogue, out)
    assert json.loads((out / "schema.json").read_text()) == written
    assert count == sum(1 for p in out.rglob("*") if p.is_file())


def test_commands_name_a_missing_catalogue_and_export_the_site(tmp_path, demo_bundle):
    from click.testing import CliRunner

    from boroughkit.cli.publishing import export_site as export_command
    from boroughkit.cli.publishing import publish, serve

    runner = CliRunner()
    missing = str(tmp_path / "nowhere")
    result = runner.invoke(publish, ["some-release", "--catalogue", missing])
    assert result.exit_code == 5 and "no such catalogue folder" in result.output
    assert not (tmp_path / "nowhere").exists()
    result = runner.invoke(serve, [missing, "--port", "0"])
    assert result.exit_code == 2 and "no such catalogue folder" in result.output
    catalogue = tmp_path / "catalogue"
    _publish(catalogue, demo_bundle)
    result = runner.invoke(export_command, [str(catalogue), "--out", str(tmp_path / "site")])
    assert result.exit_code == 0 and (tmp_path / "site" / "index.html").exists()
