"""Assemble a published release from its staged folder: data files, metadata, audit record.

The release folder gets the approved data files and manifest (hard-linked: they are never
modified), a Frictionless ``datapackage.json`` and a DCAT ``dcat.jsonld``; the risk report and the
approval go to the private ``audit/`` folder. The catalogue entry returned describes it all.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from boroughkit.publish.approval import ApprovalRecord, read_manifest
from boroughkit.publish.catalogue import AUDIT, PRIVATE_FILES, RELEASES
from boroughkit.publish.checksums import sha256_of
from boroughkit.publish.datapackage import build_datapackage
from boroughkit.publish.dcat import release_dcat, spatial_coverage
from boroughkit.publish.entry import CatalogueEntry, FileEntry
from boroughkit.publish.state import media_type
from boroughkit.publish.transaction import CatalogueTransaction


def link_or_copy(source: Path, destination: Path) -> None:
    """Put ``source`` at ``destination`` (a new path), sharing its data where possible."""
    # A hard link costs nothing and the staged files are never modified; copy across devices.
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _file_entry(
    folder: Path,
    relative: str,
    fmt: str,
    *,
    table: str | None = None,
    level: str | None = None,
    rows: int | None = None,
    borough: str | None = None,
) -> FileEntry:
    path = folder / relative
    return FileEntry(
        path=relative,
        format=fmt,
        table=table,
        level=level,
        rows=rows,
        sha256=sha256_of(path),
        bytes=path.stat().st_size,
        media_type=media_type(relative),
        borough=borough,
    )


def _release_entry(
    manifest: dict[str, Any],
    approval: ApprovalRecord,
    published: str,
    spatial: dict[str, Any],
) -> CatalogueEntry:
    publication = manifest.get("publication") or {}
    name = str(manifest["name"])
    return CatalogueEntry(
        id=manifest["release_id"],
        name=name,
        title=name.replace("-", " ").replace("_", " ").capitalize(),
        description=manifest.get("description", ""),
        method=manifest.get("method", ""),
        method_statement=manifest.get("method_statement", ""),
        privacy=manifest.get("privacy"),
        budget=manifest.get("budget"),
        licence=manifest.get("licence"),
        publisher=manifest.get("publisher", ""),
        contact=publication.get("contact") or "",
        created=manifest["created"],
        published=published,
        approved_by=approval.approved_by,
        approved_at=approval.approved_at,
        dpia_reference=publication.get("dpia_reference"),
        legal_basis=publication.get("legal_basis"),
        data_controller=publication.get("data_controller"),
        reference_date=publication.get("reference_date"),
        geography=manifest.get("geography", {}),
        spatial=spatial,
        path=f"{RELEASES}/{manifest['release_id']}/",
    )


def prepare_release(
    change: CatalogueTransaction, staged: Path, approval: ApprovalRecord, published: str
) -> CatalogueEntry:
    """Prepare the published folder and audit record of an approved release in ``change``;
    returns its catalogue entry (without a status: that comes from the whole list)."""
    manifest = read_manifest(staged)
    release_id = manifest["release_id"]
    folder = change.new_path(f"{RELEASES}/{release_id}")
    data = manifest.get("files", [])
    for item in data:
        link_or_copy(staged / item["path"], folder / item["path"])
    link_or_copy(staged / "manifest.json", folder / "manifest.json")
    files = [
        _file_entry(
            folder,
            e["path"],
            e["format"],
            table=e["table"],
            level=e["level"],
            rows=e["rows"],
            borough=e.get("borough"),
        )
        for e in data
    ]
    entry = _release_entry(manifest, approval, published, spatial_coverage(folder, files))
    change_files = [*files, _file_entry(folder, "manifest.json", "json")]
    document = build_datapackage(folder, manifest, change_files, published=published)
    _write_json(folder / "datapackage.json", document)
    change_files.append(_file_entry(folder, "datapackage.json", "json"))
    _write_json(folder / "dcat.jsonld", release_dcat(entry, change_files))
    entry = replace(entry, files=(*change_files, _file_entry(folder, "dcat.jsonld", "jsonld")))
    audit = change.new_path(f"{AUDIT}/{release_id}")
    for name in PRIVATE_FILES:
        if (staged / name).exists():  # releases staged before a private file existed lack it
            link_or_copy(staged / name, audit / name)
    return entry


def _write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
