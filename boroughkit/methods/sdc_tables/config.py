"""Config of the ``sdc-tables`` release method: the ONS cell-key method, suppression, rounding."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from boroughkit.config.common import (
    ReleaseSection,
    Strict,
    TableSection,
    refuse,
)


class PTableParameters(Strict):
    """Parameters of a generated ptable: maximum perturbation D, variance V, and js (no
    perturbed count falls in 1..js)."""

    D: int = Field(description="The largest perturbation added to a count.", default=5, ge=1, le=20)
    V: float = Field(description="The variance of the perturbation (below D²).", default=2.0, gt=0)
    js: int = Field(description="No perturbed count falls in 1..js.", default=4, ge=0)

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


class SDCTableConfig(TableSection):
    """One table of counts protected by cell-key perturbation, suppression and rounding."""


class SDCTablesRelease(ReleaseSection):
    """The ONS cell-key method: perturbation from a ptable, threshold suppression, rounding."""

    method: Literal["sdc-tables"] = Field(
        description="The release method: the ONS cell-key method with suppression and rounding."
    )
    ptable: Path | None = Field(
        default=None,
        description="A ptable CSV to use instead of generating one from ptable_parameters.",
    )
    ptable_parameters: PTableParameters = Field(
        description="The parameters of the generated ptable (the ONS values by default).",
        default_factory=PTableParameters,
    )
    key_store: Path | None = Field(
        default=None,
        description="Where the records' secret cell keys are kept between releases (private).",
    )
    threshold: int = Field(
        description="Counts below this are suppressed.", default=10, ge=0, le=1_000
    )
    rounding_base: int = Field(
        description="Published counts are rounded to a multiple of this.", default=5, ge=1, le=1_000
    )
    tables: list[SDCTableConfig] = Field(description="The tables to release.", min_length=1)

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
