"""The ``sdc-tables`` release: the ONS cell-key method, then threshold suppression and rounding.

Each person has one record key (0–255, see :class:`KeyStore`), so the same people get the same
perturbation in every table and level. Counts are of distinct persons per cell (no truncation:
this method protects by perturbation and suppression, not by a sensitivity bound). Everything
starts from :class:`KeyedCounts`, the exact OA × cell tallies an aggregation engine computes
where the records are (or :func:`keyed_counts` from records in memory): a person lives in one
OA, so every level's counts and key sums are sums of OAs'.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from boroughkit.anonymise.cellkey import perturb_cells
from boroughkit.anonymise.counts import (
    TOTAL,
    CategoryGrid,
    bounded_cells,
    oa_cell_counts,
    roll_up,
)
from boroughkit.anonymise.keystore import KeyStore
from boroughkit.anonymise.ptable import PTable
from boroughkit.anonymise.released import AreaIndex, ReleasedTable


@dataclass(frozen=True)
class KeyedCounts:
    """Exact, never published: distinct persons and the sums of their record keys by OA ×
    cell (``counts``, ``key_sums``) and by OA (``persons``, ``person_key_sums``)."""

    counts: np.ndarray
    key_sums: np.ndarray
    persons: np.ndarray
    person_key_sums: np.ndarray

    def at_level(self, index: AreaIndex, level: str) -> KeyedCounts:
        """The same tallies summed into the areas of ``level``."""
        position, n_areas = index.oa_position[level], len(index.areas[level])
        return KeyedCounts(
            roll_up(self.counts, position, n_areas),
            roll_up(self.key_sums, position, n_areas),
            roll_up(self.persons[:, None], position, n_areas)[:, 0],
            roll_up(self.person_key_sums[:, None], position, n_areas)[:, 0],
        )


def keyed_counts(
    records: pd.DataFrame, *, person: str, grid: CategoryGrid, oa_codes: list[str], keys: KeyStore
) -> KeyedCounts:
    """The :class:`KeyedCounts` of geocoded records in memory (rows with an empty category are
    left out; an undeclared value is a DataError)."""
    cells = bounded_cells(
        records, person=person, grid=grid, max_cells=len(grid.cells), rng=np.random.default_rng()
    )
    people = cells.drop_duplicates(person)
    person_keys = keys.keys_for(people[person]).to_numpy()
    cell_keys = person_keys[pd.Index(people[person]).get_indexer(cells[person])]
    oa_index = pd.Categorical(people["oa_code"], categories=oa_codes).codes
    n_oas = len(oa_codes)
    return KeyedCounts(
        oa_cell_counts(cells, oa_codes, len(grid.cells)),
        oa_cell_counts(cells, oa_codes, len(grid.cells), weights=cell_keys.astype(float)),
        np.bincount(oa_index, minlength=n_oas).astype(np.int64),
        np.bincount(oa_index, weights=person_keys.astype(float), minlength=n_oas).astype(np.int64),
    )


def release_sdc_table(
    keyed: KeyedCounts,
    *,
    name: str,
    grid: CategoryGrid,
    levels: list[str],
    index: AreaIndex,
    ptable: PTable,
    threshold: int,
    rounding_base: int,
    unit: str = "residents",
) -> ReleasedTable:
    """Perturb, suppress and round one table at each level (``unit``: who it counts)."""
    columns = list(grid.columns)
    frames: dict[str, pd.DataFrame] = {}
    for level in levels:
        tallies = keyed.at_level(index, level)
        areas = index.areas[level]
        by_cell = pd.MultiIndex.from_product(
            [areas["code"], *grid.values], names=["area_code", *columns]
        ).to_frame(index=False)
        by_cell["count"], by_cell["status"] = perturb_cells(
            tallies.counts, tallies.key_sums, ptable, threshold, rounding_base
        )
        totals = pd.DataFrame({"area_code": areas["code"].to_numpy()})
        totals["count"], totals["status"] = perturb_cells(
            tallies.persons, tallies.person_key_sums, ptable, threshold, rounding_base
        )
        for column in columns:
            totals[column] = TOTAL
        table = pd.concat([by_cell, totals[by_cell.columns]], ignore_index=True)
        table = table.merge(
            areas.rename(columns={"code": "area_code", "name": "area_name"})[
                ["area_code", "area_name"]
            ],
            on="area_code",
        )
        table["level"] = level
        table = table.sort_values("area_code", kind="stable")
        frames[level] = table[
            ["area_code", "area_name", "level", *columns, "count", "status"]
        ].reset_index(drop=True)
    details = {
        "unit": unit,
        "count_by": columns,
        "levels": levels,
        "total_row": "distinct persons in the area, perturbed separately (not the sum of cells)",
    }
    return ReleasedTable(name, tuple(columns), "count", frames, details)


def default_key_store(catalogue: Path, dataset: str) -> Path:
    """Record keys live beside the catalogue (never published), one file per dataset."""
    return catalogue.parent / f"{catalogue.name}.record-keys" / f"{dataset}.parquet"
