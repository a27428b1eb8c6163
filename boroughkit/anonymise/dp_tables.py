"""The ``dp-tables`` release: consistent differentially private counts, sums and means.

Privacy argument. Each person is one privacy unit and lives in one OA (checked before). For
counts, :func:`counts.bounded_cells` keeps per person at most ``k`` distinct category cells,
each counted once, so at any level (areas are unions of OAs) one person changes at most ``k``
cells by 1: squared L2 sensitivity ``k``. For sums, a person keeps at most ``m`` rows, each
value clipped to public bounds ``[L, U]`` (whole pounds), so the person moves the sum vector by
at most ``m * max(|L|, |U|)`` in L2 (all in one cell is the worst case); a mean's denominator
counts those rows (sensitivity ``m``). Each level of each measure is one discrete Gaussian
measurement from OpenDP, its scale calibrated so OpenDP's own privacy map certifies
``sensitivity^2 * map(1) <= rho_level``; zCDP composes additively over levels, measures and
tables, so the release costs the planned ``rho``. Every area of the bundle is a group key, so
empty areas are released too (no delta). Categories come from the config, never the data. The
consistent, non-negative integer estimates (:mod:`.consistency`) are post-processing.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from boroughkit.anonymise import counts
from boroughkit.anonymise.consistency import LevelMeasurement, ReconciledLevel, reconcile
from boroughkit.anonymise.measures import MeasurePlan, TablePlan
from boroughkit.anonymise.released import AreaIndex
from boroughkit.privacy.opendp_adapter import add_discrete_gaussian


@dataclass(frozen=True)
class MeasureRelease:
    """One measure (count or sum) at every level, consistent across levels."""

    kind: str
    levels: dict[str, ReconciledLevel]
    noise_sd: dict[str, float]


@dataclass(frozen=True)
class TableRelease:
    """A released table with its measures and facts about the bounding."""

    plan: TablePlan
    grid: counts.CategoryGrid
    measures: dict[str, MeasureRelease]
    contributions: int
    truncated_contributions: int
    area_names: dict[str, dict[str, str]]


def _measure(
    oa_values: np.ndarray,
    measure: MeasurePlan,
    index: AreaIndex,
    lookup: pd.DataFrame,
    rng: np.random.Generator,
) -> MeasureRelease:
    truths = [
        counts.roll_up(oa_values, index.oa_position[lp.level], len(index.areas[lp.level]))
        for lp in measure.levels
    ]
    # OpenDP's sampler runs outside the GIL: the levels' independent draws use every core.
    with ThreadPoolExecutor(max_workers=min(len(truths), os.cpu_count() or 1)) as pool:
        noisy = list(pool.map(add_discrete_gaussian, truths, [lp.sigma for lp in measure.levels]))
    measurements = [
        # sigma was calibrated by OpenDP when the plan was built
        LevelMeasurement(lp.level, index.areas[lp.level]["code"].tolist(), values, lp.sigma)
        for lp, values in zip(measure.levels, noisy, strict=True)
    ]
    noise_sd = {str(lp.level): lp.sigma for lp in measure.levels}
    return MeasureRelease(measure.kind, reconcile(lookup, measurements, rng), noise_sd)


def release_dp_table(
    records: pd.DataFrame,
    *,
    index: AreaIndex,
    lookup: pd.DataFrame,
    plan: TablePlan,
    grid: counts.CategoryGrid,
    person: str,
    rng: np.random.Generator,
    source: str,
) -> TableRelease:
    """Bound contributions, measure every planned level with OpenDP noise, reconcile."""
    oa_codes = index.areas["oa"]["code"].tolist()
    n_cells = len(grid.cells)
    if plan.statistic == "count":
        cells = counts.bounded_cells(
            records,
            person=person,
            grid=grid,
            max_cells=plan.max_categories_per_person,
            rng=rng,
            source=source,
        )
        before = len(
            counts.bounded_cells(
                records, person=person, grid=grid, max_cells=10**9, rng=rng, source=source
            )
        )
        oa_counts = counts.oa_cell_counts(cells, oa_codes, n_cells)
        return release_from_oa(
            oa_counts,
            index=index,
            lookup=lookup,
            plan=plan,
            grid=grid,
            rng=rng,
            contributions=before,
            kept=len(cells),
        )
    assert plan.value is not None and plan.bounds is not None
    rows = counts.bounded_rows(
        records,
        person=person,
        grid=grid,
        value=plan.value,
        bounds=plan.bounds,
        max_cells=plan.max_categories_per_person,
        max_rows=plan.max_rows_per_person,
        rng=rng,
        source=source,
    )
    return release_from_oa(
        counts.oa_cell_counts(rows, oa_codes, n_cells),
        oa_sums=counts.oa_cell_counts(rows, oa_codes, n_cells, weights=rows["value"].to_numpy()),
        index=index,
        lookup=lookup,
        plan=plan,
        grid=grid,
        rng=rng,
        contributions=int(rows.attrs["rows_before"]),
        kept=len(rows),
    )


def _names(index: AreaIndex) -> dict[str, dict[str, str]]:
    return {
        level: dict(zip(frame["code"], frame["name"], strict=True))
        for level, frame in index.areas.items()
    }


def release_from_oa(
    oa_counts: np.ndarray,
    *,
    oa_sums: np.ndarray | None = None,
    index: AreaIndex,
    lookup: pd.DataFrame,
    plan: TablePlan,
    grid: counts.CategoryGrid,
    rng: np.random.Generator,
    contributions: int,
    kept: int,
) -> TableRelease:
    """Measure and reconcile bounded OA × cell tallies, however they were computed: persons
    (``oa_counts``) for a count table; for a sum or mean table, rows (``oa_counts``) and the
    sums of their clipped values (``oa_sums``)."""
    tallies = {"count": oa_counts, "sum": oa_sums}
    released: dict[str, MeasureRelease] = {}
    for measure in plan.measures:
        values = tallies[measure.kind]
        assert values is not None, "a sum measure is released from the sums"
        released[measure.kind] = _measure(values, measure, index, lookup, rng)
    return TableRelease(plan, grid, released, contributions, contributions - kept, _names(index))


def level_frame(release: TableRelease, level: str) -> pd.DataFrame:
    """The tidy published table of one level: area, level, categories, statistic, moe95,
    noise_sd (of this level's raw measurement)."""
    statistic = release.plan.statistic
    main = release.measures["sum" if statistic != "count" else "count"]
    estimate = main.levels[level]
    grid_cells = [*release.grid.cells, tuple(counts.TOTAL for _ in release.grid.columns)]
    values = np.column_stack([estimate.values, estimate.total]).astype(float)
    moe = np.column_stack([estimate.moe95, estimate.total_moe95])
    if statistic == "mean":
        values, moe = _mean(
            values, moe, release.measures["count"].levels[level], release.plan.bounds or (0, 0)
        )
    codes = estimate.codes
    names = [release.area_names[level].get(code, code) for code in codes]
    frame = pd.DataFrame(
        {
            "area_code": np.repeat(codes, len(grid_cells)),
            "area_name": np.repeat(names, len(grid_cells)),
            "level": level,
        }
    )
    for position, column in enumerate(release.grid.columns):
        frame[column] = [cell[position] for cell in grid_cells] * len(codes)
    if statistic == "mean":
        frame["mean"] = pd.array(np.round(values.reshape(-1), 2), dtype="Float64")
    else:
        frame[statistic] = values.reshape(-1).astype("int64")
    frame["moe95"] = np.round(moe.reshape(-1), 2)
    frame["noise_sd"] = round(main.noise_sd[level], 4)
    if not release.grid.columns:  # area-only table: the single cell is the total
        frame = frame.iloc[0::2].reset_index(drop=True)
    return frame


def _mean(
    sums: np.ndarray, sum_moe: np.ndarray, count: ReconciledLevel, bounds: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Mean = sum / count, clipped to the bounds; moe by the delta method; undefined at 0."""
    n = np.column_stack([count.values, count.total]).astype(float)
    n_moe = np.column_stack([count.moe95, count.total_moe95])
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.clip(sums / n, bounds[0], bounds[1])
        moe = np.sqrt(sum_moe**2 + (mean * n_moe) ** 2) / n
    mean[n <= 0] = np.nan
    moe[n <= 0] = np.nan
    return mean, np.minimum(moe, bounds[1] - bounds[0])
