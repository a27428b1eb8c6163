"""Write a release's tables and its manifest into a (staging) folder."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from boroughkit.publish.files import WrittenFile, sha256_of, write_csv, write_geojson, write_parquet

COUNT, STATUS = "count", "status"
#: A release over more boroughs than this gets one GeoJSON file per borough at the levels finer
#: than the borough (``<table>/<table>_<level>/<borough>.geojson``): a map of every OA of
#: England and Wales in one file could not be drawn, and no reader wants to download it.
SPLIT_GEOJSON_ABOVE_BOROUGHS = 1

LICENCES = {
    "OGL-3.0": (
        "Open Government Licence v3.0",
        "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    ),
    "CC-BY-4.0": (
        "Creative Commons Attribution 4.0",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "CC0-1.0": ("CC0 1.0 Universal", "https://creativecommons.org/publicdomain/zero/1.0/"),
}


def licence_block(licence_id: str, attribution: Sequence[str]) -> dict[str, Any]:
    """The licence statement carried by the manifest and every file."""
    title, url = LICENCES[licence_id]
    return {"id": licence_id, "title": title, "url": url, "attribution": list(attribution)}


def write_table_files(
    folder: Path,
    *,
    table: str,
    level: str,
    frame: pd.DataFrame,
    category_columns: Sequence[str],
    statistic: str,
    formats: Sequence[str],
    boundaries: Any,
    file_metadata: Mapping[str, str],
    geoparquet: bool = False,
    borough_of: Mapping[str, str] | None = None,
) -> list[WrittenFile]:
    """Write one table at one level in each requested format; GeoJSON only where geometry
    exists for the level, and with ``geoparquet`` the Parquet file is GeoParquet there too.
    With ``borough_of`` (each area's borough code) the GeoJSON is one file per borough.

    GeoParquet adds the columns :data:`~boroughkit.publish.columns.GEOMETRY_COLUMNS` (public area
    boundaries), which the disclosure gate must accept as declared outputs.
    """
    (folder / table).mkdir(parents=True, exist_ok=True)
    written: list[WrittenFile] = []
    base = f"{table}/{table}_{level}"
    if COUNT in frame.columns and STATUS in frame.columns:
        # Tables that can suppress cells (they carry a status) hold nullable integer counts
        # whatever the values: a file's column types must not say whether any cell was.
        frame = frame.assign(**{COUNT: frame[COUNT].round().astype("Int64")})
    if "parquet" in formats:
        shapes = boundaries if geoparquet else None
        write_parquet(frame, folder / f"{base}.parquet", file_metadata, shapes)
        written.append(_entry(folder, f"{base}.parquet", "parquet", table, level, len(frame)))
    if "csv" in formats:
        write_csv(frame, folder / f"{base}.csv")
        written.append(_entry(folder, f"{base}.csv", "csv", table, level, len(frame)))
    if "geojson" in formats and boundaries is not None:
        parts = {None: frame} if borough_of is None else _by_borough(frame, borough_of)
        if borough_of is not None:
            (folder / base).mkdir(exist_ok=True)
        for borough, part in parts.items():
            relative = f"{base}.geojson" if borough is None else f"{base}/{borough}.geojson"
            title = f"{table} by {level}" + ("" if borough is None else f" in {borough}")
            rows = write_geojson(
                part,
                boundaries,
                folder / relative,
                category_columns=category_columns,
                statistic=statistic,
                properties={"name": title, **file_metadata},
            )
            entry = _entry(folder, relative, "geojson", table, level, rows)
            written.append(replace(entry, borough=borough))
    return written


def _by_borough(frame: pd.DataFrame, borough_of: Mapping[str, str]) -> dict[str | None, Any]:
    boroughs = frame["area_code"].map(borough_of)
    return {
        str(code): part for code, part in frame.groupby(boroughs.to_numpy(), sort=True)
    }  # every area has a borough: the bundle's lookup nests


def _entry(folder: Path, relative: str, fmt: str, table: str, level: str, rows: int) -> WrittenFile:
    return WrittenFile(relative, fmt, table, level, sha256_of(folder / relative), rows)


def publication_block(publish: Any) -> dict[str, Any]:
    """What the publisher needs from the config's ``publish`` section, carried by the manifest
    (so that the approval, which checksums the manifest, covers it): who publishes (its
    ``publisher`` block) and the ``governance`` block (DPIA, legal basis, data controller)."""
    reference = getattr(publish, "reference_date", None)
    publisher = getattr(publish, "publisher", None)
    governance = getattr(publish, "governance", None)
    return {
        "organisation": getattr(publisher, "organisation", None),
        "contact": getattr(publisher, "contact", None),
        "dpia_reference": getattr(governance, "dpia_reference", None),
        "legal_basis": getattr(governance, "legal_basis", None),
        "data_controller": getattr(governance, "data_controller", None),
        "reference_date": reference.isoformat() if reference else None,
        "target": getattr(publish, "target", None),
    }


def write_manifest(
    folder: Path,
    manifest: Mapping[str, Any],
    files: Sequence[WrittenFile],
    publish: Any = None,
) -> Path:
    """Write ``manifest.json`` listing every file with its checksum and row count; with the
    config's ``publish`` section, also its register fields (DPIA reference, legal basis)."""
    document = {**manifest, "files": [item.listed() for item in files]}
    if publish is not None:
        document["publication"] = publication_block(publish)
    path = folder / "manifest.json"
    path.write_text(
        json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    return path
