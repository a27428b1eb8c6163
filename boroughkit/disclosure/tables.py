"""A release's published tables as one long set of cells.

Every table of a release, at every level, becomes rows of one :class:`CellTable`: its key
(table, level, area, category), value, measure, status and the rule that suppressed it. The sums
an intruder knows between those cells are in :mod:`boroughkit.disclosure.relations`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from boroughkit.errors import DataError
from boroughkit.terms import TOTAL

#: Reserved category key of the all-category total of a table.
TOTAL_CATEGORY = TOTAL
PUBLISHED = "published"
SUPPRESSED = "suppressed"
#: What a cell measures; counts and magnitudes (sums) add up across areas and categories.
MEASURES = ("count", "magnitude", "mean", "rate")
ADDITIVE_MEASURES = ("count", "magnitude")
KEY_COLUMNS = ("table", "level", "area_code", "category")


@dataclass(frozen=True)
class CellTable:
    """All cells of a release, one row each, with true values kept for the gate's own use.

    Columns: ``table, level, area_code, category, value, contributors, top1, top2, measure,
    structural_zero, status, rule``. ``value`` is the true value even when ``status`` is
    ``"suppressed"``; :meth:`public_frame` is what may be published.
    """

    frame: pd.DataFrame

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, source: str = "cells") -> CellTable:
        """Validate ``frame`` and fill the optional columns with their defaults."""
        missing = [column for column in (*KEY_COLUMNS, "value") if column not in frame.columns]
        if missing:
            raise DataError(
                f"{source}: missing columns {missing}",
                fix=f"give every cell the columns {[*KEY_COLUMNS, 'value']}",
            )
        cells = frame.reset_index(drop=True).copy()
        for column in KEY_COLUMNS:
            cells[column] = cells[column].astype(str)
        cells["value"] = pd.to_numeric(cells["value"], errors="coerce").astype(float)
        _require_rows(
            cells,
            ~np.isfinite(cells["value"]),
            source,
            "have no numeric value",
            "give suppressed cells their true value too",
        )
        for column in ("top1", "top2"):
            cells[column] = (
                pd.to_numeric(cells[column], errors="coerce").astype(float)
                if column in cells
                else np.nan
            )
        # Unstated measures: magnitudes when the largest contributions are given, else counts.
        default = pd.Series(np.where(cells["top1"].notna(), "magnitude", "count"))
        cells["measure"] = cells["measure"].fillna(default) if "measure" in cells else default
        _require_rows(
            cells,
            ~cells["measure"].isin(MEASURES),
            source,
            "have an unknown measure",
            f"use one of {list(MEASURES)}",
        )
        counts = cells["measure"].eq("count")
        if "contributors" in cells:
            cells["contributors"] = pd.to_numeric(cells["contributors"], errors="coerce")
        else:
            cells["contributors"] = np.nan
        cells["contributors"] = cells["contributors"].astype(float)
        # A count cell counts persons, so its contributors are its value unless stated.
        cells.loc[counts & cells["contributors"].isna(), "contributors"] = cells["value"]
        cells["structural_zero"] = (
            cells["structural_zero"].fillna(False).astype(bool)
            if "structural_zero" in cells
            else False
        )
        cells["status"] = cells["status"].astype(str) if "status" in cells else PUBLISHED
        _require_rows(
            cells,
            ~cells["status"].isin((PUBLISHED, SUPPRESSED)),
            source,
            "have an unknown status",
            f"use '{PUBLISHED}' or '{SUPPRESSED}'",
        )
        cells["rule"] = cells["rule"].fillna("").astype(str) if "rule" in cells else ""
        _require_rows(
            cells,
            cells.duplicated(list(KEY_COLUMNS), keep=False),
            source,
            "repeat the same table/level/area/category",
            "publish each cell once (aggregate duplicates first)",
        )
        return cls(cells)

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def suppressed(self) -> np.ndarray:
        """Boolean mask of the suppressed cells."""
        return np.asarray(self.frame["status"].to_numpy() == SUPPRESSED)

    def suppress(self, mask: np.ndarray | pd.Series, rule: str) -> CellTable:
        """A copy with the cells in ``mask`` suppressed; ``rule`` is recorded on newly hit cells.

        A cell hit by several rules lists them all, comma-separated.
        """
        mask = np.asarray(mask, dtype=bool)
        cells = self.frame.copy()
        rules = cells["rule"].to_numpy(dtype=object).copy()
        hit = np.flatnonzero(mask)
        rules[hit] = [
            known if rule in known.split(",") else f"{known},{rule}" if known else rule
            for known in rules[hit]
        ]
        cells["rule"] = rules
        cells.loc[mask, "status"] = SUPPRESSED
        return CellTable(cells)

    def public_frame(self) -> pd.DataFrame:
        """The cells as they may be published: suppressed values blanked, private columns gone."""
        public = self.frame[[*KEY_COLUMNS, "value", "measure", "status"]].copy()
        public.loc[self.suppressed, "value"] = np.nan
        return public


def _require_rows(
    cells: pd.DataFrame, bad: pd.Series | np.ndarray, source: str, problem: str, fix: str
) -> None:
    bad = np.asarray(bad, dtype=bool)
    if bad.any():
        rows = np.flatnonzero(bad)
        sample = cells.iloc[rows[:5]][list(KEY_COLUMNS)].to_dict("records")
        raise DataError(
            f"{source}: {len(rows)} rows {problem} (rows {rows[:5].tolist()}: {sample})", fix=fix
        )
