"""The ``sdc-tables`` release: the ONS cell-key method, then threshold suppression and rounding.

Each person has one record key (0–255) kept in a key store, so the same people get the same
perturbation in every table and level. Counts are of distinct persons per cell (no truncation:
this method protects by perturbation and suppression, not by a sensitivity bound).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from boroughkit.anonymise.cellkey import perturb_counts
from boroughkit.anonymise.counts import TOTAL, CategoryGrid, as_category_text
from boroughkit.anonymise.keystore import KeyStore
from boroughkit.anonymise.ptable import PTable
from boroughkit.anonymise.released import AreaIndex, ReleasedTable


def release_sdc_table(
    records: pd.DataFrame,
    *,
    name: str,
    grid: CategoryGrid,
    levels: list[str],
    index: AreaIndex,
    person: str,
    keys: KeyStore,
    ptable: PTable,
    threshold: int,
    rounding_base: int,
    unit: str = "residents",
) -> ReleasedTable:
    """Perturb, suppress and round one table at each level (``unit``: who it counts)."""
    columns = list(grid.columns)
    frame = records[[person, "oa_code", *columns]].copy()
    for column in columns:
        frame[column] = as_category_text(frame[column])
    frame = frame.dropna()
    frame["record_key"] = keys.keys_for(frame[person]).to_numpy()
    frames: dict[str, pd.DataFrame] = {}
    for level in levels:
        frame["area_code"] = index.area_of_oa(frame["oa_code"], level).to_numpy()
        areas = index.areas[level]
        cells = frame.drop_duplicates([person, "area_code", *columns])
        groups = pd.MultiIndex.from_product(
            [areas["code"], *grid.values], names=["area_code", *columns]
        ).to_frame(index=False)
        by_cell = perturb_counts(
            cells,
            group_by=["area_code", *columns],
            record_key="record_key",
            ptable=ptable,
            all_groups=groups,
            threshold=threshold,
            rounding_base=rounding_base,
        ).table
        people = frame.drop_duplicates([person, "area_code"])
        totals = perturb_counts(
            people,
            group_by=["area_code"],
            record_key="record_key",
            ptable=ptable,
            all_groups=areas[["code"]].rename(columns={"code": "area_code"}),
            threshold=threshold,
            rounding_base=rounding_base,
        ).table
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
