"""Copy a catalogue's public part to any fsspec filesystem, new files first, ``index.json`` last.

Every file goes to a scratch prefix first and is then moved into place (a rename where the
backend has one, copy-and-delete on object stores). A release's ``manifest.json`` is moved after
its data files and ``index.json`` after everything, so a reader that starts from the index never
meets a half-copied release. Copying again finishes an interrupted copy.
"""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path
from typing import Any

import fsspec

from boroughkit.errors import PublishError
from boroughkit.publish.catalogue import (
    CATALOG,
    INDEX,
    REGISTERS,
    RELEASES,
    RETRACTED,
    SCHEMA_JSON,
    VERSIONS,
    WORK,
)
from boroughkit.publish.entry import ReleaseStatus
from boroughkit.publish.state import read_index


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        fs, root = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as error:
        raise PublishError(
            f"{url}: no filesystem for this URL ({error})",
            fix="install the fsspec plugin for it (s3fs for s3://, adlfs for az://)",
        ) from error
    return fs, str(root).rstrip("/")


class _Copier:
    """Puts local files at remote paths through a scratch prefix."""

    def __init__(self, fs: Any, root: str) -> None:
        self.fs, self.root = fs, root
        self.scratch = f"{root}/{WORK}/{secrets.token_hex(6)}"

    def put(self, local: Path, relative: str) -> None:
        temporary = f"{self.scratch}/{relative}"
        self.fs.makedirs(temporary.rsplit("/", 1)[0], exist_ok=True)
        self.fs.put_file(str(local), temporary)
        final = f"{self.root}/{relative}"
        self.fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
        self.fs.mv(temporary, final)

    def exists(self, relative: str) -> bool:
        return bool(self.fs.exists(f"{self.root}/{relative}"))

    def clean(self) -> None:
        if self.fs.exists(self.scratch):
            self.fs.rm(self.scratch, recursive=True)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _copy_release(copier: _Copier, catalogue: Path, release_id: str) -> None:
    folder = catalogue / RELEASES / release_id
    files = _files(folder)
    # The manifest last: a remote release with a manifest is complete.
    for path in sorted(files, key=lambda p: p.name == "manifest.json"):
        copier.put(path, f"{RELEASES}/{release_id}/{path.relative_to(folder).as_posix()}")


def _withdraw_release(copier: _Copier, catalogue: Path, release_id: str) -> None:
    fs, root = copier.fs, copier.root
    for path in _files(catalogue / RETRACTED / release_id):
        relative = path.relative_to(catalogue / RETRACTED / release_id).as_posix()
        copier.put(path, f"{RETRACTED}/{release_id}/{relative}")
    fs.rm(f"{root}/{RELEASES}/{release_id}", recursive=True)


def push_to_fsspec(catalogue: Path, url: str) -> list[str]:
    """Mirror the public part of ``catalogue`` to ``url``; returns what was copied."""
    index = read_index(catalogue)
    if index is None:
        raise PublishError(
            f"{catalogue}: nothing has been published yet",
            fix="publish a release before copying the catalogue",
        )
    fs, root = _filesystem(url)
    copier = _Copier(fs, root)
    notes: list[str] = []
    try:
        for entry in index.releases:
            release_id = entry.id
            if entry.status == ReleaseStatus.RETRACTED:
                if copier.exists(f"{RELEASES}/{release_id}"):
                    _withdraw_release(copier, catalogue, release_id)
                    notes.append(f"withdrew {release_id} at {url}")
            elif not copier.exists(f"{RELEASES}/{release_id}/manifest.json"):
                _copy_release(copier, catalogue, release_id)
                notes.append(f"copied {release_id} to {url}")
        for path in _files(catalogue / VERSIONS):
            relative = f"{VERSIONS}/{path.name}"
            if not copier.exists(relative):
                copier.put(path, relative)
        for path in _files(catalogue / REGISTERS):
            copier.put(path, f"{REGISTERS}/{path.name}")
        copier.put(catalogue / CATALOG, CATALOG)
        if (catalogue / SCHEMA_JSON).is_file():  # absent from catalogues not changed since
            copier.put(catalogue / SCHEMA_JSON, SCHEMA_JSON)
        copier.put(catalogue / INDEX, INDEX)
    except PublishError:
        raise
    except Exception as error:  # any backend's error: name the target, keep the cause
        raise PublishError(
            f"{url}: {type(error).__name__}: {error}",
            fix="check the URL, the credentials and that the target is writable",
        ) from error
    finally:
        # Leftover scratch files are harmless: they sit under a hidden prefix.
        with contextlib.suppress(Exception):
            copier.clean()
    notes.append(f"catalogue version {index.version} is live at {url}")
    return notes
