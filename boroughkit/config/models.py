"""Typed models of a boroughkit pipeline config (YAML).

Every model forbids unknown keys so that a misspelt key is an error with a suggestion, never a
silently ignored setting.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from boroughkit.config.common import (
    ALL_FORMATS,
    Name,
    PublishFormat,
    ReleaseSection,
    Strict,
    refuse,
)

#: Larger than the population of any UK local authority: a count limit above it refuses every
#: area, and a bound this large could not be compared with 64-bit counts.
LARGEST_COUNT_LIMIT = 10_000_000


class ColumnSchema(Strict):
    """A declared input column; category values declared here are public group keys."""

    type: Literal["id", "category", "integer", "number", "boolean", "string", "date"] = "string"
    values: list[str] | None = None
    min: float | None = None
    max: float | None = None
    optional: bool = False
    description: str = ""
    # A record whose value here is invalid (empty where a value is needed, or not a finite
    # number in a number column) is an error; "drop" leaves such records out instead, and the
    # number left out goes to the analyst's console and the private input facts.
    on_invalid: Literal["error", "drop"] = "error"

    @field_validator("values")
    @classmethod
    def _distinct_values(cls, values: list[str] | None) -> list[str] | None:
        # The values are a table's group keys: each is one row of every area.
        if values is None:
            return None
        if not values:
            raise refuse(
                "lists no values",
                "list the column's public values, e.g. [yes, no], or remove values:",
            )
        seen: dict[str, int] = {}
        for position, value in enumerate(values):
            if not value.strip():
                raise refuse(f"item {position} is empty", "remove the empty value, or name it")
            if value in seen:
                raise refuse(
                    f"'{value}' is listed twice (items {seen[value]} and {position})",
                    f"keep one '{value}': each value is one row of every area's table",
                )
            seen[value] = position
        return values

    @model_validator(mode="after")
    def _min_not_above_max(self) -> ColumnSchema:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise refuse(
                f"min ({self.min:g}) is above max ({self.max:g})",
                "swap min and max, or correct one of them",
            )
        return self


class SourceConfig(Strict):
    """Where the resident records come from and who the privacy unit is."""

    path: Path
    # The ledger's dataset: releases from the same records share one lifetime budget.
    dataset: Name | None = None
    format: Literal["auto", "csv", "parquet", "excel"] = "auto"
    privacy_unit: str = "person_id"
    household: str | None = None
    opt_outs: Path | None = None
    opt_out_column: str | None = None
    columns: dict[str, ColumnSchema] = Field(default_factory=dict)
    identifiers: list[str] = Field(default_factory=list)


class GeocodeConfig(Strict):
    """How records find their 2021 Output Area: exactly one of the methods."""

    oa: str | None = None
    postcode: str | None = None
    postcode_lookup: Path | None = None
    x: str | None = None
    y: str | None = None
    crs: Literal["EPSG:27700", "EPSG:4326"] = "EPSG:27700"
    max_unmatched_share: float = Field(default=0.05, ge=0, le=1)

    @model_validator(mode="after")
    def _one_method(self) -> GeocodeConfig:
        methods = [
            m for m, on in (("oa", self.oa), ("postcode", self.postcode), ("x/y", self.x)) if on
        ]
        if len(methods) != 1:
            raise ValueError("give exactly one of: oa, postcode, or x and y")
        if (self.x is None) != (self.y is None):
            raise ValueError("coordinates need both x and y")
        return self


class GeographyConfig(Strict):
    """The geography bundle and how to geocode records onto it."""

    boundaries: str = "builtin:demo"
    geocode: GeocodeConfig


class CustomAreasConfig(Strict):
    """Custom areas (estates, catchments) published alongside this release, as polygons or as
    lists of OA codes; the gate checks the slivers they leave against the release's areas."""

    name: Name
    polygons: Path | None = None
    oa_lists: Path | None = None
    code_column: str = "code"
    name_column: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> CustomAreasConfig:
        if (self.polygons is None) == (self.oa_lists is None):
            raise ValueError(
                "give exactly one of polygons (a boundary file) or oa_lists (a CSV "
                "with area_code and oa_code columns)"
            )
        return self


class DisclosureConfig(Strict):
    """Disclosure gate settings (UK practice by default)."""

    min_cell: int = Field(default=10, ge=1, le=100_000)
    # Checked against public figures only: the bundle's populations, else ``area_populations``
    # (a CSV of level,area_code,population relative to this file). 0 switches the check off and
    # needs ``min_area_population_reason``, which the risk report prints.
    min_area_population: int = Field(default=100, ge=0, le=LARGEST_COUNT_LIMIT)
    area_populations: Path | None = None
    min_area_population_reason: str | None = None
    min_area_households: int = Field(default=40, ge=0, le=LARGEST_COUNT_LIMIT)
    zeros_disclosive: bool = True
    dominance_n: int = Field(default=2, ge=1, le=2)
    dominance_k: float = Field(default=90.0, ge=0, le=100)
    p_percent: float = Field(default=10.0, ge=0, le=100)
    min_contributors: int = Field(default=10, ge=0, le=100_000)
    protection_width: float = Field(default=10.0, ge=0, le=100_000)
    # A string planted in the input (e.g. a fake name) that must never reach any output file.
    canary: str | None = Field(default=None, min_length=4)
    custom_areas: list[CustomAreasConfig] = Field(default_factory=list)
    cross_release: bool = True

    @model_validator(mode="after")
    def _population_check_off_with_reason(self) -> DisclosureConfig:
        reason = (self.min_area_population_reason or "").strip()
        if reason and self.min_area_population != 0:
            raise ValueError(
                "min_area_population_reason is for switching the check off: set "
                "min_area_population: 0 with it, or remove the reason"
            )
        if self.min_area_population == 0 and not reason:
            raise ValueError(
                "min_area_population: 0 switches the minimum-population check off: say why in "
                'min_area_population_reason: "..." (the risk report prints it)'
            )
        return self


class PublishConfig(Strict):
    """Where and how the release is written."""

    to: Path = Path("catalogue")
    ledger: Path | None = None
    formats: list[PublishFormat] = Field(default_factory=lambda: list(ALL_FORMATS))
    licence: Literal["OGL-3.0", "CC-BY-4.0", "CC0-1.0"] = "OGL-3.0"
    publisher: str = "Demo Borough Council"
    # For the transparency register: the data protection impact assessment covering the release
    # and the lawful basis for processing residents' records to produce it.
    dpia_reference: str | None = None
    legal_basis: str | None = None
    # The date the figures describe (e.g. a snapshot date), when it is not the release date.
    reference_date: date | None = None
    # Where `boroughkit publish` also sends the release: an fsspec URL or ckan+https://host.
    target: str | None = None

    @field_validator("formats")
    @classmethod
    def _some_formats(cls, formats: list[PublishFormat]) -> list[PublishFormat]:
        if not formats:
            raise refuse(
                "lists no formats, so the release would publish no files",
                f"list at least one of {', '.join(ALL_FORMATS)}, or remove formats: "
                "to publish all three",
            )
        repeated = sorted({name for name in formats if formats.count(name) > 1})
        if repeated:
            raise refuse(f"lists {', '.join(repeated)} more than once", "list each format once")
        return formats


class PipelineConfig(Strict):
    """A whole pipeline: load → geocode → release → gate → publish."""

    name: Name
    description: str = ""
    source: SourceConfig
    geography: GeographyConfig = Field(
        default_factory=lambda: GeographyConfig(geocode=GeocodeConfig(oa="oa_code"))
    )
    # Validated against the release method's own model (see boroughkit.methods): the
    # pipeline's config model narrows this field to the registry's discriminated union.
    release: ReleaseSection
    disclosure: DisclosureConfig = Field(default_factory=DisclosureConfig)
    publish: PublishConfig = Field(default_factory=PublishConfig)
