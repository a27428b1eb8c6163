"""Withdraw a published release (or an issued researcher extract) as a new catalogue version.

The files move to ``retracted/<id>/`` with a ``retraction.json`` saying when, by whom and why;
the catalogue keeps listing the release as withdrawn, and the registers say so.
"""

from __future__ import annotations

import getpass
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

from boroughkit.errors import ConfigError, PublishError
from boroughkit.publish.catalogue import EXTRACTS, RELEASES, RETRACTED
from boroughkit.publish.changes import (
    PublishResult,
    apply_change,
    copy_to_target,
    current_version,
    prepare_catalogue,
    require_catalogue,
    timestamp,
)
from boroughkit.publish.entry import CatalogueVersion, ReleaseStatus, Retraction
from boroughkit.publish.extracts import withdraw_extract
from boroughkit.publish.state import current_entries, find_entry, next_version, read_index
from boroughkit.publish.transaction import CatalogueTransaction, StepHook, catalogue_lock


def retract_release(
    catalogue: Path,
    release_id: str,
    *,
    reason: str,
    by: str | None = None,
    to: str | None = None,
    now: datetime | None = None,
    on_step: StepHook | None = None,
) -> PublishResult:
    """Withdraw a published release: its files move to ``retracted/`` (kept for the record), the
    catalogue lists it as withdrawn with ``reason``, and the registers say so. ``on_step`` is
    told each step of the change, as for :func:`~boroughkit.publish.publish_release`."""
    if not reason or not reason.strip():
        raise ConfigError("--reason is empty", fix="say why the release is withdrawn; it is public")
    require_catalogue(catalogue)
    withdrawn_from = catalogue / RETRACTED / release_id
    with catalogue_lock(catalogue):
        entries = current_entries(catalogue)
        entry = find_entry(entries, release_id)
        if entry is not None and entry.status == ReleaseStatus.RETRACTED and to:
            version_number = current_version(catalogue).version
            result = PublishResult(release_id, withdrawn_from, version_number, "withdrawn", to)
            return copy_to_target(catalogue, result)
        if entry is None and (catalogue / EXTRACTS / release_id).is_dir():
            withdraw_extract(
                catalogue,
                release_id,
                reason=reason.strip(),
                by=by or getpass.getuser(),
                at=now or datetime.now(UTC),
                on_step=on_step,
            )
            index = read_index(catalogue)
            return PublishResult(
                release_id,
                withdrawn_from,
                index.version if index else 0,
                "extract withdrawn",
                notes=[
                    "a withdrawal row was added to the Data Sharing Register; ask the "
                    "recipient to delete their copy under the agreement"
                ],
            )
        if entry is None or entry.status == ReleaseStatus.RETRACTED:
            state = "already withdrawn" if entry else "not published"
            raise PublishError(
                f"release {release_id} is {state} in {catalogue}",
                fix="check the id with `boroughkit serve` or index.json",
            )
        at = timestamp(now)
        retraction = Retraction(at=at, by=by or getpass.getuser(), reason=reason.strip())
        withdrawn = replace(entry, retraction=retraction, path=f"{RETRACTED}/{release_id}/")
        others = [e for e in entries if e.id != release_id]

        def build(change: CatalogueTransaction) -> CatalogueVersion:
            change.move(f"{RELEASES}/{release_id}", f"{RETRACTED}/{release_id}")
            change.write_json(
                f"{RETRACTED}/{release_id}/retraction.json",
                {"release_id": release_id, **asdict(retraction)},
            )
            event = {"action": "retract", "release_id": release_id, **asdict(retraction)}
            version = next_version(catalogue, [*others, withdrawn], event, at)
            prepare_catalogue(change, catalogue, version)
            return version

        version = apply_change(catalogue, build, on_step)
    return copy_to_target(
        catalogue, PublishResult(release_id, withdrawn_from, version.version, "withdrawn", to)
    )
