"""The ``source:`` section: where the resident records come from and their declared columns."""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Literal

from pydantic import Field, field_validator, model_validator

from boroughkit.config.common import (
    Name,
    Strict,
    refuse,
)
from boroughkit.config.engine_models import DatabaseSource

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
        description="Records in a PostgreSQL database instead of a file: counts, sums and "
        "cell-key sums are computed in the database.",
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
