"""What every release method hands to the publisher: tidy tables per level, and what was done."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from boroughkit.geography.bundle import GeographyBundle


@dataclass(frozen=True)
class ReleasedTable:
    """One published table: a tidy frame per level and its manifest description.

    Frames have ``area_code, area_name, level``, the category columns, then the statistic
    (``count``, ``sum`` or ``mean``) and its error columns.
    """

    name: str
    category_columns: tuple[str, ...]
    statistic: str
    frames: dict[str, pd.DataFrame]
    details: dict[str, Any] = field(default_factory=dict)
    # Gate results produced while the table was protected (sdc-tables suppression, audit).
    checks: tuple[Any, ...] = ()


@dataclass(frozen=True)
class AreaIndex:
    """Every area of every level (public keys) and where each OA sits in each level."""

    areas: dict[str, pd.DataFrame]  # level -> code, name (sorted by code)
    oa_position: dict[str, np.ndarray]  # level -> index of each OA's area in areas[level]

    @classmethod
    def from_bundle(cls, bundle: GeographyBundle) -> AreaIndex:
        """Build from a geography bundle."""
        areas: dict[str, pd.DataFrame] = {
            # Only the levels the bundle has: a bundle may lack the region.
            level: bundle.areas(level).reset_index(drop=True)
            for level in bundle.levels
        }
        oa_codes = areas["oa"]["code"]
        position: dict[str, np.ndarray] = {
            level: pd.Index(areas[level]["code"]).get_indexer(
                bundle.oa_to_level(level).reindex(oa_codes).to_numpy()
            )
            for level in areas
        }
        return cls(areas, position)

    def area_of_oa(self, oa_codes: pd.Series, level: str) -> pd.Series:
        """Area code at ``level`` for each OA code."""
        codes = self.areas[level]["code"].to_numpy()
        oa_index = pd.Index(self.areas["oa"]["code"]).get_indexer(oa_codes)
        return pd.Series(codes[self.oa_position[level][oa_index]], index=oa_codes.index)
