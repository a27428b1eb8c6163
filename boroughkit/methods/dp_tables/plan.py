"""Plan ``dp-tables``: each table's share of ρ, its levels' shares and OpenDP's noise scales.

Pure: reads the config only. :func:`preview` adds the expected ``moe95`` after the levels are
made consistent, from the public geography lookup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from fractions import Fraction

import pandas as pd

from boroughkit.anonymise.accuracy_targets import plan_for_targets
from boroughkit.anonymise.consistency import default_level_split, expected_moe95
from boroughkit.anonymise.measures import LevelPlan, MeasureKind, MeasurePlan, TablePlan
from boroughkit.errors import ConfigError
from boroughkit.methods.dp_tables.config import DPTableConfig, DPTablesRelease
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.opendp_adapter import calibrated_sigma
from boroughkit.release.plan import show
from boroughkit.terms import Z95


def _sensitivity_squared(kind: MeasureKind, table: DPTableConfig) -> int:
    k, m = table.max_categories_per_person, table.max_rows_per_person
    if kind == "count":
        # distinct (person, cell) pairs for counts; rows for a mean's denominator
        return k if table.statistic == "count" else m * m
    assert table.bounds is not None
    return (m * max(abs(table.bounds[0]), abs(table.bounds[1]))) ** 2


def _measure(
    kind: MeasureKind, table: DPTableConfig, rho: Rho, found_split: Mapping[str, Fraction] | None
) -> MeasurePlan:
    sensitivity = _sensitivity_squared(kind, table)
    split = found_split or table.level_split or default_level_split(table.levels)
    total = sum(split[level] for level in table.levels)
    levels = []
    for level in table.levels:
        share = Rho.parse(rho * Fraction(split[level]) / total)
        sigma = calibrated_sigma(share, sensitivity)
        levels.append(LevelPlan(level, share, sigma, Z95 * sigma))
    return MeasurePlan(kind, sensitivity, tuple(levels))


def table_plan(
    table: DPTableConfig, rho: Rho, found_split: Mapping[str, Fraction] | None = None
) -> TablePlan:
    """The measurements of one table: counts, sums, or (for means) both at half of ``rho``.

    ``found_split`` is the level split chosen to meet the table's ``target_moe95``.
    """
    measures: tuple[MeasurePlan, ...]
    if table.statistic == "mean":
        half = Rho.parse(rho / 2)
        measures = (_measure("count", table, half, None), _measure("sum", table, half, None))
    else:
        kind: MeasureKind = "count" if table.statistic == "count" else "sum"
        measures = (_measure(kind, table, rho, found_split),)
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
        {str(level): moe for level, moe in (table.target_moe95 or {}).items()},
    )


def table_plans(
    release: DPTablesRelease, lookup: pd.DataFrame | None = None
) -> tuple[TablePlan, ...]:
    """Every table's plan: a table with ``target_moe95`` takes the ρ its targets need (found on
    the public ``lookup``); the others share the rest of the release's ρ by their weights."""
    budget = Rho.parse(release.budget.rho)
    targeted = {
        table.name: target_plan(table, lookup)
        for table in release.tables
        if table.target_moe95 is not None
    }
    needed = sum((rho for rho, _ in targeted.values()), Fraction(0))
    shared = [table for table in release.tables if table.target_moe95 is None]
    if needed > budget or (shared and needed == budget):
        raise ConfigError(
            f"the tables' target_moe95 need ρ = {float(needed):.4g} in all "
            + ", ".join(f"{name}: {float(rho):.4g}" for name, (rho, _) in targeted.items())
            + f"; release.budget.rho is {show(budget)}"
            + (" and the other tables need a share too" if shared else ""),
            fix="raise release.budget.rho (and the dataset's lifetime if needed), or give "
            "larger targets",
        )
    rest = budget.value - needed
    total_weight = sum(table.weight for table in shared)
    plans = []
    for table in release.tables:
        if table.name in targeted:
            rho, split = targeted[table.name]
            plans.append(table_plan(table, Rho.parse(rho), split))
        else:
            plans.append(table_plan(table, Rho.parse(rest * Fraction(table.weight) / total_weight)))
    return tuple(plans)


def release_rho(release: DPTablesRelease, tables: tuple[TablePlan, ...]) -> Rho:
    """The ρ the release spends: its budget, or only what targets need when every table has one."""
    if all(table.target_moe95 is not None for table in release.tables):
        return Rho.parse(sum((plan.rho.value for plan in tables), Fraction(0)))
    return Rho.parse(release.budget.rho)


def target_plan(
    table: DPTableConfig, lookup: pd.DataFrame | None
) -> tuple[Fraction, dict[str, Fraction]]:
    """The smallest ρ (rounded up to three significant figures) and split meeting the targets."""
    assert table.target_moe95 is not None and lookup is not None
    kind: MeasureKind = "count" if table.statistic == "count" else "sum"
    found = plan_for_targets(
        lookup,
        table.levels,
        {str(level): moe for level, moe in table.target_moe95.items()},
        _sensitivity_squared(kind, table),
    )
    exponent = math.floor(math.log10(found.rho)) - 2
    rounded_up = Fraction(math.ceil(found.rho / 10.0**exponent)) * Fraction(10) ** exponent
    return rounded_up, found.split


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
