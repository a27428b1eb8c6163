"""Assemble the disclosure gate for a staged release."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from boroughkit.anonymise.released import ReleasedTable
from boroughkit.disclosure import gate
from boroughkit.disclosure.leaks import scan_for_leaks, secrets_from_records
from boroughkit.disclosure.report import CheckResult, GateReport
from boroughkit.disclosure.rules import RuleSettings
from boroughkit.geography.bundle import GeographyBundle
from boroughkit.publish.columns import GEOMETRY_COLUMNS
from boroughkit.release.differencing_gate import cross_release, geographic_differencing
from boroughkit.release.job import ReleaseJob
from boroughkit.release.plan import Plan
from boroughkit.terms import LEVELS

PUBLISHED_COLUMNS = {
    "area_code",
    "area_name",
    "level",
    "count",
    "sum",
    "mean",
    "noise_sd",
    "moe95",
    "status",
}


def run_gate(job: ReleaseJob, paths: list[Path], tables: list[ReleasedTable],
             secrets: Mapping[str, Any], populations: pd.DataFrame,
             records: pd.DataFrame | None, method_checks: Sequence[CheckResult]) -> GateReport:
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
        gate.check_min_population(populations, config.disclosure.min_area_population),
        *method_checks,
    ]
    for table in tables:
        report.checks += list(table.checks)
    report.checks.append(geographic_differencing(plan, bundle, tables, records))
    report.checks.append(cross_release(plan, bundle, tables, job.release_id, job.catalogue,
                                       job.dataset, records))
    return report


def rule_settings(disclosure: Any) -> RuleSettings:
    """The table-rule settings of a config's ``disclosure`` section."""
    fields = ("min_cell", "zeros_disclosive", "dominance_n", "dominance_k", "p_percent",
              "min_contributors", "min_area_population", "min_area_households",
              "protection_width")
    return RuleSettings(**{name: getattr(disclosure, name) for name in fields})


def area_labels(bundle: GeographyBundle) -> set[str]:
    """Every area code and name of the geography: public, so never a leak."""
    values: set[str] = set()
    for level in LEVELS:
        areas = bundle.areas(level)
        values |= set(areas["code"].astype(str)) | set(areas["name"].astype(str))
    return values


def record_secrets(plan: Plan, records: pd.DataFrame) -> dict[str, list[Any]]:
    """Values of the input that must never appear in an output: ids, household ids,
    postcodes, declared identifiers and the planted canary."""
    config = plan.loaded.config
    columns = [c for c in (config.source.privacy_unit, config.source.household,
                           config.geography.geocode.postcode, *config.source.identifiers)
               if c and c in records]
    return secrets_from_records(records, {c: c for c in columns},
                                canary=config.disclosure.canary)


def _public_values(bundle: GeographyBundle, tables: list[ReleasedTable]) -> set[str]:
    """Area codes and names and category labels: published on purpose, not leaks."""
    values = area_labels(bundle)
    for table in tables:
        for frame in table.frames.values():
            for column in table.category_columns:
                values |= set(frame[column].astype(str))
    return values


def published_populations(
    bundle: GeographyBundle, levels: list[str], records: pd.DataFrame, person: str
) -> pd.DataFrame:
    """Residents of each published area: the bundle's (public) figures when it has them."""
    frames = []
    for level in levels:
        areas = bundle.areas(level)[["code", "name", "population"]].copy()
        if areas["population"].isna().any():
            mapping = bundle.oa_to_level(level)
            per_area = records.drop_duplicates(person)["oa_code"].map(mapping).value_counts()
            areas["population"] = areas["code"].map(per_area).fillna(0)
        frames.append(areas.assign(level=level))
    return pd.concat(frames, ignore_index=True).astype({"population": np.int64})
