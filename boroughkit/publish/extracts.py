"""Issue an approved researcher extract: restricted files, and a public register entry.

A synthetic extract is shared with one organisation under a data sharing agreement, not
published as open data. Issuing it moves the approved bundle to ``<catalogue>/extracts/<id>/``
(never served, exported or copied to a public target; the council sends it to the recipient),
its risk report and approval to ``audit/<id>/``, and appends its entry to the public Data
Sharing Register, all in one catalogue transaction. Withdrawing it (``boroughkit retract``)
moves the bundle to ``retracted/<id>/`` and appends a row saying when, why and by whom; the
register's earlier rows are never changed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from boroughkit.errors import PublishError
from boroughkit.publish.approval import ApprovalRecord, read_manifest
from boroughkit.publish.catalogue import AUDIT, EXTRACTS, PRIVATE_FILES, RETRACTED, STAGING
from boroughkit.publish.registers import DataSharingEntry, data_sharing_entries, data_sharing_files
from boroughkit.publish.release_entry import link_or_copy
from boroughkit.publish.transaction import CatalogueTransaction, StepHook, announce

RESTRICTED = "restricted"


def is_restricted(manifest: dict[str, Any]) -> bool:
    """True for a release shared under an agreement rather than published openly."""
    return manifest.get("access") == RESTRICTED


def sharing_entry(
    manifest: dict[str, Any], approval: ApprovalRecord, issued: dt.date
) -> DataSharingEntry:
    """The register entry of an extract, from its (approved) manifest and approval."""
    recipient = manifest.get("recipient") or {}
    extract = manifest.get("extract") or {}
    synthesiser = (extract.get("synthesiser") or {}).get("method", "")
    try:
        expiry = dt.date.fromisoformat(str(recipient["expires"]))
        entry = DataSharingEntry(
            recipient_organisation=recipient["organisation"],
            purpose=recipient["purpose"],
            legal_basis=recipient["legal_basis"],
            agreement_reference=recipient["agreement"],
            approved_by=approval.approved_by,
            date=issued,
            expiry=expiry,
            data_description=(
                # No record count: without DP it would follow the real number of people.
                f"synthetic person records ({synthesiser}, "
                f"{extract.get('area_level')} level) from dataset {manifest.get('dataset')}"
            ),
            release_id=manifest["release_id"],
            accepted_findings="; ".join(approval.accepted_findings),
        )
    except (KeyError, ValueError) as error:
        raise PublishError(
            f"{manifest.get('release_id')}: the manifest's recipient block is incomplete ({error})",
            fix="build the extract again with `boroughkit run`",
        ) from error
    entry.check()
    return entry


def issue_extract(
    catalogue: Path,
    staged: Path,
    approval: ApprovalRecord,
    issued: dt.datetime,
    *,
    on_step: StepHook | None = None,
) -> tuple[Path, DataSharingEntry]:
    """Move the approved bundle to ``extracts/`` and register it; returns folder and entry."""
    manifest = read_manifest(staged)
    release_id = manifest["release_id"]
    entry = sharing_entry(manifest, approval, issued.date())
    if entry.expiry < issued.date():
        raise PublishError(
            f"{release_id}: the data sharing agreement {entry.agreement_reference} expired on "
            f"{entry.expiry}",
            fix="renew the agreement, set release.recipient.expires and run again",
        )
    change = CatalogueTransaction(catalogue, on_step=on_step)
    try:
        folder = change.new_path(f"{EXTRACTS}/{release_id}")
        for item in manifest.get("files", []):
            link_or_copy(staged / item["path"], folder / item["path"])
        link_or_copy(staged / "manifest.json", folder / "manifest.json")
        audit = change.new_path(f"{AUDIT}/{release_id}")
        for name in PRIVATE_FILES:
            if (staged / name).exists():  # releases staged before a private file existed lack it
                link_or_copy(staged / name, audit / name)
        rows = [*data_sharing_entries(catalogue), entry.to_row()]
        for relative, text in data_sharing_files(rows).items():
            change.write_text(relative, text)
        change.discard(f"{STAGING}/{release_id}")
        announce(on_step, "prepared")
        change.commit()
    except BaseException:
        change.abort()
        raise
    return catalogue / EXTRACTS / release_id, entry


def withdraw_extract(
    catalogue: Path,
    release_id: str,
    *,
    reason: str,
    by: str,
    at: dt.datetime,
    on_step: StepHook | None = None,
) -> dict[str, str]:
    """Withdraw an issued extract: files to ``retracted/``, a withdrawal row in the register."""
    rows = data_sharing_entries(catalogue)
    issued = [row for row in rows if row.get("release_id") == release_id]
    if not issued or not (catalogue / EXTRACTS / release_id).is_dir():
        raise PublishError(
            f"extract {release_id} is not issued in {catalogue}",
            fix="check the id in registers/data-sharing.csv",
        )
    withdrawal = {
        **issued[-1],
        "withdrawn_on": at.date().isoformat(),
        "withdrawal_reason": reason,
        "withdrawn_by": by,
    }
    change = CatalogueTransaction(catalogue, on_step=on_step)
    try:
        change.move(f"{EXTRACTS}/{release_id}", f"{RETRACTED}/{release_id}")
        change.write_json(
            f"{RETRACTED}/{release_id}/retraction.json",
            {
                "release_id": release_id,
                "at": at.isoformat(timespec="seconds"),
                "by": by,
                "reason": reason,
            },
        )
        for relative, text in data_sharing_files([*rows, withdrawal]).items():
            change.write_text(relative, text)
        announce(on_step, "prepared")
        change.commit()
    except BaseException:
        change.abort()
        raise
    return withdrawal
