"""The release manifest: what was done, with which budget and bounds, to which data.

Exact facts about the input (rows read, opted out, unmatched per reason) are counts of real
people that no noise protects: they never enter the manifest or any public file. They go to
``input-facts.json`` beside the risk report, which publishing files in the private ``audit/``
folder, and to the analyst's console.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from boroughkit.anonymise.released import ReleasedTable
from boroughkit.geography.bundle import GeographyBundle
from boroughkit.privacy.budget import Rho
from boroughkit.publish.catalogue import INPUT_FACTS
from boroughkit.publish.files import WrittenFile
from boroughkit.publish.release_writer import licence_block
from boroughkit.release.context import RunContext
from boroughkit.release.job import ReleaseJob
from boroughkit.release.plan import Plan

# Sizes that are shared although they follow from the input (a synthetic extract's row count)
# are rounded to this.
PUBLIC_ROUNDING = 100


@dataclass(frozen=True)
class InputFacts:
    """What happened to the input rows: exact, so never published."""

    input_rows: int
    opted_out_rows: int
    unmatched: dict[str, int]
    # Rows left out for an invalid value in a column with ``on_invalid: drop``, in all and per
    # column (a row invalid in two columns counts once in all and once for each column).
    dropped_rows: int = 0
    dropped: dict[str, int] = field(default_factory=dict)


def write_input_facts(folder: Path, facts: InputFacts, **private: Any) -> Path:
    """Write the exact input facts (and any other ``private`` values of the run, such as a
    drawn seed) to ``input-facts.json`` in a staged release: evidence for the council only."""
    document = {
        "note": "Exact facts about the input: private to the council, never published.",
        **asdict(facts),
        **private,
    }
    path = folder / INPUT_FACTS
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    return path


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
        "publisher": config.publish.publisher.organisation,
        "contact": config.publish.publisher.contact,
    }


def build(
    job: ReleaseJob,
    tables: list[ReleasedTable],
    version: str,
    section: dict[str, Any],
) -> dict[str, Any]:
    """The manifest document of a table release (the writer adds the list of files); the
    input facts are not in it (see :func:`write_input_facts`)."""
    config = job.config
    return {
        **identity_block(job.plan, job.release_id, job.context, job.dataset, version),
        **section,
        "tables": {table.name: table.details for table in tables},
        "geography": geography_block(job.bundle),
        "licence": licence_block(config.publish.licence, job.bundle.info.attribution),
        "publisher": config.publish.publisher.organisation,
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
        # A named person the analyst stated, or "not stated": never the login.
        "created_by": context.created_by,
        "boroughkit_version": version,
        "method": plan.method,
    }


def geography_block(bundle: GeographyBundle) -> dict[str, Any]:
    """Which geography bundle the release used (its fingerprint ties releases together), and
    what its import repaired in the ONS lookup (public facts: codes, names and the rule)."""
    block: dict[str, Any] = {
        "bundle": bundle.info.name,
        "source": bundle.info.source,
        "fingerprint": bundle.fingerprint,
        "oa_geometry": bundle.info.oa_geometry,
        "oa_geometry_approximate": bundle.info.oa_geometry == "approximate",
        "synthetic": bundle.info.synthetic,
    }
    if bundle.info.lookup_repairs:
        block["lookup_repairs"] = [str(item["text"]) for item in bundle.info.lookup_repairs]
    return block


def approval_commands(job: ReleaseJob) -> list[str]:
    """The commands that approve and publish the job's staged release, ready to paste (with the
    catalogue, and the ledger when the config names its own; NAME is the approver's name)."""
    where = f"--catalogue {shlex.quote(str(job.catalogue))}"
    configured = job.config.publish.ledger
    if configured is not None:
        where += f" --ledger {shlex.quote(str(job.plan.loaded.resolve(configured)))}"
    release = shlex.quote(job.release_id)
    return [
        f'boroughkit approve {release} --by "NAME" {where}',
        f"boroughkit publish {release} {where}",
    ]


def analyst_summary(
    release_id: str,
    folder: Path,
    facts: InputFacts,
    files: list[WrittenFile],
    commands: list[str],
) -> str:
    """Exact figures for the analyst's console (never published); ``commands`` are the next
    steps (:func:`approval_commands`)."""
    unmatched = sum(facts.unmatched.values())
    lines = [
        f"Built release {release_id}: the gate passed; it waits for approval",
        f"  staged in: {folder}",
        f"  input rows: {facts.input_rows}; opted out: {facts.opted_out_rows}; "
        f"unmatched: {unmatched} {facts.unmatched or ''}",
        *(
            [
                f"  left out for invalid values (on_invalid: drop): {facts.dropped_rows} "
                f"{facts.dropped}"
            ]
            if facts.dropped_rows
            else []
        ),
        f"  files: {len(files)} (+ manifest.json; private: the risk report and {INPUT_FACTS})",
        f"  next: read the risk report ({folder / 'risk-report.md'}), then approve and publish:",
        *(f"    {command}" for command in commands),
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
