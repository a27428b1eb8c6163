"""The release manifest: what was done, with which budget and bounds, to which data."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from boroughkit.anonymise.dp_tables import TableRelease
from boroughkit.pipeline.context import RunContext
from boroughkit.pipeline.load import LoadedRecords
from boroughkit.pipeline.plan import Plan
from boroughkit.pipeline.steps import GeocodedRecords
from boroughkit.publish.files import WrittenFile
from boroughkit.publish.release_writer import licence_block

# Counts about the input are rounded in public files: exact totals would be un-noised statistics.
PUBLIC_ROUNDING = 100
METHOD_STATEMENT = (
    "Counts are differentially private (zero-concentrated DP, discrete Gaussian noise drawn by "
    "OpenDP). Each person's contribution was bounded before counting; the noise standard "
    "deviation of every cell is published beside it."
)


def epsilon_at(rho: float, delta: float) -> float:
    """(epsilon, delta)-DP implied by rho-zCDP (Bun & Steinke 2016, Prop. 1.3)."""
    return rho + 2 * math.sqrt(rho * math.log(1 / delta))


def _rounded(value: int) -> int:
    return int(round(value / PUBLIC_ROUNDING) * PUBLIC_ROUNDING)


def file_metadata(plan: Plan, bundle: Any) -> dict[str, str]:
    """Short statements every published file carries (Parquet metadata, GeoJSON members)."""
    config = plan.loaded.config
    block = licence_block(config.publish.licence, bundle.info.attribution)
    return {
        "licence": f"{block['title']} ({block['url']})",
        "attribution": " ".join(block["attribution"]),
        "method": config.release.method,
        "privacy": METHOD_STATEMENT,
        "publisher": config.publish.publisher,
    }


def build(
    plan: Plan,
    release_id: str,
    context: RunContext,
    bundle: Any,
    records: LoadedRecords,
    geocoded: GeocodedRecords,
    releases: list[TableRelease],
    version: str,
) -> dict[str, Any]:
    """The manifest document (files are added by the writer)."""
    config = plan.loaded.config
    tables = {}
    for release in releases:
        bound = release.plan.max_categories_per_person
        tables[release.plan.name] = {
            "count_by": list(release.plan.count_by),
            "category_values": {
                c: list(v) for c, v in zip(release.grid.columns, release.grid.values, strict=True)
            },
            "rho": str(release.plan.rho),
            "contribution_bound": {
                "max_categories_per_person": bound,
                "cells_changed_per_person_per_level": bound,
                "l2_sensitivity": math.sqrt(bound),
            },
            "levels": {
                lp.level: {"rho": str(lp.rho), "noise_sd": lp.sigma} for lp in release.plan.levels
            },
            "total_row": "sum of the category cells of the area",
        }
    rho = float(plan.rho)
    return {
        "release_id": release_id,
        "name": config.name,
        "description": config.description,
        "created": context.now().isoformat(),
        "created_by": context.user,
        "boroughkit_version": version,
        "method": config.release.method,
        "method_statement": METHOD_STATEMENT,
        "privacy": {
            "definition": "zero-concentrated differential privacy (zCDP)",
            "mechanism": "discrete Gaussian (OpenDP)",
            "privacy_unit": "person",
            "rho": str(plan.rho),
            "delta": 0,
            "epsilon_at_delta_1e-7": round(epsilon_at(rho, 1e-7), 4) if rho else 0,
            "group_keys": "every area of the geography bundle; declared categories",
        },
        "tables": tables,
        "geography": {
            "bundle": bundle.info.name,
            "source": bundle.info.source,
            "fingerprint": bundle.fingerprint,
            "oa_geometry": bundle.info.oa_geometry,
            "oa_geometry_approximate": bundle.info.oa_geometry == "approximate",
            "synthetic": bundle.info.synthetic,
        },
        "input": {
            "rounded_to": PUBLIC_ROUNDING,
            "rows": _rounded(records.input_rows),
            "opted_out_rows": _rounded(records.opted_out_rows),
            "unmatched_rows": {k: _rounded(v) for k, v in geocoded.unmatched.items()},
        },
        "licence": licence_block(config.publish.licence, bundle.info.attribution),
        "publisher": config.publish.publisher,
    }


def analyst_summary(
    release_id: str,
    folder: Path,
    records: LoadedRecords,
    geocoded: GeocodedRecords,
    files: list[WrittenFile],
) -> str:
    """Exact figures for the analyst's console (never published)."""
    unmatched = sum(geocoded.unmatched.values())
    lines = [
        f"Published release {release_id}",
        f"  folder: {folder}",
        f"  input rows: {records.input_rows}; opted out: {records.opted_out_rows}; "
        f"unmatched: {unmatched} {geocoded.unmatched or ''}",
        f"  files: {len(files)} (+ manifest.json, risk-report.json, risk-report.md)",
    ]
    return "\n".join(lines)
