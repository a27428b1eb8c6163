"""Exact count tables of a small lookup, for the suppression and audit tests."""

from __future__ import annotations

import pandas as pd

from boroughkit.disclosure.tables import TOTAL_CATEGORY

LEVEL_COLUMNS = {
    "estate": "estate_code",
    "lsoa": "lsoa_code",
    "msoa": "msoa_code",
    "ward": "ward_code",
    "borough": "borough_code",
}

# Four OAs: two LSOAs, two best-fit wards (o3 sits in w1 although its LSOA is l2).
TINY = pd.DataFrame(
    {
        "oa_code": ["o1", "o2", "o3", "o4"],
        "lsoa_code": ["l1", "l1", "l2", "l2"],
        "msoa_code": ["m1"] * 4,
        "ward_code": ["w1", "w1", "w1", "w2"],
        "borough_code": ["b1"] * 4,
    }
)


def release(
    lookup: pd.DataFrame,
    oa_counts: pd.DataFrame,
    levels: tuple[str, ...],
    *,
    table: str = "t",
    total: bool = True,
) -> pd.DataFrame:
    """Cells of one count table summed exactly from OA counts (index oa_code)."""
    counts = oa_counts.copy()
    if total:
        counts[TOTAL_CATEGORY] = counts.sum(axis=1)
    frames = []
    for level in levels:
        keyed = lookup.assign(oa=lookup["oa_code"]).set_index("oa_code")
        codes = keyed["oa" if level == "oa" else LEVEL_COLUMNS[level]].reindex(counts.index)
        by_area = counts.groupby(codes.to_numpy()).sum()
        long = by_area.stack().reset_index()
        long.columns = ["area_code", "category", "value"]
        frames.append(long.assign(table=table, level=level))
    return pd.concat(frames, ignore_index=True)
