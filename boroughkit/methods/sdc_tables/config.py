"""Config of the ``sdc-tables`` release method: the ONS cell-key method, suppression, rounding."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from boroughkit.config.common import (
    DEFAULT_LEVELS,
    Level,
    Name,
    ReleaseSection,
    Strict,
    levels_in_order,
)


class PTableParameters(Strict):
    """Parameters of a generated ptable: maximum perturbation D, variance V, and js (no
    perturbed count falls in 1..js)."""

    D: int = Field(default=5, ge=1, le=20)
    V: float = Field(default=2.0, gt=0)
    js: int = Field(default=4, ge=0)


class SDCTableConfig(Strict):
    """One table of counts protected by cell-key perturbation, suppression and rounding."""

    name: Name
    count_by: list[str] = Field(default_factory=list)
    levels: list[Level] = Field(default_factory=lambda: list(DEFAULT_LEVELS), min_length=1)

    _levels_in_order = field_validator("levels")(levels_in_order)


class SDCTablesRelease(ReleaseSection):
    """The ONS cell-key method: perturbation from a ptable, threshold suppression, rounding."""

    method: Literal["sdc-tables"]
    ptable: Path | None = None
    ptable_parameters: PTableParameters = Field(default_factory=PTableParameters)
    key_store: Path | None = None
    threshold: int = Field(default=10, ge=0)
    rounding_base: int = Field(default=5, ge=1)
    tables: list[SDCTableConfig] = Field(min_length=1)
