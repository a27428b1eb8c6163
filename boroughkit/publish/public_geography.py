"""Public geography for the Borough Data Explorer: area names and parents, and postcodes.

The explorer finds an area by name, code or postcode and says where an Output Area is ("E00004513,
in Holborn & Covent Garden"). It reads that from ``geography/`` at the catalogue root, written from
the release's geography bundle by :func:`write_public_geography`:

``geography/index.json``
    every bundle written: its ``name``, ``fingerprint`` and the paths of its files.
``geography/<fingerprint>/areas.json``
    every area of every level: ``code``, ``name``, ``level`` and the codes of the areas it lies in.
``geography/<fingerprint>/postcodes.json``
    the public postcode → OA lookup, only when the bundle has one.
``geography/<fingerprint>/areas/<borough>.json``
    in a bundle of several boroughs, the OAs and LSOAs of each borough, which ``areas.json`` then
    leaves out (the explorer loads a borough's when it shows that borough: a national
    ``areas.json`` would be tens of megabytes).

Only public geography goes there (codes, names, the OA lookup and the postcode lookup the council
put in the bundle): no population, household or other count of the bundle, no record.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from boroughkit.terms import LEVELS

GEOGRAPHY = "geography"
GEOGRAPHY_INDEX = f"{GEOGRAPHY}/index.json"

# A boroughkit.geography GeographyBundle (publish may not import geography: sibling layers).
GeographyBundle = Any

__all__ = ["GEOGRAPHY", "GEOGRAPHY_INDEX", "geography_documents", "write_public_geography"]

#: Levels listed per borough (``areas/<borough>.json``) in a bundle of several boroughs.
PER_BOROUGH_LEVELS = ("oa", "lsoa")


def _key(bundle: GeographyBundle) -> str:
    return bundle.fingerprint[:16]


def geography_documents(bundle: GeographyBundle) -> dict[str, Any]:
    """The public geography documents of ``bundle`` by their path under ``geography/``."""
    lookup = bundle.lookup
    levels = [level for level in LEVELS if level in bundle.levels]
    coarser = {level: levels[i + 1 :] for i, level in enumerate(levels)}
    areas: list[dict[str, Any]] = []
    for level in levels:
        frame = bundle.areas(level)
        parents: dict[str, dict[str, str]] = {}
        code_column = f"{level}_code"
        if code_column in lookup.columns:
            columns = [f"{p}_code" for p in coarser[level] if f"{p}_code" in lookup.columns]
            first = lookup.drop_duplicates(code_column)
            for row in first[[code_column, *columns]].itertuples(index=False):
                parents[str(row[0])] = {
                    c.removesuffix("_code"): str(v) for c, v in zip(columns, row[1:], strict=True)
                }
        for code, name in zip(frame["code"], frame["name"], strict=True):
            areas.append(
                {
                    "code": str(code),
                    "name": str(name),
                    "level": level,
                    "in": parents.get(str(code), {}),
                }
            )
    key = _key(bundle)
    documents: dict[str, Any] = {}
    entry: dict[str, Any] = {
        "name": bundle.info.name,
        "fingerprint": bundle.fingerprint,
        "synthetic": bundle.info.synthetic,
        "areas": f"{GEOGRAPHY}/{key}/areas.json",
        "postcodes": None,
    }
    if lookup["borough_code"].nunique() > 1:
        fine = [a for a in areas if a["level"] in PER_BOROUGH_LEVELS]
        areas = [a for a in areas if a["level"] not in PER_BOROUGH_LEVELS]
        by_borough: dict[str, list[dict[str, Any]]] = {}
        for area in fine:
            by_borough.setdefault(area["in"]["borough"], []).append(area)
        entry["areas_by_borough"] = {
            borough: f"{GEOGRAPHY}/{key}/areas/{borough}.json" for borough in sorted(by_borough)
        }
        for borough, listed in by_borough.items():
            documents[f"{key}/areas/{borough}.json"] = {"areas": listed}
    documents[f"{key}/areas.json"] = {"areas": areas}
    if bundle.postcodes is not None and len(bundle.postcodes):
        pairs = bundle.postcodes[["postcode", "oa_code"]].dropna().drop_duplicates("postcode")
        documents[f"{key}/postcodes.json"] = {
            "postcodes": dict(
                zip(pairs["postcode"].astype(str), pairs["oa_code"].astype(str), strict=True)
            )
        }
        entry["postcodes"] = f"{GEOGRAPHY}/{key}/postcodes.json"
    documents["index.json"] = {"bundles": [entry]}
    return documents


def write_public_geography(catalogue: Path, bundle: GeographyBundle) -> list[Path]:
    """Write ``bundle``'s public geography into ``catalogue/geography/`` (kept beside any other
    bundle's); each file is written whole and renamed into place. Returns the files written."""
    folder = catalogue / GEOGRAPHY
    documents = geography_documents(bundle)
    index_path = folder / "index.json"
    bundles = []
    if index_path.exists():
        previous = json.loads(index_path.read_text(encoding="utf-8")).get("bundles", [])
        bundles = [b for b in previous if b.get("fingerprint") != bundle.fingerprint]
    documents["index.json"] = {"bundles": [*bundles, *documents["index.json"]["bundles"]]}
    written = []
    # The index last: a reader never finds it naming a file not yet in place.
    for relative in sorted(documents, key=lambda name: name == "index.json"):
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.tmp")
        scratch.write_text(
            json.dumps(documents[relative], ensure_ascii=False, separators=(",", ":")) + "\n",
            encoding="utf-8",
        )
        os.replace(scratch, path)
        written.append(path)
    return written
