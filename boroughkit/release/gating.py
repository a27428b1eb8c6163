"""Assemble the disclosure gate for a staged release."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from boroughkit.anonymise.released import ReleasedTable
from boroughkit.config.models import PipelineConfig
from boroughkit.disclosure import gate
from boroughkit.disclosure.leaks import scan_for_leaks, secrets_from_records
from boroughkit.disclosure.report import CheckResult, GateReport
from boroughkit.disclosure.rules import RuleSettings
from boroughkit.geography.bundle import GeographyBundle
from boroughkit.publish.columns import FIXED_COLUMNS, GEOMETRY_COLUMNS
from boroughkit.release.differencing_gate import cross_release, geographic_differencing
from boroughkit.release.job import ReleaseJob
from boroughkit.release.oa_truth import OATruth
from boroughkit.release.plan import Plan
from boroughkit.release.populations import published_populations
from boroughkit.terms import LEVELS

PUBLISHED_COLUMNS = frozenset(FIXED_COLUMNS)


def run_gate(
    job: ReleaseJob,
    paths: list[Path],
    tables: list[ReleasedTable],
    secrets: Mapping[str, Any],
    populations: pd.DataFrame,
    truth: OATruth | None,
    method_checks: Sequence[CheckResult],
) -> GateReport:
    """Every check a table release must pass before anything is published: the shared ones,
    the release method's own (``method_checks``) and each table's protection checks."""
    plan, bundle, config = job.plan, job.bundle, job.config
    allowed = set(PUBLISHED_COLUMNS) | set(GEOMETRY_COLUMNS)
    for table in tables:
        allowed |= set(table.category_columns)
    report = GateReport(job.release_id, plan.method)
    report.checks += [
        gate.check_output_columns(paths, allowed),
        scan_for_leaks(paths, secrets, public_values=_public_values(bundle, tables)),
        gate.check_min_population(
            populations,
            config.disclosure.min_area_population,
            reason=config.disclosure.min_area_population_reason,
        ),
        *method_checks,
    ]
    for table in tables:
        report.checks += list(table.checks)
    report.checks.append(geographic_differencing(plan, bundle, tables, truth))
    report.checks.append(
        cross_release(plan, bundle, tables, job.release_id, job.catalogue, job.dataset, truth)
    )
    return report


def rule_settings(disclosure: Any) -> RuleSettings:
    """The table-rule settings of a config's ``disclosure`` section."""
    fields = (
        "min_cell",
        "zeros_disclosive",
        "dominance_n",
        "dominance_k",
        "p_percent",
        "min_contributors",
        "min_area_population",
        "min_area_households",
        "protection_width",
    )
    return RuleSettings(**{name: getattr(disclosure, name) for name in fields})


def area_labels(bundle: GeographyBundle) -> set[str]:
    """Every area code and name of the geography: public, so never a leak."""
    values: set[str] = set()
    for level in LEVELS:
        areas = bundle.areas(level)
        values |= set(areas["code"].astype(str)) | set(areas["name"].astype(str))
    return values


def secret_columns(config: PipelineConfig) -> list[str]:
    """The record columns whose values the leak scan searches for: the privacy unit, the
    household, the postcode used for geocoding and the declared identifiers."""
    wanted = (
        config.source.privacy_unit,
        config.source.household,
        config.geography.geocode.postcode,
        *config.source.identifiers,
    )
    return list(dict.fromkeys(column for column in wanted if column))


def record_secrets(plan: Plan, records: pd.DataFrame) -> dict[str, list[Any]]:
    """Values of the input that must never appear in an output: ids, household ids,
    postcodes, declared identifiers and the planted canary (records in memory; the streaming
    path collects the same columns with DuckDB)."""
    config = plan.loaded.config
    columns = [column for column in secret_columns(config) if column in records]
    return secrets_from_records(records, {c: c for c in columns}, canary=config.disclosure.canary)


def _public_values(bundle: GeographyBundle, tables: list[ReleasedTable]) -> set[str]:
    """Area codes and names and category labels: published on purpose, not leaks."""
    values = area_labels(bundle)
    for table in tables:
        for frame in table.frames.values():
            for column in table.category_columns:
                values |= set(frame[column].astype(str))
    return values


def require_population_figures(job: ReleaseJob, levels: Sequence[str]) -> None:
    """Refuse the run (ConfigError) when the minimum-population check is on and a published
    area has no public population figure: called before any record is read or budget kept."""
    published_populations(job.plan.loaded, job.bundle, levels)
