"""The typed contracts of the catalogue: release statuses, entries and version documents.

``index.json`` and ``versions/<n>.json`` are :class:`CatalogueVersion` documents listing one
:class:`CatalogueEntry` per release. ``to_json`` gives exactly the keys, in the order, that
consumers have always read; ``from_json`` reads them back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any


class ReleaseStatus(StrEnum):
    """Where a release stands, from built to withdrawn (a ``str``: JSON holds the value)."""

    STAGED = "staged"  # built, waiting in staging/ for a named approver
    APPROVED = "approved"  # signed off, not yet published
    CURRENT = "current"  # the newest published release of its name
    SUPERSEDED = "superseded"  # published, replaced by a newer release of the same name
    RETRACTED = "retracted"  # withdrawn; its files are kept under retracted/
    ISSUED = "issued"  # a researcher extract shared under an agreement, never public


@dataclass(frozen=True)
class FileEntry:
    """One file of a published release, as the catalogue lists it."""

    path: str
    format: str
    table: str | None
    level: str | None
    rows: int | None
    sha256: str
    bytes: int
    media_type: str
    #: The borough a per-borough GeoJSON file covers (None: every area of the table's level).
    borough: str | None = None


@dataclass(frozen=True)
class Retraction:
    """When, by whom and why a release was withdrawn (public)."""

    at: str
    by: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class CatalogueEntry:
    """One release as the catalogue lists it; fields in the order of the JSON keys.

    ``status`` and ``superseded_by`` are worked out from the whole list of releases
    (:func:`boroughkit.publish.state.assign_statuses`), so a new entry has none yet.
    """

    id: str
    name: str
    title: str = ""
    description: str = ""
    method: str = ""
    method_statement: str = ""
    privacy: dict[str, Any] | None = None
    # The charge the manifest states (dataset, population, lifetime, cumulative spend, ledger
    # entry hash): how anyone audits the budget from the public catalogue.
    budget: dict[str, Any] | None = None
    licence: dict[str, Any] | None = None
    publisher: str = ""
    # Where users of the data write to (an email address or a web page), from the config.
    contact: str = ""
    created: str
    published: str = ""
    approved_by: str = ""
    approved_at: str = ""
    dpia_reference: str | None = None
    legal_basis: str | None = None
    data_controller: str | None = None
    reference_date: str | None = None
    geography: dict[str, Any] = field(default_factory=dict)
    spatial: dict[str, Any] = field(default_factory=dict)
    path: str = ""
    retraction: Retraction | None = None
    files: tuple[FileEntry, ...] = ()
    status: ReleaseStatus | None = None
    superseded_by: str | None = None

    @property
    def listed_status(self) -> ReleaseStatus:
        """The status of an entry read from a catalogue version (a new entry has none yet)."""
        if self.status is None:
            raise ValueError(f"release {self.id} has no status until a catalogue version lists it")
        return self.status

    @property
    def retracted(self) -> bool:
        """True once the release has been withdrawn."""
        return self.retraction is not None

    def to_json(self) -> dict[str, Any]:
        """The entry as listed in ``index.json`` (``status`` as its plain string value)."""
        document = asdict(self)
        document["files"] = [_file_json(item) for item in self.files]
        document["status"] = None if self.status is None else self.status.value
        return document

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CatalogueEntry:
        """Read an entry of ``index.json``; a KeyError or TypeError names what is wrong."""
        values = {key: data[key] for key in _ENTRY_FIELDS if key in data}
        retraction = data.get("retraction")
        values["retraction"] = Retraction(**retraction) if retraction else None
        values["files"] = tuple(FileEntry(**item) for item in data.get("files", []))
        values["status"] = ReleaseStatus(data["status"]) if data.get("status") else None
        return cls(**values)


_ENTRY_FIELDS = tuple(f.name for f in fields(CatalogueEntry))


def _file_json(item: FileEntry) -> dict[str, Any]:
    # ``borough`` only on per-borough files: other entries keep the keys they always had.
    document = asdict(item)
    if item.borough is None:
        del document["borough"]
    return document


@dataclass(frozen=True)
class CatalogueVersion:
    """One version of the catalogue: ``versions/<n>.json``, the newest also ``index.json``."""

    schema: str
    version: int
    updated: str
    change: dict[str, Any]
    publisher: str
    previous: str | None
    releases: tuple[CatalogueEntry, ...]

    def find(self, release_id: str) -> CatalogueEntry | None:
        """The entry of ``release_id``, if this version lists it."""
        return next((entry for entry in self.releases if entry.id == release_id), None)

    def to_json(self) -> dict[str, Any]:
        """The version document as written to disk."""
        document = {f.name: getattr(self, f.name) for f in fields(self)}
        document["change"] = dict(self.change)
        document["releases"] = [entry.to_json() for entry in self.releases]
        return document

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CatalogueVersion:
        """Read a version document; a KeyError or TypeError names what is wrong."""
        return cls(
            schema=data["schema"],
            version=int(data["version"]),
            updated=data["updated"],
            change=dict(data["change"]),
            publisher=data["publisher"],
            previous=data["previous"],
            releases=tuple(CatalogueEntry.from_json(entry) for entry in data["releases"]),
        )
