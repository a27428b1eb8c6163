"""Paths to the real data in ../shared/data, and an ONS lookup with boroughkit's columns."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()
GEO = SHARED_DATA / "geo"
LBBD_LOOKUP = "lookup_oa21_lsoa21_msoa21_wd22_lad22_lbbd.csv"


def ons_lookup(name: str = LBBD_LOOKUP):
    """An ONS OA lookup from ../shared/data/geo with boroughkit's column names."""
    import pandas as pd

    from boroughkit.geography.lookup_reader import DEFAULT_LOOKUP_COLUMNS

    ours = {ons: column for column, ons in DEFAULT_LOOKUP_COLUMNS.items()}
    return pd.read_csv(GEO / name).rename(columns=ours)
