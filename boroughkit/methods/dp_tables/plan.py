"""Plan ``dp-tables``: each table's share of ρ, its levels' shares and OpenDP's noise scales.

Pure: reads the config only. :func:`preview` adds the expected ``moe95`` after the levels are
made consistent, from the public geography lookup.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pandas as pd

from boroughkit.anonymise.consistency import default_level_split, expected_moe95
from boroughkit.anonymise.measures import LevelPlan, MeasureKind, MeasurePlan, TablePlan
from boroughkit.methods.dp_tables.config import DPTableConfig, DPTablesRelease
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.opendp_adapter import calibrated_sigma
from boroughkit.terms import Z95


def _sensitivity_squared(kind: MeasureKind, table: DPTableConfig) -> int:
    k, m = table.max_categories_per_person, table.max_rows_per_person
    if kind == "count":
        # distinct (person, cell) pairs for counts; rows for a mean's denominator
        return k if table.statistic == "count" else m * m
    assert table.bounds is not None
    return (m * max(abs(table.bounds[0]), abs(table.bounds[1]))) ** 2


def _measure(kind: MeasureKind, table: DPTableConfig, rho: Rho) -> MeasurePlan:
    sensitivity = _sensitivity_squared(kind, table)
    split = table.level_split or default_level_split(table.levels)
    total = sum(split[level] for level in table.levels)
    levels = []
    for level in table.levels:
        share = Rho.parse(rho * Fraction(split[level]) / total)
        sigma = calibrated_sigma(share, sensitivity)
        levels.append(LevelPlan(level, share, sigma, Z95 * sigma))
    return MeasurePlan(kind, sensitivity, tuple(levels))


def table_plan(table: DPTableConfig, rho: Rho) -> TablePlan:
    """The measurements of one table: counts, sums, or (for means) both at half of ``rho``."""
    measures: tuple[MeasurePlan, ...]
    if table.statistic == "mean":
        half = Rho.parse(rho / 2)
        measures = (_measure("count", table, half), _measure("sum", table, half))
    else:
        measures = (_measure("count" if table.statistic == "count" else "sum", table, rho),)
    return TablePlan(
        table.name,
        tuple(table.count_by),
        table.statistic,
        table.max_categories_per_person,
        table.max_rows_per_person,
        table.value,
        table.bounds,
        rho,
        measures,
        table.unit,
    )


def table_plans(release: DPTablesRelease) -> tuple[TablePlan, ...]:
    """Every table's plan, the release's ρ shared in proportion to the tables' weights."""
    total_weight = sum(table.weight for table in release.tables)
    rho = Rho.parse(release.budget.rho)
    return tuple(
        table_plan(table, Rho.parse(rho * Fraction(table.weight) / total_weight))
        for table in release.tables
    )


def preview(tables: tuple[TablePlan, ...], lookup: pd.DataFrame) -> tuple[TablePlan, ...]:
    """The tables with the expected ``moe95`` of every level after reconciliation."""
    previewed = []
    for table in tables:
        measures = tuple(
            measure.with_moe95(
                expected_moe95(lookup, {lp.level: lp.sigma for lp in measure.levels})
            )
            for measure in table.measures
        )
        previewed.append(replace(table, measures=measures))
    return tuple(previewed)
