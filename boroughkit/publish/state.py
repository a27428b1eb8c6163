"""The catalogue's versions: which releases are published, and which is current for each name.

Every change writes ``versions/<n>.json`` and replaces ``index.json`` (the newest version), so the
history of what was public when is kept. A release's status is worked out from the whole list:
for each release name the newest published, not retracted release is ``current``; older ones are
``superseded`` by it (kept and listed); withdrawn ones are ``retracted``.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from boroughkit.errors import PublishError
from boroughkit.publish.catalogue import INDEX, VERSIONS
from boroughkit.publish.entry import CatalogueEntry, CatalogueVersion, ReleaseStatus

SCHEMA = "boroughkit.catalogue/1"
MEDIA_TYPES = {
    "parquet": "application/vnd.apache.parquet",
    "geojson": "application/geo+json",
    "csv": "text/csv",
    "json": "application/json",
    "jsonld": "application/ld+json",
}


def media_type(path: str) -> str:
    """The IANA media type of a published file, from its extension."""
    suffix = path.rsplit(".", 1)[-1].lower()
    return MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def read_index(catalogue: Path) -> CatalogueVersion | None:
    """The catalogue's current version (``index.json``), or None before the first publish."""
    path = catalogue / INDEX
    if not path.exists():
        return None
    try:
        return CatalogueVersion.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise PublishError(
            f"{path}: cannot read the catalogue index ({error})",
            fix=f"restore it from the newest file in {catalogue / VERSIONS}",
        ) from error


def current_entries(catalogue: Path) -> list[CatalogueEntry]:
    """Every release the catalogue lists (any status), as in ``index.json``."""
    index = read_index(catalogue)
    return list(index.releases) if index else []


def find_entry(entries: Sequence[CatalogueEntry], release_id: str) -> CatalogueEntry | None:
    """The entry of ``release_id`` in a list of catalogue entries."""
    return next((entry for entry in entries if entry.id == release_id), None)


def assign_statuses(entries: Sequence[CatalogueEntry]) -> list[CatalogueEntry]:
    """Set ``status`` and ``superseded_by`` of every entry from the list as a whole."""
    newest: dict[str, CatalogueEntry] = {}
    for entry in entries:
        if entry.retracted:
            continue
        best = newest.get(entry.name)
        if best is None or (entry.created, entry.id) > (best.created, best.id):
            newest[entry.name] = entry
    result = []
    for entry in entries:
        if entry.retracted:
            status, by = ReleaseStatus.RETRACTED, None
        elif newest[entry.name] is entry:
            status, by = ReleaseStatus.CURRENT, None
        else:
            status, by = ReleaseStatus.SUPERSEDED, newest[entry.name].id
        result.append(replace(entry, status=status, superseded_by=by))
    return sorted(result, key=lambda entry: (entry.name, entry.created, entry.id))


def next_version(
    catalogue: Path,
    entries: Sequence[CatalogueEntry],
    change: Mapping[str, Any],
    updated: str,
) -> CatalogueVersion:
    """The next catalogue version listing ``entries`` after ``change``."""
    index = read_index(catalogue)
    number = (index.version if index else 0) + 1
    releases = assign_statuses(entries)
    publishers = sorted({entry.publisher for entry in releases} - {""})
    return CatalogueVersion(
        schema=SCHEMA,
        version=number,
        updated=updated,
        change=dict(change),
        publisher=publishers[0] if len(publishers) == 1 else ", ".join(publishers),
        previous=f"{VERSIONS}/{number - 1}.json" if number > 1 else None,
        releases=tuple(releases),
    )


def version_path(version: CatalogueVersion) -> str:
    """Where a version document is kept, relative to the catalogue."""
    return f"{VERSIONS}/{version.version}.json"


def budget_statement(privacy: Mapping[str, Any] | None) -> str:
    """The privacy budget spent, in words for the register and the explorer."""
    privacy = privacy or {}
    if "rho" in privacy:
        epsilon = privacy.get("epsilon_at_delta_1e-7")
        tail = f"; equivalent to ε = {epsilon} at δ = 10⁻⁷" if epsilon is not None else ""
        return f"ρ = {privacy['rho']} (zero-concentrated differential privacy{tail})"
    definition = privacy.get("definition")
    return f"no privacy-loss budget: {definition}" if definition else "not recorded"
