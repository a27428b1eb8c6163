"""DCAT (JSON-LD) descriptions: one per release (``dcat.jsonld``) and one for the catalogue.

Download URLs are relative IRIs, resolved against the location of the document, so the same
files describe the release wherever the catalogue is hosted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from boroughkit.publish.catalogue import RELEASES, RETRACTED
from boroughkit.publish.entry import CatalogueEntry, CatalogueVersion, FileEntry, ReleaseStatus
from boroughkit.publish.state import budget_statement, media_type

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "adms": "http://www.w3.org/ns/adms#",
    "gsp": "http://www.opengis.net/ont/geosparql#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
}
IANA = "https://www.iana.org/assignments/media-types/"
STANDARDS = {
    "parquet": "https://geoparquet.org/releases/v1.1.0/",
    "geojson": "https://www.rfc-editor.org/rfc/rfc7946",
    "csv": "https://www.rfc-editor.org/rfc/rfc4180",
}
ADMS_STATUS = {
    ReleaseStatus.CURRENT: "http://purl.org/adms/status/Completed",
    ReleaseStatus.SUPERSEDED: "http://purl.org/adms/status/Deprecated",
    ReleaseStatus.RETRACTED: "http://purl.org/adms/status/Withdrawn",
}


def spatial_coverage(folder: Path, files: Sequence[FileEntry]) -> dict[str, Any]:
    """Bounding box (from the GeoJSON files) and the place covered: the borough (from a
    borough-level table), or the region of a release over several boroughs of one region."""
    boxes = []
    areas: dict[str, dict[str, Any]] = {}
    for entry in files:
        path = folder / entry.path
        if entry.format == "geojson":
            bbox = json.loads(path.read_text(encoding="utf-8")).get("bbox")
            if bbox:
                boxes.append(bbox)
        level = entry.level or ""
        if (
            level in ("borough", "region")
            and level not in areas
            and entry.format in ("parquet", "csv")
        ):
            frame = (
                pq.read_table(path, columns=["area_code", "area_name"]).to_pandas()
                if entry.format == "parquet"
                else pd.read_csv(path, dtype=str)
            )
            first = frame.iloc[0]
            one = frame["area_code"].nunique() == 1
            areas[level] = (
                {"code": str(first["area_code"]), "name": str(first["area_name"])} if one else {}
            )
    coverage: dict[str, Any] = dict(areas.get("borough") or areas.get("region") or {})
    if boxes:
        coverage["bbox"] = [
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        ]
    return coverage


def _wkt(bbox: Sequence[float]) -> str:
    west, south, east, north = bbox
    ring = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    return "POLYGON((" + ", ".join(f"{x:.6f} {y:.6f}" for x, y in ring) + "))"


def _distribution(entry: FileEntry, licence_url: str | None) -> dict[str, Any]:
    fmt = entry.format
    where = f" in {entry.borough}" if entry.borough else ""
    title = (
        f"{entry.table} by {entry.level}{where} ({fmt})" if entry.table else f"{entry.path} ({fmt})"
    )
    item: dict[str, Any] = {
        "@type": "dcat:Distribution",
        "dct:title": title,
        "dcat:downloadURL": {"@id": entry.path},
        "dcat:mediaType": {"@id": IANA + media_type(entry.path)},
        "dct:format": fmt,
        "dcat:byteSize": {"@value": str(entry.bytes), "@type": "xsd:nonNegativeInteger"},
        "spdx:checksum": {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
            "spdx:checksumValue": entry.sha256,
        },
    }
    if licence_url:
        item["dct:license"] = {"@id": licence_url}
    if fmt in STANDARDS:
        item["dct:conformsTo"] = {"@id": STANDARDS[fmt]}
    return item


def release_dcat(entry: CatalogueEntry, files: Sequence[FileEntry]) -> dict[str, Any]:
    """The DCAT Dataset of one release, with a Distribution per file (``dcat.jsonld``)."""
    licence: Mapping[str, Any] = entry.licence or {}
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": "./",
        "@type": "dcat:Dataset",
        "dct:identifier": entry.id,
        "dct:title": entry.title,
        "dct:description": entry.description or entry.title,
        "dct:issued": {"@value": entry.published, "@type": "xsd:dateTime"},
        "dct:created": {"@value": entry.created, "@type": "xsd:dateTime"},
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": entry.publisher},
        **_contact_point(entry.publisher, entry.contact),
        "dct:license": {"@id": licence.get("url")},
        "dct:rights": {
            "@type": "dct:RightsStatement",
            "rdfs:label": " ".join(
                [licence.get("title", ""), *licence.get("attribution", [])]
            ).strip(),
        },
        "dct:provenance": {
            "@type": "dct:ProvenanceStatement",
            "rdfs:label": f"{entry.method_statement} Privacy budget: "
            f"{budget_statement(entry.privacy)}. Approved for publication by "
            f"{entry.approved_by} on {entry.approved_at[:10]}.",
        },
        "dcat:keyword": ["residents", "open data", entry.method],
        "dcat:version": entry.id,
        "dcat:distribution": [_distribution(f, licence.get("url")) for f in files],
    }
    if entry.reference_date:
        document["dct:temporal"] = {
            "@type": "dct:PeriodOfTime",
            "dcat:endDate": {"@value": entry.reference_date, "@type": "xsd:date"},
        }
    spatial = entry.spatial or {}
    if spatial:
        location: dict[str, Any] = {"@type": "dct:Location"}
        if "bbox" in spatial:
            location["dcat:bbox"] = {"@value": _wkt(spatial["bbox"]), "@type": "gsp:wktLiteral"}
        if "name" in spatial:
            location["skos:prefLabel"] = spatial["name"]
            location["dct:identifier"] = spatial["code"]
        document["dct:spatial"] = location
    return document


def _contact_point(name: str, contact: str) -> dict[str, Any]:
    """DCAT's ``contactPoint`` (a vCard) for the publisher's contact, when there is one."""
    if not contact:
        return {}
    card: dict[str, Any] = {"@type": "vcard:Organization", "vcard:fn": name}
    if "@" in contact and not contact.startswith(("http://", "https://")):
        card["vcard:hasEmail"] = {"@id": f"mailto:{contact}"}
    else:
        card["vcard:hasURL"] = {"@id": contact}
    return {"dcat:contactPoint": card}


def catalogue_dcat(version: CatalogueVersion, title: str | None = None) -> dict[str, Any]:
    """The DCAT Catalog (``catalog.jsonld``) listing every release of a catalogue version."""
    publisher = version.publisher or "boroughkit catalogue"
    datasets = []
    for entry in version.releases:
        retracted = entry.status == ReleaseStatus.RETRACTED
        folder = RETRACTED if retracted else RELEASES
        item: dict[str, Any] = {
            "@id": f"{folder}/{entry.id}/",
            "@type": "dcat:Dataset",
            "dct:identifier": entry.id,
            "dct:title": entry.title,
            "dct:issued": {"@value": entry.published, "@type": "xsd:dateTime"},
            "adms:status": {"@id": ADMS_STATUS[entry.listed_status]},
        }
        if not retracted:
            item["rdfs:seeAlso"] = {"@id": f"{RELEASES}/{entry.id}/dcat.jsonld"}
        if entry.superseded_by:
            item["dct:isReplacedBy"] = {"@id": f"{RELEASES}/{entry.superseded_by}/"}
        if entry.retraction:
            item["adms:versionNotes"] = f"Withdrawn: {entry.retraction.reason}"
        datasets.append(item)
    return {
        "@context": CONTEXT,
        "@id": "./",
        "@type": "dcat:Catalog",
        "dct:title": title or f"{publisher}: open data about residents",
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": publisher},
        "dct:modified": {"@value": version.updated, "@type": "xsd:dateTime"},
        "dcat:dataset": datasets,
    }
