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
from boroughkit.terms import TOTAL


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
    keep: Sequence[str] = (),
) -> pd.DataFrame:
    """Distinct (person, oa_code, cell) rows with at most ``max_cells`` cells kept per person.

    Which cells a person keeps is chosen at random, so the choice depends on nobody else.
    """
    cells = frame[[person, "oa_code", *keep]].copy()
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
    cells = cells[cells["cell"] >= 0]
    cells = cells.drop_duplicates() if not keep else cells
    # Keep a random subset of each person's distinct cells (rows of a kept cell all stay).
    distinct = cells[[person, "cell"]].drop_duplicates()
    distinct = distinct.assign(order=rng.random(len(distinct))).sort_values([person, "order"])
    kept = distinct[distinct.groupby(person, sort=False).cumcount() < max_cells]
    return cells.merge(kept[[person, "cell"]], on=[person, "cell"])


def oa_cell_counts(
    cells: pd.DataFrame, oa_codes: Sequence[str], n_cells: int, *, weights: np.ndarray | None = None
) -> np.ndarray:
    """Counts (or sums of ``weights``) of bounded contributions by OA × cell, as int64."""
    oa_index = pd.Categorical(cells["oa_code"], categories=list(oa_codes)).codes
    flat = oa_index.astype(np.int64) * n_cells + cells["cell"].to_numpy()
    totals = np.bincount(flat, weights=weights, minlength=len(oa_codes) * n_cells)
    return np.rint(totals).astype(np.int64).reshape(len(oa_codes), n_cells)


def bounded_rows(
    frame: pd.DataFrame,
    *,
    person: str,
    grid: CategoryGrid,
    value: str,
    bounds: tuple[int, int],
    max_cells: int,
    max_rows: int,
    rng: np.random.Generator,
    source: str = "records",
) -> pd.DataFrame:
    """Rows for sums and means: at most ``max_rows`` rows and ``max_cells`` cells per person,
    each value clipped to ``bounds`` and rounded to a whole unit.

    The result has ``oa_code``, ``cell`` and ``value`` columns; ``attrs['rows_before']`` is the
    number of usable rows before truncation.
    """
    if value not in frame.columns:
        raise DataError(
            f"{source}: column '{value}' (the value to sum) was not loaded",
            fix="check the table's value: setting",
        )
    numbers = pd.to_numeric(frame[value], errors="coerce")
    if numbers.isna().all():
        raise DataError(
            f"{source}: column '{value}' has no numeric values",
            fix="give a numeric column as the table's value",
        )
    keyed = frame.assign(_value=numbers).dropna(subset=["_value"])
    cells = bounded_cells(
        keyed.assign(_row=np.arange(len(keyed))),
        person=person,
        grid=grid,
        max_cells=max_cells,
        rng=rng,
        source=source,
        keep=["_row", "_value"],
    )
    before = len(cells)
    cells["order"] = rng.random(len(cells))
    cells = cells.sort_values([person, "order"])
    cells = cells[cells.groupby(person, sort=False).cumcount() < max_rows]
    clipped = np.rint(np.clip(cells["_value"].to_numpy(dtype=float), *bounds))
    result = pd.DataFrame(
        {"oa_code": cells["oa_code"].to_numpy(), "cell": cells["cell"].to_numpy(), "value": clipped}
    )
    result.attrs["rows_before"] = before
    return result


def roll_up(oa_counts: np.ndarray, oa_to_area: np.ndarray, n_areas: int) -> np.ndarray:
    """Sum OA rows into the areas of a level (``oa_to_area[i]`` is OA i's area index)."""
    result = np.zeros((n_areas, oa_counts.shape[1]), dtype=np.int64)
    np.add.at(result, oa_to_area, oa_counts)
    return result
