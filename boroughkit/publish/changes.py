"""What publishing and withdrawing share: the result, the catalogue files of a new version, the
all-or-nothing change that writes them, and the copy to a further target.

Each change is prepared out of sight and applied by :class:`CatalogueTransaction`, so a failure or
a kill at any moment leaves the catalogue as it was (or, past the commit point, as it will be).
A further target (an fsspec URL or a CKAN portal) receives a copy after the local catalogue has
changed; a failed copy is finished by running the same command again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from boroughkit.errors import PublishError
from boroughkit.publish.catalogue import CATALOG, INDEX, REGISTERS, SCHEMA_JSON
from boroughkit.publish.dcat import catalogue_dcat
from boroughkit.publish.entry import CatalogueVersion
from boroughkit.publish.registers import DATA_SHARING, data_sharing_files, transparency_files
from boroughkit.publish.schema import schema_text
from boroughkit.publish.state import read_index, version_path
from boroughkit.publish.transaction import CatalogueTransaction, StepHook, announce


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


def require_catalogue(catalogue: Path) -> None:
    """Refuse a catalogue folder that does not exist (rather than creating one by mistake)."""
    if not catalogue.is_dir():
        raise PublishError(
            f"{catalogue}: no such catalogue folder",
            fix="give --catalogue the folder of publish.to in the config",
        )


def timestamp(now: datetime | None) -> str:
    """``now`` (default: the current UTC time) as ISO 8601 to the second."""
    return (now or datetime.now(UTC)).isoformat(timespec="seconds")


def current_version(catalogue: Path) -> CatalogueVersion:
    """The catalogue's current version document (index.json)."""
    index = read_index(catalogue)
    if index is None:
        raise PublishError(
            f"{catalogue}: nothing has been published yet",
            fix="approve and publish a release first",
        )
    return index


def prepare_catalogue(
    change: CatalogueTransaction, catalogue: Path, version: CatalogueVersion
) -> None:
    """Prepare every catalogue file of ``version``: its version document, the registers, the
    DCAT catalogue, ``schema.json`` and (applied last) ``index.json``."""
    document = version.to_json()
    change.write_json(version_path(version), document)
    for relative, text in transparency_files(version).items():
        change.write_text(relative, text)
    if not (catalogue / REGISTERS / f"{DATA_SHARING}.json").exists():
        for relative, text in data_sharing_files([]).items():
            change.write_text(relative, text)
    change.write_json(CATALOG, catalogue_dcat(version))
    change.write_text(SCHEMA_JSON, schema_text())
    change.write_json(INDEX, document)


def apply_change(
    catalogue: Path,
    build: Callable[[CatalogueTransaction], CatalogueVersion],
    on_step: StepHook | None,
) -> CatalogueVersion:
    """Prepare a change with ``build`` and commit it, or leave the catalogue untouched."""
    change = CatalogueTransaction(catalogue, on_step=on_step)
    try:
        version = build(change)
        announce(on_step, "prepared")
        change.commit()
    except BaseException:
        change.abort()
        raise
    return version


def copy_to_target(catalogue: Path, result: PublishResult) -> PublishResult:
    """Copy the catalogue to ``result.target`` (if any); a failure says how to finish it."""
    if not result.target:
        return result
    from boroughkit.publish.targets import push_to_target

    release_id = result.release_id
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
