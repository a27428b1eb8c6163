"""Publish an approved release as a new catalogue version (or issue a researcher extract).

The change is all or nothing (see :mod:`boroughkit.publish.changes`); withdrawing a release is
:mod:`boroughkit.publish.retraction`.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path

from boroughkit.errors import PublishError
from boroughkit.publish.approval import ApprovalRecord, check_approved, find_staged, read_manifest
from boroughkit.publish.catalogue import EXTRACTS, RELEASES, STAGING, staging_dir
from boroughkit.publish.changes import (
    PublishResult,
    apply_change,
    copy_to_target,
    current_version,
    prepare_catalogue,
    require_catalogue,
    timestamp,
)
from boroughkit.publish.entry import CatalogueVersion, ReleaseStatus
from boroughkit.publish.extracts import is_restricted, issue_extract
from boroughkit.publish.release_entry import prepare_release
from boroughkit.publish.state import current_entries, find_entry, next_version, read_index
from boroughkit.publish.transaction import (
    CatalogueTransaction,
    StepHook,
    announce,
    catalogue_lock,
)


def publish_release(
    catalogue: Path,
    release_id: str,
    *,
    to: str | None = None,
    by: str | None = None,
    now: datetime | None = None,
    on_step: StepHook | None = None,
) -> PublishResult:
    """Publish the approved release ``release_id`` as a new catalogue version.

    Refuses a release that is not approved, whose gate failed, or whose manifest or files changed
    since approval. A newer release of the same name supersedes older ones (kept and listed).
    With ``to`` (or the config's ``publish.target``) the catalogue is also copied there; for an
    already published release, only that copy is made. ``on_step`` is told each step of the
    change (see :mod:`boroughkit.publish.transaction`).
    """
    require_catalogue(catalogue)
    with catalogue_lock(catalogue):  # first finishes a publish killed past its commit point
        entries = current_entries(catalogue)
        existing = find_entry(entries, release_id)
        if existing is None:
            if _already_issued(catalogue, release_id):
                return _already_issued_result(catalogue, release_id, to)
            staged = find_staged(catalogue, release_id)
            approval = check_approved(staged)
            if is_restricted(read_manifest(staged)):
                if to:
                    raise PublishError(
                        f"{release_id} is a researcher extract shared under an agreement; it "
                        f"is never copied to a public target ({to})",
                        fix="publish it without --to; send its files to the recipient",
                    )
                return _issue(catalogue, staged, approval, now, on_step)
            target = to or _recorded_target(staged)
            announce(on_step, "checked")
            published = timestamp(now)

            def build(change: CatalogueTransaction) -> CatalogueVersion:
                entry = prepare_release(change, staged, approval, published)
                event = {
                    "action": "publish",
                    "release_id": release_id,
                    "by": by or getpass.getuser(),
                    "at": published,
                }
                version = next_version(catalogue, [*entries, entry], event, published)
                prepare_catalogue(change, catalogue, version)
                change.discard(f"{STAGING}/{release_id}")
                return version

            version = apply_change(catalogue, build, on_step)
            status = "published"
        elif existing.status == ReleaseStatus.RETRACTED:
            raise PublishError(
                f"release {release_id} is {existing.status} in {catalogue}: it cannot be "
                "published again",
                fix="build a new release with `boroughkit run`",
            )
        else:
            # Published before: by an earlier publish, or by one killed past its commit point
            # (finished by catalogue_lock above). Nothing to change; finish the copy to the
            # target asked for, or recorded in the manifest, in case that copy never ran.
            version = current_version(catalogue)
            target = to or _recorded_target(catalogue / RELEASES / release_id)
            status = "already published"
    listed = version.find(release_id)
    result = PublishResult(
        release_id,
        catalogue / RELEASES / release_id,
        version.version,
        f"{status} ({listed.status if listed else None})",
        target,
    )
    return copy_to_target(catalogue, result)


def _recorded_target(folder: Path) -> str | None:
    """The further target a release's manifest names (``publication.target``), if any."""
    target = (read_manifest(folder).get("publication") or {}).get("target")
    return str(target) if target else None


def _already_issued(catalogue: Path, release_id: str) -> bool:
    return (catalogue / EXTRACTS / release_id).is_dir() and not staging_dir(
        catalogue, release_id
    ).is_dir()


def _already_issued_result(catalogue: Path, release_id: str, to: str | None) -> PublishResult:
    """An extract issued before (perhaps by a publish killed past its commit point)."""
    if to:
        raise PublishError(
            f"{release_id} is a researcher extract shared under an agreement; it is never "
            f"copied to a public target ({to})",
            fix="send its files to the recipient",
        )
    index = read_index(catalogue)
    folder = catalogue / EXTRACTS / release_id
    return PublishResult(
        release_id,
        folder,
        index.version if index else 0,
        f"already {ReleaseStatus.ISSUED} (restricted: not in the open catalogue)",
        notes=[f"send the files in {folder} to the recipient by the agreed secure route"],
    )


def _issue(
    catalogue: Path,
    staged: Path,
    approval: ApprovalRecord,
    now: datetime | None,
    on_step: StepHook | None,
) -> PublishResult:
    folder, entry = issue_extract(
        catalogue, staged, approval, now or datetime.now(UTC), on_step=on_step
    )
    index = read_index(catalogue)
    return PublishResult(
        staged.name,
        folder,
        index.version if index else 0,
        f"{ReleaseStatus.ISSUED} to {entry.recipient_organisation} (restricted: not in the open "
        "catalogue)",
        notes=[
            f"Data Sharing Register entry added: agreement {entry.agreement_reference}, "
            f"expires {entry.expiry}",
            f"send the files in {folder} to the recipient by the agreed secure route",
        ],
    )
