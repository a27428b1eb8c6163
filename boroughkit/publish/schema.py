"""The published schema: the area levels and the columns of every published table.

Python code takes the names from their owners (levels and their names from
:mod:`boroughkit.terms`, columns from :mod:`boroughkit.publish.columns`); this module adds the
short level labels of menus and writes them all as ``schema.json`` at the catalogue root, next to
``index.json``, where the Borough Data Explorer reads them instead of repeating them.
"""

from __future__ import annotations

import json
from typing import Any

from boroughkit.publish.catalogue import SCHEMA_JSON
from boroughkit.publish.columns import (
    ALL_CELL,
    AREA_CODE,
    AREA_NAME,
    ERROR_COLUMNS,
    FIXED_COLUMNS,
    GEOMETRY_COLUMNS,
    LEVEL,
    MOE95,
    NOISE_SD,
    STATISTIC_COLUMNS,
    STATUS_COLUMN,
    TOTAL_CATEGORY,
    describe_column,
)
from boroughkit.terms import LEVEL_DISPLAY_NAMES, LEVELS, Z95, Level

__all__ = ["DEFAULT_LEVEL", "LEVEL_LABELS", "SCHEMA_ID", "SCHEMA_JSON", "schema_document"]

SCHEMA_ID = "boroughkit.published-schema/1"

#: Short names of the levels, for menus and download links.
LEVEL_LABELS: dict[Level, str] = {
    "oa": "Output Area",
    "lsoa": "LSOA",
    "msoa": "MSOA",
    "ward": "Ward",
    "borough": "Borough",
    "region": "Region",
}

#: The level the explorer shows first when a table is published at it.
DEFAULT_LEVEL: Level = "ward"


def schema_document() -> dict[str, Any]:
    """The ``schema.json`` document.

    ``levels`` lists every level finest first (``id``, full ``name``, short ``label``);
    ``columns`` names the columns by role (``fixed`` is every column that is not a category);
    ``categories`` gives the totals label and the all-totals cell of GeoJSON properties;
    ``descriptions`` the title and description of each fixed column; ``z95`` turns a noise
    standard deviation into a 95 % margin of error.
    """
    described = [describe_column(name) for name in (*FIXED_COLUMNS, *GEOMETRY_COLUMNS)]
    return {
        "schema": SCHEMA_ID,
        "levels": [
            {"id": level, "name": LEVEL_DISPLAY_NAMES[level], "label": LEVEL_LABELS[level]}
            for level in LEVELS
        ],
        "default_level": DEFAULT_LEVEL,
        "columns": {
            "area_code": AREA_CODE,
            "area_name": AREA_NAME,
            "level": LEVEL,
            "statistics": list(STATISTIC_COLUMNS),
            "margin_of_error": MOE95,
            "noise_sd": NOISE_SD,
            "errors": list(ERROR_COLUMNS),
            "status": STATUS_COLUMN,
            "geometry": list(GEOMETRY_COLUMNS),
            "fixed": list(FIXED_COLUMNS),
        },
        "categories": {"total": TOTAL_CATEGORY, "all_cell": ALL_CELL},
        "descriptions": {
            column.name: {"title": column.title, "description": column.description}
            for column in described
        },
        "z95": Z95,
    }


def schema_text() -> str:
    """``schema.json`` as written: UTF-8 JSON, indented, with a final newline."""
    return json.dumps(schema_document(), indent=2, ensure_ascii=False) + "\n"
