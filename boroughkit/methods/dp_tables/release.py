"""Protect ``dp-tables`` from records in memory, and describe what was done in the manifest."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from boroughkit.anonymise import counts
from boroughkit.anonymise.dp_tables import TableRelease, level_frame, release_dp_table
from boroughkit.anonymise.measures import TablePlan
from boroughkit.anonymise.released import AreaIndex, ReleasedTable
from boroughkit.release.job import ReleaseJob
from boroughkit.release.manifest import zcdp_block
from boroughkit.release.plan import Plan

METHOD_STATEMENT = (
    "Counts are differentially private (zero-concentrated DP, discrete Gaussian noise "
    "drawn by OpenDP). Each person's contribution was bounded before counting; the noise "
    "standard deviation of every cell is published beside it."
)


def protect_tables(job: ReleaseJob, frame: pd.DataFrame) -> list[ReleasedTable]:
    """Every table of the plan from geocoded records: bounded, measured, made consistent."""
    plan, config = job.plan, job.config
    index = AreaIndex.from_bundle(job.bundle)
    declared = {name: column.values for name, column in config.source.columns.items()}
    rng = job.context.rng_factory()
    lookup = lookup_codes(index)
    tables = []
    for table in plan.tables:
        grid = counts.category_grid(table.count_by, declared)
        released = release_dp_table(
            frame,
            index=index,
            lookup=lookup,
            plan=table,
            grid=grid,
            person=config.source.privacy_unit,
            rng=rng,
            source=str(job.source),
        )
        tables.append(released_table(table, grid, released))
    return tables


def lookup_codes(index: AreaIndex) -> pd.DataFrame:
    """One row per OA with its code at every level (what reconciliation needs)."""
    oa = index.areas["oa"]["code"]
    return pd.DataFrame(
        {
            f"{level}_code": index.areas[level]["code"].to_numpy()[index.oa_position[level]]
            for level in index.areas
        }
    ).assign(oa_code=oa.to_numpy())


def released_table(
    table: TablePlan, grid: counts.CategoryGrid, released: TableRelease
) -> ReleasedTable:
    """One reconciled DP table as the publisher takes it: a tidy frame per level, and its
    manifest entry."""
    frames: dict[str, pd.DataFrame] = {
        level.level: level_frame(released, level.level) for level in table.levels
    }
    return ReleasedTable(
        table.name, grid.columns, table.statistic, frames, table_details(table, grid, released)
    )


def table_details(
    table: TablePlan,
    grid: counts.CategoryGrid,
    released: TableRelease,
) -> dict[str, Any]:
    """The manifest's entry for one table: what it counts (its unit), bounds, budget and
    noise of every level."""
    bounds: dict[str, Any] = {
        "max_categories_per_person": table.max_categories_per_person,
        "max_rows_per_person": table.max_rows_per_person,
        "sensitivity_l2": {m.kind: math.sqrt(m.sensitivity_squared) for m in table.measures},
    }
    if table.bounds:
        bounds["value_bounds"] = list(table.bounds)
    return {
        "unit": table.unit,
        "statistic": table.statistic,
        "value": table.value,
        "count_by": list(table.count_by),
        "category_values": dict(zip(grid.columns, map(list, grid.values), strict=True)),
        "rho": str(table.rho.value),
        "contribution_bound": bounds,
        "contributions_before_truncation": "withheld (exact figure)",
        "measures": {
            m.kind: {lp.level: {"rho": str(lp.rho.value), "noise_sd": lp.sigma} for lp in m.levels}
            for m in table.measures
        },
        "consistency": "generalised least squares across levels, non-negative, integer "
        "controlled rounding: areas sum exactly to their parents",
        "moe95": "half-width of a 95% interval for the published value",
        "total_row": "sum of the category cells of the area",
    }


def manifest_section(plan: Plan) -> dict[str, Any]:
    """What was done to every published figure, and the guarantee, for the manifest."""
    return {
        "method_statement": METHOD_STATEMENT,
        "privacy": {
            **zcdp_block(plan.rho, "discrete Gaussian (OpenDP)"),
            "group_keys": "every area of the geography bundle; declared categories",
        },
    }
