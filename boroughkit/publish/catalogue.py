"""The local catalogue: releases are built in a staging folder and appear by one atomic rename.

Layout::

    <catalogue>/releases/<release-id>/...   published releases
    <catalogue>/.staging/<release-id>/      in-progress builds (never read by consumers)

A failure or a kill before the rename leaves ``releases/`` exactly as it was; the staging folder
of a killed run is ignored and swept by the next run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from boroughkit.errors import PublishError

STAGING = ".staging"


def releases_dir(catalogue: Path) -> Path:
    """Folder holding published releases."""
    return catalogue / "releases"


def release_dir(catalogue: Path, release_id: str) -> Path:
    """Folder of one published release."""
    return releases_dir(catalogue) / release_id


def list_releases(catalogue: Path) -> list[str]:
    """Ids of published releases, oldest first."""
    folder = releases_dir(catalogue)
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.exists() else []


@contextmanager
def staged_release(catalogue: Path, release_id: str) -> Iterator[Path]:
    """Yield an empty staging folder; the caller commits it with :func:`commit_release`.

    Whatever happens inside, the staging folder is removed on the way out, and folders this
    function created are removed again if nothing was committed.
    """
    created = [p for p in (catalogue, catalogue / STAGING) if not p.exists()]
    staging = catalogue / STAGING / release_id
    try:
        staging.mkdir(parents=True, exist_ok=False)
    except OSError as error:
        raise PublishError(
            f"{staging}: cannot create the staging folder ({error})",
            fix="check the catalogue path and its permissions",
        ) from error
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in reversed(created):
            _remove_if_empty(folder)
        _remove_if_empty(catalogue / STAGING)


def commit_release(catalogue: Path, staging: Path, release_id: str) -> Path:
    """Move a complete staging folder into ``releases/`` with one atomic rename."""
    target = release_dir(catalogue, release_id)
    if target.exists():
        raise PublishError(
            f"{target}: a release with this id already exists",
            fix="run again; release ids are unique per run",
        )
    releases_dir(catalogue).mkdir(parents=True, exist_ok=True)
    _fsync_tree(staging)
    os.rename(staging, target)
    _fsync_dir(releases_dir(catalogue))
    return target


def _fsync_tree(folder: Path) -> None:
    # Make file contents durable before the rename publishes them.
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()
