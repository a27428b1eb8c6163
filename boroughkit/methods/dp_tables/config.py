"""Config of the ``dp-tables`` release method: differentially private tables by area."""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from pydantic import Field, field_validator, model_validator

from boroughkit.config.common import (
    DEFAULT_LEVELS,
    BudgetConfig,
    ExactNumber,
    Level,
    Name,
    ReleaseSection,
    Strict,
    levels_in_order,
)
from boroughkit.terms import Statistic


class DPTableConfig(Strict):
    """One table of counts by area × category columns."""

    name: Name
    count_by: list[str] = Field(default_factory=list)
    levels: list[Level] = Field(default_factory=lambda: list(DEFAULT_LEVELS), min_length=1)
    weight: ExactNumber = Fraction(1)
    level_split: dict[Level, ExactNumber] | None = None
    max_categories_per_person: int = Field(default=1, ge=1, le=50)
    statistic: Statistic = "count"
    value: str | None = None
    bounds: tuple[int, int] | None = None
    max_rows_per_person: int = Field(default=1, ge=1, le=100)

    _levels_in_order = field_validator("levels")(levels_in_order)

    @model_validator(mode="after")
    def _value_for_sums(self) -> DPTableConfig:
        if self.statistic == "count":
            if self.value is not None or self.bounds is not None:
                raise ValueError("value and bounds are for statistic: sum or mean")
            return self
        if self.value is None or self.bounds is None:
            raise ValueError(
                f"statistic {self.statistic} needs value (a numeric column) and "
                "bounds: [lower, upper] (whole numbers, public)"
            )
        lower, upper = self.bounds
        if not 0 <= lower < upper:
            raise ValueError("bounds must satisfy 0 <= lower < upper")
        return self

    @model_validator(mode="after")
    def _split_covers_levels(self) -> DPTableConfig:
        if self.level_split is not None:
            missing = [level for level in self.levels if not self.level_split.get(level)]
            if missing:
                raise ValueError(f"level_split needs a positive share for {', '.join(missing)}")
        return self


class DPTablesRelease(ReleaseSection):
    """Differentially private tables through OpenDP (zCDP, discrete Gaussian)."""

    method: Literal["dp-tables"]
    budget: BudgetConfig
    tables: list[DPTableConfig] = Field(min_length=1)

    @field_validator("tables")
    @classmethod
    def _unique_names(cls, tables: list[DPTableConfig]) -> list[DPTableConfig]:
        names = [table.name for table in tables]
        if len(set(names)) != len(names):
            raise ValueError("two tables share a name")
        return tables
