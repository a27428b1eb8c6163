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
into ``staging/`` with one rename; ``approve`` and ``publish`` take it from there. A full disk,
a folder boroughkit may not write or a release too large for memory is a :class:`PublishError`
saying what to free or change (:func:`os_failure`), and leaves nothing of the release behind.
"""

from __future__ import annotations

import contextlib
import errno
import getpass
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
# Files of a staged release that are evidence for the approver, not data for the public: they
# go to audit/<id>/ (input-facts.json holds exact counts of the input; older releases lack it).
INPUT_FACTS = "input-facts.json"
PRIVATE_FILES = (
    "risk-report.json",
    "risk-report.md",
    "risk-report.html",
    "approval.json",
    INPUT_FACTS,
)


_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
_DENIED = (errno.EACCES, errno.EPERM)


def _megabytes(size: int) -> str:
    """A size in bytes in words: 16 KB, 1.4 MB, 2.1 GB."""
    if size < 1_000_000:
        return f"{max(size, 0) / 1_000:,.0f} KB"
    if size < 1_000_000_000:
        return f"{size / 1_000_000:,.1f} MB"
    return f"{size / 1_000_000_000:,.1f} GB"


def folder_size(folder: Path) -> int:
    """Bytes in the files under ``folder`` (0 if it is gone)."""
    total = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_file():
                total += path.stat().st_size
    return total


def _free_space(folder: Path) -> str:
    """Free space on the disk holding ``folder`` (its nearest existing ancestor), in words."""
    for candidate in (folder, *folder.parents):
        with contextlib.suppress(OSError):
            if candidate.exists():
                return _megabytes(shutil.disk_usage(candidate).free)
    return "unknown"


def os_failure(
    error: OSError, doing: str, folder: Path, *, outcome: str, needed: int | None = None
) -> PublishError:
    """A PublishError for an operating-system failure while ``doing`` something in ``folder``.

    It names the failure and the file, says what happened to the catalogue (``outcome``) and
    what to free or change; ``needed`` (bytes) is how much had been written when it failed.
    """
    where = error.filename or folder
    writing = f" (writing {error.filename})" if error.filename else ""
    code = error.errno
    if code in _DISK_FULL:
        quota = " (your disk quota is used up)" if code == errno.EDQUOT else ""
        written = (
            f"; it had written {_megabytes(needed)} when the disk filled, so it needs more "
            "than that"
            if needed
            else ""
        )
        return PublishError(
            f"{doing}: no space left on the disk holding {folder}{quota}{writing}; {outcome}",
            fix=f"free space on that disk ({_free_space(folder)} free now{written}), or use a "
            "catalogue folder on a disk with room (publish.to in the config, --catalogue for "
            "approve and publish), then run the command again",
        )
    if code in _DENIED:
        return PublishError(
            f"{doing}: permission denied on {where}; {outcome}",
            fix=f"give the user running boroughkit ({getpass.getuser()}) permission to write "
            f"{folder} and the files in it (chmod/chown, or ask the folder's owner), or use a "
            "catalogue folder it can write to, then run the command again",
        )
    if code == errno.EROFS:
        return PublishError(
            f"{doing}: {folder} is on a read-only file system{writing}; {outcome}",
            fix="use a catalogue folder on a writable disk, or remount that disk read-write, "
            "then run the command again",
        )
    return PublishError(
        f"{doing}: the operating system refused ({error.strerror or error}: {where}); {outcome}",
        fix=f"check the disk and the folder {folder}, then run the command again",
    )


def memory_failure(doing: str, *, outcome: str) -> PublishError:
    """A PublishError for running out of memory while ``doing`` something."""
    return PublishError(
        f"{doing}: ran out of memory; {outcome}",
        fix="free memory (close other programs), or make the release smaller: fewer levels "
        "(OA tables are the largest), fewer formats (GeoJSON holds every boundary), or a "
        "geography of one borough; or run on a machine with more memory",
    )


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
    doing = f"writing release {release_id} in {catalogue}"
    outcome = "nothing was staged and its build folder was removed"
    try:
        building.mkdir(parents=True, exist_ok=False)
    except OSError as error:
        for folder in reversed(created):
            _remove_if_empty(folder)
        if isinstance(error, FileExistsError):
            raise PublishError(
                f"{building}: the build folder already exists", fix="run again"
            ) from error
        raise os_failure(error, doing, catalogue, outcome=outcome) from error
    try:
        yield building
    except OSError as error:
        raise os_failure(
            error, doing, catalogue, outcome=outcome, needed=folder_size(building)
        ) from error
    except MemoryError as error:
        raise memory_failure(doing, outcome=outcome) from error
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
