"""Assemble the disclosure gate for a staged release."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from boroughkit.anonymise.released import ReleasedTable
from boroughkit.disclosure import gate
from boroughkit.disclosure.report import GateReport
from boroughkit.pipeline.plan import Plan

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


def run_gate(
    plan: Plan,
    release_id: str,
    paths: list[Path],
    records: pd.DataFrame,
    bundle: Any,
    tables: list[ReleasedTable],
) -> GateReport:
    """Every check a release must pass before anything is published."""
    config = plan.loaded.config
    allowed = set(PUBLISHED_COLUMNS)
    for table in tables:
        allowed |= set(table.category_columns)
    identifier_columns = [
        c
        for c in (
            config.source.privacy_unit,
            config.source.household,
            config.geography.geocode.postcode,
            *config.source.identifiers,
        )
        if c and c in records
    ]
    secrets = {column: records[column].dropna().unique() for column in identifier_columns}
    levels = sorted({level for table in tables for level in table.frames})
    populations = published_populations(bundle, levels, records, config.source.privacy_unit)
    report = GateReport(release_id, plan.method)
    report.checks += [
        gate.check_output_columns(paths, allowed),
        gate.check_identifier_leaks(paths, secrets),
        gate.check_min_population(populations, config.disclosure.min_area_population),
    ]
    return report


def published_populations(
    bundle: Any, levels: list[str], records: pd.DataFrame, person: str
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
