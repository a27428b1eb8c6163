"""The measurement plan of one DP table: its levels, their share of ρ and OpenDP's noise scale.

A :class:`TablePlan` is built by the ``dp-tables`` method from the config and consumed by
:mod:`.dp_tables`; the ``sigma`` of each level is the one OpenDP calibrated, so the manifest's
``noise_sd``, the plan's ``moe95`` preview and the noise drawn all come from one number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from boroughkit.privacy.budget import Rho
from boroughkit.terms import Level, Statistic

MeasureKind = Literal["count", "sum"]


@dataclass(frozen=True)
class LevelPlan:
    """One level of one measure: its share of the budget, the noise, the expected moe95."""

    level: Level
    rho: Rho
    sigma: float
    expected_moe95: float = math.nan


@dataclass(frozen=True)
class MeasurePlan:
    """A noisy measurement of a table: counts, or sums of a clipped value."""

    kind: MeasureKind
    sensitivity_squared: int  # squared L2 sensitivity of one person at any level
    levels: tuple[LevelPlan, ...]

    def with_moe95(self, moe95: dict[str, float]) -> MeasurePlan:
        """The same measure with previewed margins of error (levels missing keep theirs)."""
        return replace(
            self,
            levels=tuple(
                replace(level, expected_moe95=moe95.get(level.level, level.expected_moe95))
                for level in self.levels
            ),
        )


@dataclass(frozen=True)
class TablePlan:
    """One published table: its statistic, contribution bounds, budget and measurements."""

    name: str
    count_by: tuple[str, ...]
    statistic: Statistic
    max_categories_per_person: int
    max_rows_per_person: int
    value: str | None
    bounds: tuple[int, int] | None
    rho: Rho
    measures: tuple[MeasurePlan, ...]
    unit: str = "residents"  # who or what is counted (the explorer's column heading)
    target_moe95: Mapping[str, float] = field(default_factory=dict)  # accuracy-first targets

    @property
    def levels(self) -> tuple[LevelPlan, ...]:
        """The levels of the first measure (every measure has the same levels)."""
        return self.measures[0].levels

    def measure(self, kind: MeasureKind) -> MeasurePlan:
        """The measure of the given kind."""
        return next(m for m in self.measures if m.kind == kind)
