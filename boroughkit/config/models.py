"""Typed models of a boroughkit pipeline config (YAML).

Every model forbids unknown keys so that a misspelt key is an error with a suggestion, never a
silently ignored setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from boroughkit.config.common import (
    Name,
    ReleaseSection,
    Strict,
    refuse,
)
from boroughkit.config.engine_models import DuckDBEngine, EngineConfig
from boroughkit.config.publish_models import (
    DEMO_BOUNDARIES,
    PUBLISHER_EXAMPLE,
    GovernanceConfig,
    PublishConfig,
    PublisherConfig,
)
from boroughkit.config.source_models import LARGEST_COUNT_LIMIT as LARGEST_COUNT_LIMIT
from boroughkit.config.source_models import ColumnSchema as ColumnSchema
from boroughkit.config.source_models import SourceConfig as SourceConfig
from boroughkit.config.source_models import is_url as is_url


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
        description="Where records are reduced to counts, sums and cell-key sums before "
        "noise or perturbation: duckdb (default, in the process) or spark (a cluster). A "
        "source.database is reduced in the database itself.",
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
