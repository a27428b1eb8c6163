"""The vocabulary every layer shares: area levels, statistics and the 95 % normal quantile.

One module owns these names so that config, geography, release methods and the published
schema (``publish/schema.py``) cannot drift apart.
"""

from __future__ import annotations

from typing import Literal, cast, get_args

Level = Literal["oa", "lsoa", "msoa", "ward", "borough", "region"]

#: Every level, finest first (the order of files, manifests and the explorer's level menu).
LEVELS: tuple[Level, ...] = cast(tuple[Level, ...], get_args(Level))

#: Levels that nest exactly, finest first (wards are a best fit of OAs and nest in nothing).
NESTED_LEVELS: tuple[Level, ...] = ("oa", "lsoa", "msoa", "borough", "region")

Statistic = Literal["count", "sum", "mean"]

STATISTICS: tuple[Statistic, ...] = cast(tuple[Statistic, ...], get_args(Statistic))

#: The 97.5 % quantile of the standard normal: a 95 % interval is ± Z95 standard deviations.
Z95 = 1.959963984540054

#: The human name of each level (menus use the shorter labels of ``publish/schema.py``).
LEVEL_DISPLAY_NAMES: dict[Level, str] = {
    "oa": "Output Area",
    "lsoa": "Lower layer Super Output Area",
    "msoa": "Middle layer Super Output Area",
    "ward": "Electoral ward",
    "borough": "Borough (local authority district)",
    "region": "Region",
}

#: Other names a config or command may give a level: ``lad`` (local authority district) is the
#: ONS name of what boroughkit calls a borough.
LEVEL_ALIASES: dict[str, Level] = {"lad": "borough"}


def canonical_level(name: object) -> object:
    """``name`` with an alias replaced by the level it names (``"lad"`` → ``"borough"``)."""
    if isinstance(name, str):
        return LEVEL_ALIASES.get(name.strip().casefold(), name)
    return name


#: The category label of a table's totals: the row that counts every category of a column.
TOTAL = "Total"
