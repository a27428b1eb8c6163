"""Publish an approved release, or withdraw a published one, as a new catalogue version.

Each change is prepared out of sight and applied by :class:`CatalogueTransaction`, so a failure or
a kill at any moment leaves the catalogue as it was (or, past the commit point, as it will be).
A further target (an fsspec URL or a CKAN portal) receives a copy after the local catalogue has
changed; a failed copy is finished by running the same command again.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from boroughkit.errors import ConfigError, PublishError
from boroughkit.publish.approval import (
    ApprovalRecord,
    check_approved,
    find_staged,
    read_manifest,
)
from boroughkit.publish.catalogue import (
    CATALOG,
    EXTRACTS,
    INDEX,
    REGISTERS,
    RELEASES,
    RETRACTED,
    STAGING,
)
from boroughkit.publish.dcat import catalogue_dcat
from boroughkit.publish.entry import CatalogueVersion, ReleaseStatus, Retraction
from boroughkit.publish.extracts import is_restricted, issue_extract, withdraw_extract
from boroughkit.publish.registers import (
    DATA_SHARING,
    data_sharing_files,
    transparency_files,
)
from boroughkit.publish.release_entry import prepare_release
from boroughkit.publish.state import (
    current_entries,
    find_entry,
    next_version,
    read_index,
    version_path,
)
from boroughkit.publish.transaction import (
    CatalogueTransaction,
    StepHook,
    announce,
    catalogue_lock,
)


@dataclass(frozen=True)
class PublishResult:
    """What a publish or retract changed."""

    release_id: str
    folder: Path
    version: int
    status: str
    target: str | None = None
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """A short report for the console."""
        lines = [
            f"{self.release_id}: {self.status} in catalogue version {self.version}",
            f"  folder: {self.folder}",
        ]
        if self.target:
            lines.append(f"  copied to: {self.target}")
        return "\n".join(lines + [f"  {note}" for note in self.notes])


def _require_catalogue(catalogue: Path) -> None:
    if not catalogue.is_dir():
        raise PublishError(
            f"{catalogue}: no such catalogue folder",
            fix="give --catalogue the folder of publish.to in the config",
        )


def _now(now: datetime | None) -> str:
    return _now_datetime(now).isoformat(timespec="seconds")


def _now_datetime(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _prepare_catalogue(
    change: CatalogueTransaction, catalogue: Path, version: CatalogueVersion
) -> None:
    document = version.to_json()
    change.write_json(version_path(version), document)
    for relative, text in transparency_files(version).items():
        change.write_text(relative, text)
    if not (catalogue / REGISTERS / f"{DATA_SHARING}.json").exists():
        for relative, text in data_sharing_files([]).items():
            change.write_text(relative, text)
    change.write_json(CATALOG, catalogue_dcat(version))
    change.write_json(INDEX, document)


def _apply(
    catalogue: Path,
    build: Callable[[CatalogueTransaction], CatalogueVersion],
    on_step: StepHook | None,
) -> CatalogueVersion:
    change = CatalogueTransaction(catalogue, on_step=on_step)
    try:
        version = build(change)
        announce(on_step, "prepared")
        change.commit()
    except BaseException:
        change.abort()
        raise
    return version


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
    _require_catalogue(catalogue)
    with catalogue_lock(catalogue):
        entries = current_entries(catalogue)
        existing = find_entry(entries, release_id)
        if existing is None:
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
            target = to or (read_manifest(staged).get("publication") or {}).get("target")
            announce(on_step, "checked")
            published = _now(now)

            def build(change: CatalogueTransaction) -> CatalogueVersion:
                entry = prepare_release(change, staged, approval, published)
                event = {
                    "action": "publish",
                    "release_id": release_id,
                    "by": by or getpass.getuser(),
                    "at": published,
                }
                version = next_version(catalogue, [*entries, entry], event, published)
                _prepare_catalogue(change, catalogue, version)
                change.discard(f"{STAGING}/{release_id}")
                return version

            version = _apply(catalogue, build, on_step)
        elif existing.status == ReleaseStatus.RETRACTED or not to:
            raise PublishError(
                f"release {release_id} is already {existing.status} in {catalogue}",
                fix="build a new release with `boroughkit run`",
            )
        else:
            version, target = current_version(catalogue), to
    listed = version.find(release_id)
    result = PublishResult(
        release_id,
        catalogue / RELEASES / release_id,
        version.version,
        f"published ({listed.status if listed else None})",
        target,
    )
    return _copy_to_target(catalogue, result, release_id)


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
        f"issued to {entry.recipient_organisation} (restricted: not in the open catalogue)",
        notes=[
            f"Data Sharing Register entry added: agreement {entry.agreement_reference}, "
            f"expires {entry.expiry}",
            f"send the files in {folder} to the recipient by the agreed secure route",
        ],
    )


def current_version(catalogue: Path) -> CatalogueVersion:
    """The catalogue's current version document (index.json)."""
    index = read_index(catalogue)
    if index is None:
        raise PublishError(
            f"{catalogue}: nothing has been published yet",
            fix="approve and publish a release first",
        )
    return index


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
    told each step of the change, as for :func:`publish_release`."""
    if not reason or not reason.strip():
        raise ConfigError("--reason is empty", fix="say why the release is withdrawn; it is public")
    _require_catalogue(catalogue)
    with catalogue_lock(catalogue):
        entries = current_entries(catalogue)
        entry = find_entry(entries, release_id)
        if entry is not None and entry.status == ReleaseStatus.RETRACTED and to:
            result = PublishResult(
                release_id,
                catalogue / RETRACTED / release_id,
                current_version(catalogue).version,
                "withdrawn",
                to,
            )
            return _copy_to_target(catalogue, result, release_id)
        if entry is None and (catalogue / EXTRACTS / release_id).is_dir():
            withdraw_extract(catalogue, release_id, reason=reason.strip(),
                             by=by or getpass.getuser(), at=_now_datetime(now), on_step=on_step)
            return PublishResult(
                release_id, catalogue / RETRACTED / release_id,
                index.version if (index := read_index(catalogue)) else 0,
                "extract withdrawn",
                notes=["a withdrawal row was added to the Data Sharing Register; ask the "
                       "recipient to delete their copy under the agreement"],
            )
        if entry is None or entry.status == ReleaseStatus.RETRACTED:
            state = "already withdrawn" if entry else "not published"
            raise PublishError(
                f"release {release_id} is {state} in {catalogue}",
                fix="check the id with `boroughkit serve` or index.json",
            )
        at = _now(now)
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
            _prepare_catalogue(change, catalogue, version)
            return version

        version = _apply(catalogue, build, on_step)
    result = PublishResult(
        release_id, catalogue / RETRACTED / release_id, version.version, "withdrawn", to
    )
    return _copy_to_target(catalogue, result, release_id)


def _copy_to_target(catalogue: Path, result: PublishResult, release_id: str) -> PublishResult:
    if not result.target:
        return result
    from boroughkit.publish.targets import push_to_target

    try:
        notes = push_to_target(catalogue, result.target)
    except PublishError as error:
        raise PublishError(
            f"{release_id} is {result.status} in the local catalogue (version "
            f"{result.version}), but copying to {result.target} failed: {error.message}",
            fix=f"{error.fix + '; then ' if error.fix else ''}run `boroughkit publish "
            f"{release_id} --to {result.target}` again to finish the copy",
        ) from error
    return PublishResult(
        result.release_id,
        result.folder,
        result.version,
        result.status,
        result.target,
        [*result.notes, *notes],
    )
