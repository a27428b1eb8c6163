"""Exact counts of persons by Output Area × category cell, with each person's contribution bounded.

The privacy argument for counts rests here: after :func:`bounded_cells` every person appears in
at most ``k`` distinct cells (one OA, at most ``k`` category combinations), once each. A person
therefore changes at most ``k`` cells by 1 at any level built by summing OAs (a person lives in
one OA, so in one area of each level): the squared L2 sensitivity is ``k``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from boroughkit.errors import ConfigError, DataError

TOTAL = "Total"


@dataclass(frozen=True)
class CategoryGrid:
    """The public list of category cells: every combination of the declared values."""

    columns: tuple[str, ...]
    values: tuple[tuple[str, ...], ...]

    @property
    def cells(self) -> list[tuple[str, ...]]:
        """All combinations, in a stable order (one cell when there are no columns)."""
        return list(itertools.product(*self.values))


def category_grid(count_by: Sequence[str], declared: dict[str, list[str] | None]) -> CategoryGrid:
    """Build the grid from values declared in the config (never from the private data)."""
    values = []
    for column in count_by:
        allowed = declared.get(column)
        if not allowed:
            raise ConfigError(
                f"column '{column}' has no declared values",
                fix=f"list its public values under source.columns.{column}.values; categories are"
                " group keys and must not be taken from the residents' data",
            )
        if TOTAL in allowed:
            raise ConfigError(
                f"column '{column}' declares the reserved value '{TOTAL}'",
                fix="rename that category",
            )
        values.append(tuple(str(value) for value in allowed))
    return CategoryGrid(tuple(count_by), tuple(values))


def as_category_text(series: pd.Series) -> pd.Series:
    """Categories compared as text: booleans become 'true'/'false'."""
    if pd.api.types.is_bool_dtype(series):
        return series.map({True: "true", False: "false"})
    return series.astype("string")


def bounded_cells(
    frame: pd.DataFrame,
    *,
    person: str,
    grid: CategoryGrid,
    max_cells: int,
    rng: np.random.Generator,
    source: str = "records",
) -> pd.DataFrame:
    """Distinct (person, oa_code, cell) rows with at most ``max_cells`` cells kept per person.

    Which cells a person keeps is chosen at random, so the choice depends on nobody else.
    """
    cells = frame[[person, "oa_code"]].copy()
    codes = np.zeros(len(frame), dtype=np.int64)
    for column, values in zip(grid.columns, grid.values, strict=True):
        text = as_category_text(frame[column])
        index = pd.Categorical(text, categories=list(values)).codes
        bad = (index < 0) & text.notna().to_numpy()
        if bad.any():
            unknown = sorted(set(text[bad].astype(str)))[:5]
            raise DataError(
                f"{source}: column '{column}' has values not declared in the config: {unknown}",
                fix=f"add them to source.columns.{column}.values or recode the data",
            )
        codes = codes * len(values) + index
        codes[index < 0] = -1
    cells["cell"] = codes
    cells = cells[cells["cell"] >= 0].drop_duplicates()
    cells["order"] = rng.random(len(cells))
    cells = cells.sort_values([person, "order"])
    rank = cells.groupby(person, sort=False).cumcount()
    return cells[rank < max_cells].drop(columns="order")


def oa_cell_counts(cells: pd.DataFrame, oa_codes: Sequence[str], n_cells: int) -> np.ndarray:
    """Counts of bounded contributions by OA (rows, in ``oa_codes`` order) × cell (columns)."""
    oa_index = pd.Categorical(cells["oa_code"], categories=list(oa_codes)).codes
    flat = oa_index.astype(np.int64) * n_cells + cells["cell"].to_numpy()
    counts = np.bincount(flat, minlength=len(oa_codes) * n_cells)
    return counts.reshape(len(oa_codes), n_cells)


def roll_up(oa_counts: np.ndarray, oa_to_area: np.ndarray, n_areas: int) -> np.ndarray:
    """Sum OA rows into the areas of a level (``oa_to_area[i]`` is OA i's area index)."""
    result = np.zeros((n_areas, oa_counts.shape[1]), dtype=np.int64)
    np.add.at(result, oa_to_area, oa_counts)
    return result
