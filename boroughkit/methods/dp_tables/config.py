"""Config of the ``dp-tables`` release method: differentially private tables by area."""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction
from typing import Literal

from pydantic import Field, PositiveFloat, field_validator, model_validator

from boroughkit.config.common import (
    BudgetConfig,
    Level,
    ReleaseSection,
    TableSection,
    Weight,
    refuse,
)
from boroughkit.terms import Statistic

#: The largest value bound of a sum or mean: a person's value is clipped to it, and sums of a
#: borough's values must stay far inside 64-bit integers.
LARGEST_VALUE_BOUND = 1_000_000_000
#: The largest noise standard deviation any measurement may get: a table whose share of ρ is
#: so small that its noise exceeds this would publish noise alone.
LARGEST_NOISE_SD = 1e12
#: The smallest share of a table's ρ any of its levels gets under the default split (finest 6,
#: LSOA/MSOA/ward 3, borough 1: the borough's 1/16 of five levels); the exact split is the
#: plan's (``anonymise.consistency.default_level_split``).
_SMALLEST_DEFAULT_SHARE = Fraction(1, 16)


class DPTableConfig(TableSection):
    """One table of counts by area × category columns."""

    weight: Weight = Field(
        default=Fraction(1),
        description="The table's share of the release's ρ, as a weight over all tables' weights.",
    )
    level_split: dict[Level, Weight] | None = Field(
        default=None,
        description="Each level's share of the table's ρ, as weights (default: finer levels get "
        "more).",
    )
    target_moe95: dict[Level, PositiveFloat] | None = Field(
        default=None,
        description="Accuracy first: the 95% margin of error each listed level needs, e.g. "
        "{oa: 6, ward: 10}, met by every area's cells away from zero. `plan` then finds the "
        "level split and the smallest ρ that meet it, taken from budget.rho before the other "
        "tables share the rest. Instead of level_split and weight; count and sum tables only.",
    )
    max_categories_per_person: int = Field(
        description="Contribution bound: the most cells one person may count in per level.",
        default=1,
        ge=1,
        le=50,
    )
    statistic: Statistic = Field(
        default="count", description="What each cell holds: count, or the sum or mean of value."
    )
    value: str | None = Field(
        default=None, description="For sum and mean: the numeric column summed."
    )
    bounds: tuple[int, int] | None = Field(
        default=None,
        description="For sum and mean: the public [lower, upper] each person's value is clipped "
        "to.",
    )
    max_rows_per_person: int = Field(
        description="Contribution bound: the most records one person may have.",
        default=1,
        ge=1,
        le=100,
    )

    @model_validator(mode="after")
    def _value_for_sums(self) -> DPTableConfig:
        if self.statistic == "count":
            if self.value is not None or self.bounds is not None:
                raise refuse(
                    "value and bounds are for statistic: sum or mean",
                    "remove value and bounds, or set statistic: sum or mean",
                )
            return self
        if self.value is None or self.bounds is None:
            raise refuse(
                f"statistic {self.statistic} needs value (a numeric column) and "
                "bounds: [lower, upper] (whole numbers, public)",
                "add value: COLUMN and bounds: [0, UPPER]",
            )
        lower, upper = self.bounds
        if not 0 <= lower < upper:
            raise refuse(
                f"bounds [{lower}, {upper}] must satisfy 0 <= lower < upper",
                "give bounds: [lower, upper] with 0 <= lower < upper",
            )
        if upper > LARGEST_VALUE_BOUND:
            raise refuse(
                f"bounds: the upper bound {upper:,} is above {LARGEST_VALUE_BOUND:,}, "
                "the largest allowed",
                "give a public upper bound a person's value will rarely exceed "
                "(values above it are clipped)",
            )
        return self

    @model_validator(mode="after")
    def _split_covers_levels(self) -> DPTableConfig:
        if self.level_split is not None:
            missing = [level for level in self.levels if level not in self.level_split]
            if missing:
                raise refuse(
                    f"level_split needs a positive share for {', '.join(missing)}",
                    "give a share for every level in levels, e.g. {oa: 6, ward: 3, borough: 1}",
                )
            self._only_levels("level_split", "a share", self.level_split)
        return self

    def _only_levels(self, setting: str, what: str, given: Iterable[str]) -> None:
        """Refuse a per-level ``setting`` that names a level the table does not publish."""
        extra = [level for level in given if level not in self.levels]
        if extra:
            raise refuse(
                f"{setting} gives {what} for {', '.join(extra)}, which is not in levels "
                f"({', '.join(self.levels)})",
                f"remove that {what.split()[-1]}, or add the level to levels",
            )

    @model_validator(mode="after")
    def _targets_instead_of_split(self) -> DPTableConfig:
        if self.target_moe95 is None:
            return self
        chosen = [key for key in ("level_split", "weight") if key in self.model_fields_set]
        if chosen:
            raise refuse(
                f"target_moe95 chooses the table's level split and ρ itself, so it cannot be "
                f"given with {' or '.join(chosen)}",
                "remove " + " and ".join(chosen) + ", or remove target_moe95",
            )
        if self.statistic == "mean":
            raise refuse(
                "target_moe95 is for count and sum tables (a mean's margin depends on its "
                "denominator)",
                "give a level_split for a mean, or publish the count and the sum",
            )
        self._only_levels("target_moe95", "a target", self.target_moe95)
        return self

    def largest_noise_sd(self, rho: Fraction) -> float:
        """At least the largest noise sd of this table's levels when it gets ``rho`` (an upper
        bound where the default level split applies)."""
        if self.level_split is not None:
            share = min(self.level_split.values()) / sum(self.level_split.values())
        else:
            share = _SMALLEST_DEFAULT_SHARE
        k, m = self.max_categories_per_person, self.max_rows_per_person
        if self.statistic == "count":
            sensitivity_squared = k
        else:
            assert self.bounds is not None
            sensitivity_squared = max(m * m, (m * max(map(abs, self.bounds))) ** 2)
            rho = rho / 2  # a mean measures a count and a sum; a sum alone is no worse
        level_rho = rho * share
        return math.sqrt(sensitivity_squared / (2 * float(level_rho)))


class DPTablesRelease(ReleaseSection):
    """Differentially private tables through OpenDP (zCDP, discrete Gaussian)."""

    method: Literal["dp-tables"] = Field(
        description="The release method: differentially private tables."
    )
    budget: BudgetConfig = Field(
        description="The ρ this release spends from its dataset's lifetime budget."
    )
    tables: list[DPTableConfig] = Field(description="The tables to release.", min_length=1)

    @field_validator("tables")
    @classmethod
    def _unique_names(cls, tables: list[DPTableConfig]) -> list[DPTableConfig]:
        names = [table.name for table in tables]
        if len(set(names)) != len(names):
            repeated = sorted({name for name in names if names.count(name) > 1})
            raise refuse(
                f"two tables share the name {', '.join(repeated)}", "give each table its own name"
            )
        return tables

    @model_validator(mode="after")
    def _noise_within_reason(self) -> DPTablesRelease:
        shared = [table for table in self.tables if table.target_moe95 is None]
        total_weight = sum(table.weight for table in shared)
        for table in shared:
            rho = self.budget.rho.value * table.weight / total_weight
            sd = table.largest_noise_sd(rho)
            if sd > LARGEST_NOISE_SD:
                raise refuse(
                    f"table '{table.name}' gets so little of rho (weight, level_split) that "
                    f"its noise would have a standard deviation over {LARGEST_NOISE_SD:,.0f}",
                    "give the table a larger weight or share, or the release a larger rho",
                )
        return self
