"""The vocabulary every layer shares: area levels, statistics and the 95 % normal quantile.

One module owns these names so that config, geography, release methods and the published
schema (``publish/schema.py``) cannot drift apart.
"""

from __future__ import annotations

from typing import Literal, cast, get_args

Level = Literal["oa", "lsoa", "msoa", "ward", "borough"]

#: Every level, finest first (the order of files, manifests and the explorer's level menu).
LEVELS: tuple[Level, ...] = cast(tuple[Level, ...], get_args(Level))

#: Levels that nest exactly, finest first (wards are a best fit of OAs and nest in nothing).
NESTED_LEVELS: tuple[Level, ...] = ("oa", "lsoa", "msoa", "borough")

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
    "borough": "Borough",
}

#: The category label of a table's totals: the row that counts every category of a column.
TOTAL = "Total"
