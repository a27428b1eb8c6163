"""The published columns: their names and what each means, for Parquet, datapackage.json and
the explorer (through ``schema.json``, see :mod:`boroughkit.publish.schema`).

A tidy published table has the key columns, its category columns, one statistic column, its
error columns and ``status``; GeoParquet adds the geometry columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from boroughkit.terms import LEVELS, STATISTICS, TOTAL

AREA_CODE, AREA_NAME, LEVEL = "area_code", "area_name", "level"
#: Which area a row is about.
KEY_COLUMNS = (AREA_CODE, AREA_NAME, LEVEL)
#: The value of a cell: one of these, named after the table's statistic.
STATISTIC_COLUMNS: tuple[str, ...] = STATISTICS
#: The 95 % margin of error of a value, and the standard deviation of the noise added to it.
MOE95, NOISE_SD = "moe95", "noise_sd"
# Margin-of-error columns, in order of preference for display.
ERROR_COLUMNS = (MOE95, NOISE_SD)
STATUS_COLUMN = "status"
GEOMETRY_COLUMNS = ("geometry", "bbox")
#: Every column that is not a category of the table (categories are the table's own).
FIXED_COLUMNS = (*KEY_COLUMNS, *STATISTIC_COLUMNS, *ERROR_COLUMNS, STATUS_COLUMN)
#: The category label of a table's totals, and the name of the all-totals cell in GeoJSON
#: properties (``count[all]``; other cells are ``count[tenure=owned]``).
TOTAL_CATEGORY = TOTAL
ALL_CELL = "all"

_DESCRIPTIONS = {
    "area_code": ("Area code", "Code of the area (ONS GSS code for real geographies)."),
    "area_name": ("Area name", "Name of the area."),
    "level": ("Geography level", f"{', '.join(LEVELS[:-1])} or {LEVELS[-1]}."),
    "count": (
        "Count",
        "Number of residents in the cell, after the disclosure control described in the method "
        "statement (not an exact figure).",
    ),
    "sum": ("Sum", "Sum over the residents of the cell, after disclosure control."),
    "mean": ("Mean", "Mean over the residents of the cell, after disclosure control."),
    "noise_sd": (
        "Noise standard deviation",
        "Standard deviation of the random noise added to the value of this cell.",
    ),
    "moe95": (
        "95% margin of error",
        "95% margin of error: in 95% of cells the exact value lies within plus or minus this "
        "of the published value.",
    ),
    "status": ("Cell status", "Whether the value is published as is, rounded or suppressed."),
    "geometry": ("Boundary", "Boundary of the area (WKB, longitude/latitude, OGC:CRS84)."),
    "bbox": ("Bounding box", "Bounding box of the boundary (xmin, ymin, xmax, ymax)."),
}


@dataclass(frozen=True)
class ColumnDescription:
    """Title, description and Table Schema type of one published column."""

    name: str
    title: str
    description: str
    type: str


def table_schema_type(dtype: Any) -> str:
    """The Frictionless Table Schema type of a pandas dtype."""
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "number"
    return "string"


def is_category(name: str) -> bool:
    """True for a category column of a table (any column not of :data:`FIXED_COLUMNS` or
    :data:`GEOMETRY_COLUMNS`)."""
    return name not in FIXED_COLUMNS and name not in GEOMETRY_COLUMNS


def describe_column(name: str, dtype: Any = object) -> ColumnDescription:
    """How a published column is described; any other column is a category of the table."""
    title, text = _DESCRIPTIONS.get(
        name, (name.replace("_", " ").capitalize(), f"Category: {name} ('Total' = all of them).")
    )
    return ColumnDescription(name, title, text, table_schema_type(dtype))


def error_column(columns: list[str] | pd.Index) -> str | None:
    """The margin-of-error column a table carries, if any (``moe95`` preferred)."""
    return next((column for column in ERROR_COLUMNS if column in columns), None)
