"""Dispatch a plan's release method and hand back tidy tables for the publisher."""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd

from boroughkit.anonymise import counts
from boroughkit.anonymise.released import AreaIndex, ReleasedTable
from boroughkit.config.models import DPTablesRelease, SDCTablesRelease
from boroughkit.pipeline.context import RunContext
from boroughkit.pipeline.plan import Plan
from boroughkit.privacy.budget import Rho


def release_tables(
    plan: Plan,
    frame: pd.DataFrame,
    bundle: Any,
    context: RunContext,
    source: Path,
    catalogue: Path,
    dataset: str,
) -> list[ReleasedTable]:
    """Run the configured release method over geocoded records."""
    release = plan.loaded.config.release
    index = AreaIndex.from_bundle(bundle)
    declared = {name: column.values for name, column in plan.loaded.config.source.columns.items()}
    if isinstance(release, SDCTablesRelease):
        return _sdc(plan, release, frame, index, declared, catalogue, dataset, bundle)
    assert isinstance(release, DPTablesRelease)
    return _dp(plan, frame, index, declared, context, source)


def _dp(
    plan: Plan,
    frame: pd.DataFrame,
    index: AreaIndex,
    declared: dict[str, Any],
    context: RunContext,
    source: Path,
) -> list[ReleasedTable]:
    from boroughkit.anonymise.dp_tables import level_frame, release_dp_table

    rng = context.rng_factory()
    person = plan.loaded.config.source.privacy_unit
    lookup = _lookup_codes(index)
    tables = []
    for table in plan.tables:
        grid = counts.category_grid(table.count_by, declared)
        released = release_dp_table(
            frame,
            index=index,
            lookup=lookup,
            plan=table,
            grid=grid,
            person=person,
            rng=rng,
            source=str(source),
        )
        frames = {level.level: level_frame(released, level.level) for level in table.levels}
        tables.append(
            ReleasedTable(
                table.name,
                grid.columns,
                table.statistic,
                frames,
                _dp_details(table, grid, released),
            )
        )
    return tables


def _lookup_codes(index: AreaIndex) -> pd.DataFrame:
    """One row per OA with its code at every level (what reconciliation needs)."""
    oa = index.areas["oa"]["code"]
    return pd.DataFrame(
        {
            f"{level}_code": index.areas[level]["code"].to_numpy()[index.oa_position[level]]
            for level in index.areas
        }
    ).assign(oa_code=oa.to_numpy())


def _dp_details(table: Any, grid: counts.CategoryGrid, released: Any) -> dict[str, Any]:
    bounds = {
        "max_categories_per_person": table.max_categories_per_person,
        "max_rows_per_person": table.max_rows_per_person,
        "sensitivity_l2": {m.kind: math.sqrt(m.sensitivity_squared) for m in table.measures},
    }
    if table.bounds:
        bounds["value_bounds"] = list(table.bounds)
    return {
        "statistic": table.statistic,
        "value": table.value,
        "count_by": list(table.count_by),
        "category_values": dict(zip(grid.columns, map(list, grid.values), strict=True)),
        "rho": str(table.rho),
        "contribution_bound": bounds,
        "contributions_before_truncation": "withheld (exact figure)",
        "measures": {
            m.kind: {lp.level: {"rho": str(lp.rho), "noise_sd": lp.sigma} for lp in m.levels}
            for m in table.measures
        },
        "consistency": "generalised least squares across levels, non-negative, integer "
        "controlled rounding: areas sum exactly to their parents",
        "moe95": "half-width of a 95% interval for the published value",
        "total_row": "sum of the category cells of the area",
    }


def _sdc(
    plan: Plan,
    release: SDCTablesRelease,
    frame: pd.DataFrame,
    index: AreaIndex,
    declared: dict[str, Any],
    catalogue: Path,
    dataset: str,
    bundle: Any,
) -> list[ReleasedTable]:
    from boroughkit.anonymise.keystore import KeyStore
    from boroughkit.anonymise.sdc_tables import default_key_store, ptable_for, release_sdc_table
    from boroughkit.pipeline.gating import rule_settings
    from boroughkit.pipeline.sdc_protection import protect

    loaded = plan.loaded
    store = KeyStore(
        loaded.resolve(release.key_store)
        if release.key_store
        else default_key_store(catalogue, dataset)
    )
    ptable = ptable_for(release, loaded.resolve)
    person = loaded.config.source.privacy_unit
    tables = [
        release_sdc_table(frame, name=table.name,
                          grid=counts.category_grid(table.count_by, declared),
                          levels=list(table.levels), index=index, person=person, keys=store,
                          ptable=ptable, threshold=release.threshold,
                          rounding_base=release.rounding_base)
        for table in release.tables
    ]
    protected, checks = protect(tables, frame, person, bundle,
                                rule_settings(loaded.config.disclosure))
    return [replace(protected[0], checks=tuple(checks)), *protected[1:]]


def method_statement(plan: Plan) -> str:
    """What was done to every published figure, in one plain sentence."""
    release = plan.loaded.config.release
    if isinstance(release, SDCTablesRelease):
        return (
            f"Counts were perturbed with the ONS cell-key method (each person has a fixed "
            f"record key), counts below {release.threshold} were suppressed and published "
            f"counts rounded to the nearest {release.rounding_base}."
        )
    return (
        "Counts are differentially private (zero-concentrated DP, discrete Gaussian noise "
        "drawn by OpenDP). Each person's contribution was bounded before counting; the noise "
        "standard deviation of every cell is published beside it."
    )


def privacy_block(plan: Plan) -> dict[str, Any]:
    """The manifest's description of the protection applied."""
    release = plan.loaded.config.release
    if isinstance(release, SDCTablesRelease):
        return {
            "definition": "statistical disclosure control (ONS cell-key method)",
            "ptable": str(release.ptable)
            if release.ptable
            else {"generated": release.ptable_parameters.model_dump()},
            "threshold": release.threshold,
            "rounding_base": release.rounding_base,
            "record_keys": "one key 0-255 per person, kept between releases",
        }
    return {
        **zcdp_block(plan.rho, "discrete Gaussian (OpenDP)"),
        "group_keys": "every area of the geography bundle; declared categories",
    }


def zcdp_block(rho: Fraction, mechanism: str) -> dict[str, Any]:
    """A differentially private release's guarantee, for its manifest (ε at δ = 10⁻⁷ too)."""
    return {
        "definition": "zero-concentrated differential privacy (zCDP)",
        "mechanism": mechanism,
        "privacy_unit": "person",
        "rho": str(rho),
        "delta": 0,
        "epsilon_at_delta_1e-7": round(Rho.parse(rho).to_epsilon(1e-7), 4),
    }
