"""Config of the ``sdc-tables`` release method: the ONS cell-key method, suppression, rounding."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from boroughkit.config.common import (
    DEFAULT_LEVELS,
    Level,
    Name,
    ReleaseSection,
    Strict,
    levels_in_order,
    refuse,
)


class PTableParameters(Strict):
    """Parameters of a generated ptable: maximum perturbation D, variance V, and js (no
    perturbed count falls in 1..js)."""

    D: int = Field(default=5, ge=1, le=20)
    V: float = Field(default=2.0, gt=0)
    js: int = Field(default=4, ge=0)

    @model_validator(mode="after")
    def _attainable(self) -> PTableParameters:
        # The same ranges the ptable generator enforces, checked before any data is read.
        if self.V >= self.D * self.D:
            raise refuse(
                f"V = {self.V:g} must be below D² = {self.D * self.D}",
                "use V: 2.0 with D: 5 (the ONS values)",
            )
        if self.js >= self.D:
            raise refuse(
                f"js = {self.js} must be below D = {self.D}", "use js: 4 with D: 5 (the ONS values)"
            )
        return self


class SDCTableConfig(Strict):
    """One table of counts protected by cell-key perturbation, suppression and rounding."""

    name: Name
    count_by: list[str] = Field(default_factory=list)
    levels: list[Level] = Field(default_factory=lambda: list(DEFAULT_LEVELS), min_length=1)

    _levels_in_order = field_validator("levels")(levels_in_order)

    @field_validator("count_by")
    @classmethod
    def _distinct_columns(cls, count_by: list[str]) -> list[str]:
        repeated = sorted({column for column in count_by if count_by.count(column) > 1})
        if repeated:
            raise refuse(f"lists {', '.join(repeated)} more than once", "list each column once")
        return count_by


class SDCTablesRelease(ReleaseSection):
    """The ONS cell-key method: perturbation from a ptable, threshold suppression, rounding."""

    method: Literal["sdc-tables"]
    ptable: Path | None = None
    ptable_parameters: PTableParameters = Field(default_factory=PTableParameters)
    key_store: Path | None = None
    threshold: int = Field(default=10, ge=0, le=1_000)
    rounding_base: int = Field(default=5, ge=1, le=1_000)
    tables: list[SDCTableConfig] = Field(min_length=1)

    @field_validator("tables")
    @classmethod
    def _unique_names(cls, tables: list[SDCTableConfig]) -> list[SDCTableConfig]:
        names = [table.name for table in tables]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise refuse(
                f"two tables share the name {', '.join(repeated)}", "give each table its own name"
            )
        return tables
