"""Frictionless Data Package (v2) description of a release: every file, with Table Schemas."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from boroughkit.publish.columns import describe_column, is_category
from boroughkit.publish.entry import FileEntry
from boroughkit.publish.state import media_type

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
# Licence ids as the Open Definition (and CKAN) spell them.
OPEN_DEFINITION_IDS = {"OGL-3.0": "OGL-UK-3.0", "CC-BY-4.0": "CC-BY-4.0", "CC0-1.0": "CC0-1.0"}


# Types the published schema fixes, never inferred from the values (an empty, suppressed count
# would otherwise make a CSV's count column "number").
FIXED_TYPES = {
    "count": "integer",
    "sum": "number",
    "mean": "number",
    "moe95": "number",
    "noise_sd": "number",
}


def _arrow_type(data_type: pa.DataType) -> str:
    if pa.types.is_boolean(data_type):
        return "boolean"
    if pa.types.is_integer(data_type):
        return "integer"
    if pa.types.is_floating(data_type):
        return "number"
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return "string"
    return "any"


def columns_of(path: Path) -> list[tuple[str, str]]:
    """(name, Table Schema type) of each column of a Parquet or CSV file."""
    if path.suffix == ".parquet":
        return [(field.name, _arrow_type(field.type)) for field in pq.read_schema(path)]
    frame = pd.read_csv(path, dtype=None, keep_default_na=False, na_values=[""], nrows=50_000)
    return [(name, describe_column(name, frame[name].dtype).type) for name in frame.columns]


def table_schema(path: Path) -> dict[str, Any]:
    """The Table Schema of a tabular file, with titles, descriptions and its primary key."""
    columns = columns_of(path)
    fields = []
    for name, kind in columns:
        described = describe_column(name)
        # Category values are labels even when they look like numbers ("2021", "65").
        kind = "string" if is_category(name) else FIXED_TYPES.get(name, kind)
        fields.append(
            {
                "name": name,
                "type": kind,
                "title": described.title,
                "description": described.description,
            }
        )
    categories = [name for name, _ in columns if is_category(name)]
    return {
        "fields": fields,
        "primaryKey": ["area_code", *categories],
        "missingValues": [""],
    }


def _resource_name(relative: str) -> str:
    parts = relative.split("/")
    stem, _, suffix = parts[-1].rpartition(".")
    # A per-borough file (table/table_level/E09000002.geojson) is named with its folder too.
    prefix = f"{parts[-2]}-" if len(parts) > 2 else ""
    return f"{prefix}{stem}-{suffix}".lower().replace(" ", "-").replace("_", "-")


def build_datapackage(
    folder: Path,
    manifest: Mapping[str, Any],
    files: Sequence[FileEntry],
    *,
    published: str,
) -> dict[str, Any]:
    """The ``datapackage.json`` document of the release in ``folder``."""
    licence = manifest.get("licence", {})
    resources = []
    for entry in files:
        relative = entry.path
        resource: dict[str, Any] = {
            "name": _resource_name(relative),
            "path": relative,
            "format": entry.format,
            "mediatype": media_type(relative),
            "encoding": "utf-8" if entry.format in ("csv", "geojson") else None,
            "bytes": entry.bytes,
            "hash": f"sha256:{entry.sha256}",
            "description": f"{entry.table} by {entry.level} ({entry.rows} rows)",
        }
        if entry.format in ("csv", "parquet"):
            resource["type"] = "table"
            resource["schema"] = table_schema(folder / relative)
        resources.append({key: value for key, value in resource.items() if value is not None})
    return {
        "$schema": PROFILE,
        "name": str(manifest["release_id"]).lower(),
        "id": str(manifest["release_id"]),
        "title": str(manifest.get("name", "")).replace("-", " ").capitalize(),
        "description": "\n\n".join(
            part for part in (manifest.get("description"), manifest.get("method_statement")) if part
        ),
        "version": str(manifest["release_id"]),
        "created": published,
        "licenses": [
            {
                "name": OPEN_DEFINITION_IDS.get(licence.get("id", ""), licence.get("id", "")),
                "path": licence.get("url"),
                "title": licence.get("title"),
            }
        ],
        "sources": [{"title": line} for line in licence.get("attribution", [])],
        "contributors": [_publisher(manifest)],
        "keywords": ["residents", "open data", str(manifest.get("method", ""))],
        "resources": resources,
    }


def _publisher(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The publisher as a Data Package contributor, with its contact (an email or a web page)."""
    contributor: dict[str, Any] = {"title": manifest.get("publisher", ""), "roles": ["publisher"]}
    contact = str((manifest.get("publication") or {}).get("contact") or "")
    if contact.startswith(("http://", "https://")):
        contributor["path"] = contact
    elif contact:
        contributor["email"] = contact
    return contributor
