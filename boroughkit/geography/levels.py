"""The area levels boroughkit publishes at, and how they relate to each other.

OA → LSOA → MSOA → borough → region nest exactly. Wards are assigned to OAs by a best-fit lookup,
so a ward is a set of OAs in one borough but does not nest in (or contain) LSOAs or MSOAs.
``region`` is optional: a bundle has it only when every borough's region is known.
"""

from __future__ import annotations

import re
from typing import cast

from boroughkit.errors import ConfigError
from boroughkit.terms import LEVEL_DISPLAY_NAMES, LEVELS, NESTED_LEVELS, Level, canonical_level

__all__ = ["LEVELS", "LEVEL_DISPLAY_NAMES", "NESTED_LEVELS", "Level"]

#: Lookup column holding each level's area code (the OA column is the key of the lookup).
CODE_COLUMNS: dict[Level, str] = {
    "oa": "oa_code",
    "lsoa": "lsoa_code",
    "msoa": "msoa_code",
    "ward": "ward_code",
    "borough": "borough_code",
    "region": "region_code",
}

#: Lookup column holding each level's area name (OAs have no names; their code is used).
NAME_COLUMNS: dict[Level, str | None] = {
    "oa": None,
    "lsoa": "lsoa_name",
    "msoa": "msoa_name",
    "ward": "ward_name",
    "borough": "borough_name",
    "region": "region_name",
}

#: Every column of a bundle's lookup, in order.
LOOKUP_COLUMNS: tuple[str, ...] = (
    "oa_code",
    "lsoa_code",
    "lsoa_name",
    "msoa_code",
    "msoa_name",
    "ward_code",
    "ward_name",
    "borough_code",
    "borough_name",
    "region_code",
    "region_name",
    "population",
    "households",
)

#: Levels a bundle may lack: their lookup columns are then empty (null) in every row.
OPTIONAL_LEVELS: tuple[Level, ...] = ("region",)

#: Pattern of an ONS 2021 Output Area code in England or Wales.
ONS_OA_CODE_PATTERN = r"^[EW]00\d{6}$"


def check_level(level: str) -> Level:
    """Return ``level`` as a :data:`Level` (``lad`` reads as ``borough``), or raise a
    ConfigError listing the allowed levels."""
    named = canonical_level(level)
    if named not in LEVELS:
        raise ConfigError(
            f"unknown geography level {level!r}",
            fix=f"use one of: {', '.join(LEVELS)} (or lad for borough)",
        )
    return cast(Level, named)


def display_name(level: str) -> str:
    """The human name of a level, e.g. ``"Electoral ward"`` for ``"ward"``."""
    return LEVEL_DISPLAY_NAMES[check_level(level)]


def parent_levels(level: str) -> tuple[Level, ...]:
    """Levels that exactly contain ``level`` (coarser nested levels); a ward lies in its
    borough and region."""
    checked = check_level(level)
    if checked == "ward":
        return ("borough", "region")
    return NESTED_LEVELS[NESTED_LEVELS.index(checked) + 1 :]


def child_levels(level: str) -> tuple[Level, ...]:
    """Levels that nest exactly inside ``level`` (finer nested levels); OAs only for wards."""
    checked = check_level(level)
    if checked == "ward":
        return ("oa",)
    return NESTED_LEVELS[: NESTED_LEVELS.index(checked)]


#: Levels whose areas are redrawn at each census (2011, 2021): OAs, LSOAs and MSOAs.
CENSUS_LEVELS: tuple[Level, ...] = ("oa", "lsoa", "msoa")


def code_year(column: str) -> int | None:
    """The year an ONS code column names: ``OA21CD`` → 2021, ``WD22CD`` → 2022; else None."""
    match = re.search(r"(\d{2})CD$", column, re.IGNORECASE)
    return 2000 + int(match.group(1)) if match else None
