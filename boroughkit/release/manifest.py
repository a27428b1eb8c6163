"""The release manifest: what was done, with which budget and bounds, to which data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boroughkit.anonymise.released import ReleasedTable
from boroughkit.geography.bundle import GeographyBundle
from boroughkit.privacy.budget import Rho
from boroughkit.publish.files import WrittenFile
from boroughkit.publish.release_writer import licence_block
from boroughkit.release.context import RunContext
from boroughkit.release.job import ReleaseJob
from boroughkit.release.plan import Plan

# Counts about the input are rounded in public files: exact totals would be unprotected figures.
PUBLIC_ROUNDING = 100


@dataclass(frozen=True)
class InputFacts:
    """What happened to the input rows (exact; published only rounded)."""

    input_rows: int
    opted_out_rows: int
    unmatched: dict[str, int]


def _rounded(value: int) -> int:
    return int(round(value / PUBLIC_ROUNDING) * PUBLIC_ROUNDING)


def file_metadata(job: ReleaseJob, section: dict[str, Any]) -> dict[str, str]:
    """Short statements every published file carries (Parquet metadata, GeoJSON members);
    ``section`` is the method's manifest section (its ``method_statement``)."""
    config = job.config
    block = licence_block(config.publish.licence, job.bundle.info.attribution)
    return {
        "licence": f"{block['title']} ({block['url']})",
        "attribution": " ".join(block["attribution"]),
        "method": job.plan.method,
        "privacy": section["method_statement"],
        "publisher": config.publish.publisher,
    }


def build(
    job: ReleaseJob,
    facts: InputFacts,
    tables: list[ReleasedTable],
    version: str,
    section: dict[str, Any],
) -> dict[str, Any]:
    """The manifest document of a table release (the writer adds the list of files)."""
    config = job.config
    return {
        **identity_block(job.plan, job.release_id, job.context, job.dataset, version),
        **section,
        "tables": {table.name: table.details for table in tables},
        "geography": geography_block(job.bundle),
        "input": input_block(facts),
        "licence": licence_block(config.publish.licence, job.bundle.info.attribution),
        "publisher": config.publish.publisher,
    }


def identity_block(
    plan: Plan, release_id: str, context: RunContext, dataset: str, version: str
) -> dict[str, Any]:
    """Which release this is, of what, by whom, when, with which method."""
    config = plan.loaded.config
    return {
        "release_id": release_id,
        "name": config.name,
        "description": config.description,
        "dataset": dataset,
        "created": context.now().isoformat(),
        "created_by": context.user,
        "boroughkit_version": version,
        "method": plan.method,
    }


def geography_block(bundle: GeographyBundle) -> dict[str, Any]:
    """Which geography bundle the release used (its fingerprint ties releases together)."""
    return {
        "bundle": bundle.info.name,
        "source": bundle.info.source,
        "fingerprint": bundle.fingerprint,
        "oa_geometry": bundle.info.oa_geometry,
        "oa_geometry_approximate": bundle.info.oa_geometry == "approximate",
        "synthetic": bundle.info.synthetic,
    }


def input_block(facts: InputFacts) -> dict[str, Any]:
    """What happened to the input rows, rounded for publication."""
    return {
        "rounded_to": PUBLIC_ROUNDING,
        "rows": _rounded(facts.input_rows),
        "opted_out_rows": _rounded(facts.opted_out_rows),
        "unmatched_rows": {k: _rounded(v) for k, v in facts.unmatched.items()},
    }


def analyst_summary(
    release_id: str,
    folder: Path,
    facts: InputFacts,
    files: list[WrittenFile],
) -> str:
    """Exact figures for the analyst's console (never published)."""
    unmatched = sum(facts.unmatched.values())
    lines = [
        f"Built release {release_id}: the gate passed; it waits for approval",
        f"  staged in: {folder}",
        f"  input rows: {facts.input_rows}; opted out: {facts.opted_out_rows}; "
        f"unmatched: {unmatched} {facts.unmatched or ''}",
        f"  files: {len(files)} (+ manifest.json and the risk report)",
        f"  next: read the risk report, then `boroughkit approve {release_id} --by NAME` and "
        f"`boroughkit publish {release_id}`",
    ]
    return "\n".join(lines)


def zcdp_block(rho: Rho, mechanism: str) -> dict[str, Any]:
    """A differentially private release's guarantee, for its manifest (ε at δ = 10⁻⁷ too)."""
    return {
        "definition": "zero-concentrated differential privacy (zCDP)",
        "mechanism": mechanism,
        "privacy_unit": "person",
        "rho": str(Rho.parse(rho).value),
        "delta": 0,
        "epsilon_at_delta_1e-7": round(Rho.parse(rho).to_epsilon(1e-7), 4),
    }
