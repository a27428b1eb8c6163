"""The ``dp-tables`` release: differentially private counts by area × category at several levels.

Privacy argument. Each person is one privacy unit. :func:`bounded_cells` keeps, per person, at
most ``k`` distinct category cells in the person's single OA, each counted once, so at any level
(areas are unions of OAs) adding or removing one person changes at most ``k`` cells by 1: squared
L2 sensitivity ``k``. Each level is one discrete Gaussian measurement from OpenDP whose scale is
calibrated so that OpenDP's own privacy map certifies ``k * map(1) <= rho_level``. Levels and
tables compose additively under zCDP, so the release costs the sum of the planned ``rho``.
Every area of the bundle is a group key (public), so empty areas are released too and no delta
is spent on selecting keys. Category values come from the config, never from the data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from boroughkit.anonymise import counts
from boroughkit.anonymise.opendp_adapter import add_discrete_gaussian, calibrated_sigma
from boroughkit.pipeline.plan import TablePlan


@dataclass(frozen=True)
class LevelEstimate:
    """Published estimates of one table at one level, with the noise scale of each cell."""

    level: str
    codes: list[str]
    names: list[str]
    values: np.ndarray  # (areas, cells)
    noise_sd: np.ndarray  # (areas, cells)
    total: np.ndarray  # (areas,)
    total_noise_sd: np.ndarray  # (areas,)


@dataclass(frozen=True)
class TableRelease:
    """A released table: its plan, category grid, estimates per level and input facts."""

    plan: TablePlan
    grid: counts.CategoryGrid
    levels: dict[str, LevelEstimate]
    contributions: int
    truncated_contributions: int


def release_dp_table(
    records: pd.DataFrame,
    *,
    areas: dict[str, pd.DataFrame],
    oa_to_area: dict[str, np.ndarray],
    plan: TablePlan,
    grid: counts.CategoryGrid,
    person: str,
    rng: np.random.Generator,
    source: str,
) -> TableRelease:
    """Measure one table at each planned level with OpenDP noise.

    ``areas[level]`` lists every area (code, name) of the level; ``oa_to_area[level][i]`` is the
    index of OA ``i`` (in ``areas['oa']`` order) within that level.
    """
    cells = counts.bounded_cells(
        records,
        person=person,
        grid=grid,
        max_cells=plan.max_categories_per_person,
        rng=rng,
        source=source,
    )
    all_cells = counts.bounded_cells(
        records, person=person, grid=grid, max_cells=10**9, rng=rng, source=source
    )
    n_cells = len(grid.cells)
    oa_counts = counts.oa_cell_counts(cells, areas["oa"]["code"].tolist(), n_cells)
    estimates: dict[str, LevelEstimate] = {}
    for level_plan in plan.levels:
        level = level_plan.level
        table = areas[level]
        truth = counts.roll_up(oa_counts, oa_to_area[level], len(table))
        sigma = calibrated_sigma(level_plan.rho, plan.max_categories_per_person)
        noisy = add_discrete_gaussian(truth, sigma)
        sd = np.full(noisy.shape, sigma)
        estimates[level] = LevelEstimate(
            level,
            table["code"].tolist(),
            table["name"].tolist(),
            noisy,
            sd,
            noisy.sum(axis=1),
            np.full(len(table), sigma * np.sqrt(n_cells)),
        )
    return TableRelease(plan, grid, estimates, len(all_cells), len(all_cells) - len(cells))


def level_frame(release: TableRelease, level: str) -> pd.DataFrame:
    """The tidy published table of one level: area, level, categories, count, noise_sd."""
    estimate = release.levels[level]
    grid_cells = [*release.grid.cells, tuple(counts.TOTAL for _ in release.grid.columns)]
    n_areas, n_cells = len(estimate.codes), len(grid_cells)
    values = np.column_stack([estimate.values, estimate.total])
    noise = np.column_stack([estimate.noise_sd, estimate.total_noise_sd])
    frame = pd.DataFrame(
        {
            "area_code": np.repeat(estimate.codes, n_cells),
            "area_name": np.repeat(estimate.names, n_cells),
            "level": level,
        }
    )
    for position, column in enumerate(release.grid.columns):
        frame[column] = [cell[position] for cell in grid_cells] * n_areas
    frame["count"] = values.reshape(-1).astype("int64")
    frame["noise_sd"] = noise.reshape(-1).round(4)
    if not release.grid.columns:  # area-only table: keep the total row once per area
        frame = frame.iloc[0::2].reset_index(drop=True)
    return frame
