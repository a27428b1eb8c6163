"""All-or-nothing changes to a local catalogue: prepare out of sight, then a journal of renames.

A change (publish, retract, a register entry) is prepared in ``.publishing/<id>/`` where no
consumer looks. Writing ``journal.json`` there, by one atomic rename, is the commit point: before
it, a kill leaves the catalogue as it was (the next operation sweeps the work folder); after it,
the renames listed in the journal are replayed by the next operation until all are done, so the
catalogue ends in the new state. ``index.json``, which consumers read first, is always renamed
last.

An operating-system failure (a full disk, a folder boroughkit may not write) is a
:class:`PublishError` saying what to free or change, and whether the change was rolled back or,
past the commit point, will be finished by the next command on the catalogue.

Every step of a change can be announced to an ``on_step`` callback (``"checked"``,
``"prepared"``, ``"before-journal"``, ``"move-1"``…``"move-last"``): crash tests pass one that
waits there to be killed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from boroughkit.errors import PublishError
from boroughkit.publish.catalogue import (
    INDEX,
    WORK,
    fsync_dir,
    fsync_tree,
    memory_failure,
    os_failure,
)

JOURNAL = "journal.json"

#: Called with the name of each step of a change as it is reached (see the module docstring).
StepHook = Callable[[str], None]


def announce(on_step: StepHook | None, step: str) -> None:
    """Tell ``on_step`` (if any) that ``step`` is reached."""
    if on_step is not None:
        on_step(step)


@contextlib.contextmanager
def catalogue_lock(catalogue: Path) -> Iterator[None]:
    """Hold the catalogue's writer lock (released by the OS if the process dies).

    An operating-system failure or running out of memory inside becomes a PublishError that
    says what to free or change and what became of the change.
    """
    doing = f"changing the catalogue {catalogue}"
    try:
        catalogue.mkdir(parents=True, exist_ok=True)
        handle = (catalogue / ".lock").open("a")
    except OSError as error:
        raise os_failure(error, doing, catalogue, outcome="nothing was changed") from error
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            recover_catalogue(catalogue)
            yield
        except OSError as error:
            raise os_failure(error, doing, catalogue, outcome=_outcome(catalogue)) from error
        except MemoryError as error:
            raise memory_failure(doing, outcome=_outcome(catalogue)) from error
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _outcome(catalogue: Path) -> str:
    """What a failed change left: rolled back, or committed and waiting to be finished."""
    work = catalogue / WORK
    with contextlib.suppress(OSError):
        if work.is_dir() and any((folder / JOURNAL).exists() for folder in work.iterdir()):
            return (
                "the change was committed and the next boroughkit command on this catalogue "
                "(e.g. the same command again) finishes it"
            )
    return "the catalogue was left as it was"


class CatalogueTransaction:
    """A set of new files and folders, and moves of existing ones, applied together."""

    def __init__(self, catalogue: Path, *, on_step: StepHook | None = None) -> None:
        self.catalogue = catalogue
        self.on_step = on_step
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self.folder = catalogue / WORK / f"{stamp}-{secrets.token_hex(4)}"
        self.folder.mkdir(parents=True)
        self._moves: list[tuple[str, str]] = []
        self._committed = False

    def new_path(self, relative: str) -> Path:
        """Where to prepare what will appear at ``relative`` in the catalogue."""
        path = self.folder / "new" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        self._moves.append((str(path.relative_to(self.catalogue)), relative))
        return path

    def write_text(self, relative: str, text: str) -> None:
        """Prepare a text file (UTF-8) that will replace or create ``relative``."""
        self.new_path(relative).write_text(text, encoding="utf-8")

    def write_json(self, relative: str, document: Any) -> None:
        """Prepare a JSON file that will replace or create ``relative``."""
        self.write_text(relative, json.dumps(document, indent=2, ensure_ascii=False) + "\n")

    def move(self, source: str, destination: str) -> None:
        """Move an existing entry of the catalogue (e.g. ``releases/x`` → ``retracted/x``)."""
        if (self.catalogue / destination).exists():
            raise PublishError(
                f"{self.catalogue / destination} already exists",
                fix="remove the leftover folder by hand after checking what it is",
            )
        self._moves.append((source, destination))

    def discard(self, relative: str) -> None:
        """Remove an existing entry of the catalogue as part of the change."""
        self._moves.append(
            (relative, str((self.folder / "old" / relative).relative_to(self.catalogue)))
        )

    def commit(self) -> None:
        """Make the change: write the journal (the commit point), then apply it."""
        last = [move for move in self._moves if move[1] == INDEX]
        moves = [move for move in self._moves if move[1] != INDEX] + last
        fsync_tree(self.folder)
        announce(self.on_step, "before-journal")
        scratch = self.folder / f"{JOURNAL}.tmp"
        scratch.write_text(json.dumps({"moves": moves}), encoding="utf-8")
        with scratch.open("rb") as handle:
            os.fsync(handle.fileno())
        os.rename(scratch, self.folder / JOURNAL)
        self._committed = True
        fsync_dir(self.folder)
        _apply(self.catalogue, self.folder, self.on_step)

    def abort(self) -> None:
        """Forget the prepared change; after the commit point the change is kept for
        :func:`recover_catalogue` to finish instead."""
        if self._committed:
            return
        shutil.rmtree(self.folder, ignore_errors=True)
        _remove_if_empty(self.catalogue / WORK)


def _apply(catalogue: Path, folder: Path, on_step: StepHook | None = None) -> None:
    moves = json.loads((folder / JOURNAL).read_text(encoding="utf-8"))["moves"]
    for number, (source, destination) in enumerate(moves, start=1):
        announce(on_step, f"move-{number}" if number < len(moves) else "move-last")
        origin, target = catalogue / source, catalogue / destination
        if not origin.exists() and not origin.is_symlink():
            continue  # done before a kill: replaying is idempotent
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(origin, target)
        fsync_dir(target.parent)
    shutil.rmtree(folder, ignore_errors=True)
    _remove_if_empty(catalogue / WORK)


def recover_catalogue(catalogue: Path) -> list[str]:
    """Finish committed changes a kill interrupted and sweep uncommitted ones.

    Call with the catalogue lock held (:func:`catalogue_lock` does). Returns what it did.
    """
    done: list[str] = []
    work = catalogue / WORK
    if not work.exists():
        return done
    for folder in sorted(p for p in work.iterdir() if p.is_dir()):
        if (folder / JOURNAL).exists():
            _apply(catalogue, folder)
            done.append(f"finished interrupted change {folder.name}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
            done.append(f"removed unfinished change {folder.name}")
    _remove_if_empty(work)
    return done


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()
