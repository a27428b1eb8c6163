"""Typed models of a boroughkit pipeline config (YAML).

Every model forbids unknown keys so that a misspelt key is an error with a suggestion, never a
silently ignored setting.
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from boroughkit.config.common import (
    Name,
    ReleaseSection,
    Strict,
    refuse,
)
from boroughkit.config.engine_models import DatabaseSource, DuckDBEngine, EngineConfig
from boroughkit.config.publish_models import (
    DEMO_BOUNDARIES,
    PUBLISHER_EXAMPLE,
    GovernanceConfig,
    PublishConfig,
    PublisherConfig,
)

#: Larger than the population of any UK local authority: a count limit above it refuses every
#: area, and a bound this large could not be compared with 64-bit counts.
LARGEST_COUNT_LIMIT = 10_000_000


class ColumnSchema(Strict):
    """A declared input column; category values declared here are public group keys."""

    type: Literal["id", "category", "integer", "number", "boolean", "string", "date"] = Field(
        default="string",
        description="What the column holds: a category's values are declared; an id is never "
        "published.",
    )
    values: list[str] | None = Field(
        default=None,
        description="A category's public values (each is one row of every area's table).",
    )
    min: float | None = Field(
        default=None, description="The smallest valid value of a number column (public)."
    )
    max: float | None = Field(
        default=None, description="The largest valid value of a number column (public)."
    )
    optional: bool = Field(default=False, description="Whether the records may lack the column.")
    description: str = Field(default="", description="What the column means, in words.")
    # A record whose value here is invalid (empty where a value is needed, or not a finite
    # number in a number column) is an error; "drop" leaves such records out instead, and the
    # number left out goes to the analyst's console and the private input facts.
    on_invalid: Literal["error", "drop"] = Field(
        default="error",
        description="What an invalid value does: error (the default) or drop the record, counted "
        "privately.",
    )

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


def is_url(path: str | None) -> bool:
    """Whether a source path is a URL (``s3a://bucket/…``, ``hdfs://…``) rather than a file."""
    return path is not None and "://" in path


class SourceConfig(Strict):
    """Where the resident records come from and who the privacy unit is."""

    path: str | None = Field(
        default=None,
        description="The records file: CSV (UTF-8), Parquet or Excel, relative to the config "
        "(or set database). With engine: spark, also any URL Spark reads (s3a://, hdfs://).",
    )
    database: DatabaseSource | None = Field(
        default=None,
        description="Records in a PostgreSQL database instead of a file: counts are computed "
        "in the database.",
    )
    # The ledger's dataset: releases from the same records share one lifetime budget.
    dataset: Name | None = Field(
        default=None,
        description="The ledger's dataset: releases from the same records share one lifetime "
        "budget (default: the file's name).",
    )
    format: Literal["auto", "csv", "parquet", "excel"] = Field(
        default="auto", description="The file format; auto reads it from the file's extension."
    )
    privacy_unit: str = Field(
        default="person_id", description="The column that names one person: the unit of privacy."
    )
    household: str | None = Field(
        default=None,
        description="The column that names a household (e.g. uprn), for household counts.",
    )
    opt_outs: Path | None = Field(
        default=None, description="A CSV of residents on the opt-out register, removed first."
    )
    opt_out_column: str | None = Field(
        default=None,
        description="The opt-out file's column of ids (default: the privacy unit's name).",
    )
    columns: dict[str, ColumnSchema] = Field(
        description="The record columns the release reads, by name.", default_factory=dict
    )
    identifiers: list[str] = Field(
        description="Columns that identify people (names, addresses): checked never to reach a "
        "published file.",
        default_factory=list,
    )

    @field_validator("path", mode="before")
    @classmethod
    def _path_as_written(cls, value: object) -> object:
        # A Path from Python callers is kept as text: a URL must keep its "//".
        return str(value) if isinstance(value, PurePath) else value

    @model_validator(mode="after")
    def _file_or_database(self) -> SourceConfig:
        if (self.path is None) == (self.database is None):
            raise refuse(
                "source needs exactly one of path and database",
                "give the records file as source.path, or the database as source.database",
            )
        if self.database is not None and self.database.query is not None and not self.dataset:
            raise refuse(
                "source.dataset is required with source.database.query",
                "name the ledger dataset the query reads (e.g. dataset: residents)",
            )
        return self


class GeocodeConfig(Strict):
    """How records find their 2021 Output Area: exactly one of the methods."""

    oa: str | None = Field(default=None, description="A column of 2021 Output Area codes.")
    postcode: str | None = Field(
        default=None,
        description="A column of postcodes, placed through the bundle's (or postcode_lookup's) "
        "postcode → OA lookup.",
    )
    postcode_lookup: Path | None = Field(
        default=None, description="A CSV of postcode → OA, when the bundle has none."
    )
    x: str | None = Field(default=None, description="A column of eastings or longitudes.")
    y: str | None = Field(default=None, description="A column of northings or latitudes.")
    crs: Literal["EPSG:27700", "EPSG:4326"] = Field(
        default="EPSG:27700", description="The coordinates' reference system."
    )
    max_unmatched_share: float = Field(
        description="The largest share of records that may find no Output Area before the run "
        "stops.",
        default=0.05,
        ge=0,
        le=1,
    )

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

    boundaries: str = Field(
        default="builtin:demo",
        description="builtin:demo, or a folder made by `boroughkit geography import` (relative "
        "to the config).",
    )
    geocode: GeocodeConfig = Field(
        description="How records find their Output Area: one of oa, postcode, or x and y."
    )


class CustomAreasConfig(Strict):
    """Custom areas (estates, catchments) published alongside this release, as polygons or as
    lists of OA codes; the gate checks the slivers they leave against the release's areas."""

    name: Name = Field(description="The custom areas' level name in the published files.")
    polygons: Path | None = Field(default=None, description="A boundary file of the areas.")
    oa_lists: Path | None = Field(
        default=None, description="A CSV with area_code and oa_code columns."
    )
    code_column: str = Field(
        default="code", description="The boundary file's column of area codes."
    )
    name_column: str | None = Field(
        default=None, description="The boundary file's column of area names."
    )

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

    min_cell: int = Field(
        description="The smallest count a table may show unprotected.", default=10, ge=1, le=100_000
    )
    # Checked against public figures only: the bundle's populations, else ``area_populations``
    # (a CSV of level,area_code,population relative to this file). 0 switches the check off and
    # needs ``min_area_population_reason``, which the risk report prints.
    min_area_population: int = Field(
        description="The fewest residents (public figures) a published area may have; 0 switches "
        "the check off.",
        default=100,
        ge=0,
        le=LARGEST_COUNT_LIMIT,
    )
    area_populations: Path | None = Field(
        default=None,
        description="A CSV of level,area_code,population, when the bundle has no populations.",
    )
    min_area_population_reason: str | None = Field(
        default=None,
        description="Why the minimum-population check is off (printed in the risk report).",
    )
    min_area_households: int = Field(
        description="The fewest households a published area may have.",
        default=40,
        ge=0,
        le=LARGEST_COUNT_LIMIT,
    )
    zeros_disclosive: bool = Field(
        default=True, description="Whether a zero in a small area counts as disclosive."
    )
    dominance_n: int = Field(
        description="Dominance rule: the n largest contributors to a sum.", default=2, ge=1, le=2
    )
    dominance_k: float = Field(
        description="Dominance rule: the share (%) the n largest may not exceed.",
        default=90.0,
        ge=0,
        le=100,
    )
    p_percent: float = Field(
        description="p% rule: how closely (%) a contributor's value may be estimated.",
        default=10.0,
        ge=0,
        le=100,
    )
    min_contributors: int = Field(
        description="The fewest people behind a published sum or mean.",
        default=10,
        ge=0,
        le=100_000,
    )
    protection_width: float = Field(
        description="How wide (%) the interval around a suppressed cell must stay.",
        default=10.0,
        ge=0,
        le=100_000,
    )
    # A string planted in the input (e.g. a fake name) that must never reach any output file.
    canary: str | None = Field(
        description="A string planted in the input (e.g. a fake name) that must never reach any "
        "output file.",
        default=None,
        min_length=4,
    )
    custom_areas: list[CustomAreasConfig] = Field(
        description="Custom areas published alongside; the gate checks the slivers they leave.",
        default_factory=list,
    )
    cross_release: bool = Field(
        default=True,
        description="Whether to check differencing against earlier releases of the catalogue.",
    )

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


class PipelineConfig(Strict):
    """A whole pipeline: load → geocode → release → gate → publish."""

    name: Name = Field(description="The release's name: lower-case letters, digits, - and _.")
    description: str = Field(default="", description="What the release is, in words (published).")
    source: SourceConfig = Field(description="The resident records.")
    geography: GeographyConfig = Field(
        description="The geography bundle and geocoding.",
        default_factory=lambda: GeographyConfig(geocode=GeocodeConfig(oa="oa_code")),
    )
    # Validated against the release method's own model (see boroughkit.methods): the
    # pipeline's config model narrows this field to the registry's discriminated union.
    release: ReleaseSection = Field(
        description="The release method and its settings: one of the sections below."
    )
    disclosure: DisclosureConfig = Field(
        description="The disclosure gate.", default_factory=DisclosureConfig
    )
    engine: EngineConfig = Field(
        default_factory=DuckDBEngine,
        description="Where records are reduced to counts before noise: duckdb (default, in the "
        "process) or spark (a cluster). A source.database is reduced in the database itself.",
    )
    # Validated even when left out, so that a non-demo config without it is refused.
    publish: PublishConfig = Field(
        description="Where the release goes and who publishes it.",
        default_factory=PublishConfig,
        validate_default=True,
    )

    @field_validator("publish")
    @classmethod
    def _publisher_outside_the_demo(
        cls, publish: PublishConfig, info: ValidationInfo
    ) -> PublishConfig:
        # The demo's values are defaults for the demo borough only: a real release names its
        # publisher and its governance, or every file would say the demo council published it.
        geography = info.data.get("geography")
        if geography is None or geography.boundaries == DEMO_BOUNDARIES:
            return publish
        missing = [
            f"publish.{key} ({', '.join(model.model_fields)})"
            for key, model in (("publisher", PublisherConfig), ("governance", GovernanceConfig))
            if key not in publish.model_fields_set
        ]
        if missing:
            raise refuse(
                f"{' and '.join(missing)} must be given for a geography other than "
                f"{DEMO_BOUNDARIES} (here {geography.boundaries!r}): every published file, the "
                "catalogue and the transparency register name them",
                "add them to the config with your council's values, as in:" + PUBLISHER_EXAMPLE,
            )
        return publish

    @model_validator(mode="after")
    def _urls_for_spark(self) -> PipelineConfig:
        if is_url(self.source.path) and self.engine.name != "spark":
            raise refuse(
                f"source.path {self.source.path!r} is a URL, which only engine: spark reads",
                "give a local path, or add engine: {name: spark, master: ...}",
            )
        return self

    @model_validator(mode="after")
    def _one_engine_for_a_database(self) -> PipelineConfig:
        if self.source.database is not None and self.engine.name != "duckdb":
            raise refuse(
                f"engine {self.engine.name} cannot read source.database: the database itself "
                "reduces its records",
                "remove the engine section (or use a file source with the Spark engine)",
            )
        return self
