"""The local catalogue's layout, and how `run` hands a built release to the approval area.

Layout::

    <catalogue>/index.json                 the current catalogue version (what consumers read)
    <catalogue>/schema.json                the published schema: levels and column names
    <catalogue>/catalog.jsonld             DCAT catalogue of every published release
    <catalogue>/versions/<n>.json          every catalogue version, kept
    <catalogue>/releases/<release-id>/     published releases: data files and their metadata
    <catalogue>/registers/                 transparency and data sharing registers
    <catalogue>/staging/<release-id>/      built releases awaiting approval (never public)
    <catalogue>/audit/<release-id>/        risk report and approval of each published release
    <catalogue>/retracted/<release-id>/    withdrawn releases, kept for the record
    <catalogue>/extracts/<release-id>/     researcher extracts issued under agreements (private)
    <catalogue>/.building/ .publishing/    work in progress, swept by the next run or publish

`run` builds in ``.building/`` and moves the complete release (files, manifest, risk report)
into ``staging/`` with one rename; ``approve`` and ``publish`` take it from there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from boroughkit.errors import PublishError

BUILDING = ".building"
WORK = ".publishing"
STAGING = "staging"
RELEASES = "releases"
RETRACTED = "retracted"
EXTRACTS = "extracts"  # researcher extracts shared under agreements: never public
AUDIT = "audit"
VERSIONS = "versions"
REGISTERS = "registers"
INDEX = "index.json"
SCHEMA_JSON = "schema.json"
CATALOG = "catalog.jsonld"
# What may be served or copied to a public target; everything else stays with the council.
PUBLIC_ENTRIES = (INDEX, SCHEMA_JSON, CATALOG, VERSIONS, RELEASES, REGISTERS)
# Files of a staged release that are evidence for the approver, not data for the public.
PRIVATE_FILES = ("risk-report.json", "risk-report.md", "approval.json")


def releases_dir(catalogue: Path) -> Path:
    """Folder holding published releases."""
    return catalogue / RELEASES


def release_dir(catalogue: Path, release_id: str) -> Path:
    """Folder of one published release."""
    return releases_dir(catalogue) / release_id


def staging_dir(catalogue: Path, release_id: str) -> Path:
    """Folder of one built release awaiting approval."""
    return catalogue / STAGING / release_id


def _folders(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def list_releases(catalogue: Path) -> list[str]:
    """Ids of published releases, oldest first (ids start with the name, then the time)."""
    return _folders(releases_dir(catalogue))


def list_staged(catalogue: Path) -> list[str]:
    """Ids of built releases waiting in the approval area."""
    return _folders(catalogue / STAGING)


@contextmanager
def staged_release(catalogue: Path, release_id: str) -> Iterator[Path]:
    """Yield an empty build folder; the caller hands it over with :func:`commit_release`.

    Whatever happens inside, the build folder is removed on the way out, and folders this
    function created are removed again if nothing was committed.
    """
    created = [p for p in (catalogue, catalogue / BUILDING) if not p.exists()]
    building = catalogue / BUILDING / release_id
    try:
        building.mkdir(parents=True, exist_ok=False)
    except OSError as error:
        raise PublishError(
            f"{building}: cannot create the build folder ({error})",
            fix="check the catalogue path and its permissions",
        ) from error
    try:
        yield building
    finally:
        shutil.rmtree(building, ignore_errors=True)
        for folder in reversed(created):
            _remove_if_empty(folder)
        _remove_if_empty(catalogue / BUILDING)


def commit_release(catalogue: Path, staging: Path, release_id: str) -> Path:
    """Move a complete build folder into the approval area ``staging/`` with one atomic rename.

    Nothing is public yet: `boroughkit approve` and `boroughkit publish` take it from there.
    """
    target = staging_dir(catalogue, release_id)
    if target.exists() or release_dir(catalogue, release_id).exists():
        raise PublishError(
            f"{target}: a release with this id already exists",
            fix="run again; release ids are unique per run",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    fsync_tree(staging)
    os.rename(staging, target)
    fsync_dir(target.parent)
    return target


def fsync_tree(folder: Path) -> None:
    """Make every file under ``folder`` durable before a rename publishes it."""
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    fsync_dir(folder)


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries (renames into it) durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()
