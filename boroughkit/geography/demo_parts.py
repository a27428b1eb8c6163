"""Frames of the demo borough: lookup (codes, names, populations), boundaries, postcodes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from boroughkit.geography.levels import CODE_COLUMNS, NAME_COLUMNS
from boroughkit.geography.tessellation import planar_partition

WARD_NAMES = (
    "Riverside", "Harbour", "Saltings", "Beacon Hill", "Mill Green", "Eastbrook", "Westfield Park",
    "Lighthouse", "Dunes", "Quayside", "Fenwick", "Oakmere", "Ashcombe", "Kingsreach",
    "Sandpiper", "Tidewater", "Foxley", "Hollowmead", "Northgate", "Seabrook", "Marsh End",
    "Copperfield", "Larkspur", "Pebble Bay",
)  # fmt: skip
BOROUGH_CODE, BOROUGH_NAME = "DEMO-LAD", "Demo Borough"
REGION_CODE, REGION_NAME = "DEMO-RGN", "Demo Region"
POSTCODE_AREA = "DM"  # not a UK postcode area
_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in the inward code of UK postcodes


def apportion(weights: np.ndarray, total: int, *, minimum: int) -> np.ndarray:
    """Whole numbers ≥ ``minimum`` summing to ``total``, proportional to ``weights``."""
    spare = total - minimum * len(weights)
    shares = spare * weights / weights.sum()
    counts = np.floor(shares).astype(int)
    remainder_order = np.argsort(-(shares - counts), kind="stable")
    counts[remainder_order[: spare - counts.sum()]] += 1
    return counts + minimum


def oa_counts(rng: np.random.Generator, lsoa_count: int, oa_count: int) -> np.ndarray:
    """OAs per LSOA between 3 and 8 (mostly 5, as in real boroughs) summing to ``oa_count``."""
    counts = rng.choice([4, 5, 6], size=lsoa_count, p=[0.2, 0.6, 0.2])
    while counts.sum() != oa_count:
        step = 1 if counts.sum() < oa_count else -1
        index = rng.integers(lsoa_count)
        if 3 <= counts[index] + step <= 8:
            counts[index] += step
    return counts


def assign_to_regions(points: np.ndarray, regions: list[BaseGeometry]) -> np.ndarray:
    """Index of the region holding each point (the nearest region if none holds it)."""
    region_array = np.asarray(regions, dtype=object)
    return np.array(
        [int(np.argmin(shapely.distance(region_array, point))) for point in points], dtype=int
    )


def lookup_frame(
    rng: np.random.Generator, oa_lsoa: list[int], oa_msoa: list[int], oa_ward: np.ndarray
) -> pd.DataFrame:
    """The demo lookup: codes, invented names and plausible OA populations and households."""
    oa_count = len(oa_lsoa)
    lsoa_letter: list[str] = []
    letters_used: dict[int, int] = {}
    seen_lsoas: dict[int, str] = {}
    for lsoa, msoa in zip(oa_lsoa, oa_msoa, strict=True):
        if lsoa not in seen_lsoas:
            seen_lsoas[lsoa] = chr(ord("A") + letters_used.get(msoa, 0))
            letters_used[msoa] = letters_used.get(msoa, 0) + 1
        lsoa_letter.append(seen_lsoas[lsoa])
    # Renumber wards in order of first appearance so codes have no gaps.
    ward_numbers = {ward: number for number, ward in enumerate(dict.fromkeys(oa_ward.tolist()), 1)}
    population = np.clip(np.rint(rng.normal(335, 75, size=oa_count)), 110, 620).astype(int)
    household_size = np.clip(rng.normal(2.7, 0.35, size=oa_count), 1.6, 4.0)
    households = np.maximum(1, np.rint(population / household_size)).astype(int)
    msoa_names = [f"{BOROUGH_NAME} {msoa + 1:03d}" for msoa in oa_msoa]
    wards = [ward_numbers[ward] for ward in oa_ward.tolist()]
    return pd.DataFrame(
        {
            "oa_code": [f"DEMO-OA-{index + 1:04d}" for index in range(oa_count)],
            "lsoa_code": [f"DEMO-LSOA-{lsoa + 1:03d}" for lsoa in oa_lsoa],
            "lsoa_name": [
                f"{name}{letter}" for name, letter in zip(msoa_names, lsoa_letter, strict=True)
            ],
            "msoa_code": [f"DEMO-MSOA-{msoa + 1:02d}" for msoa in oa_msoa],
            "msoa_name": msoa_names,
            "ward_code": [f"DEMO-WD-{ward:02d}" for ward in wards],
            "ward_name": [f"Demo Ward: {WARD_NAMES[ward - 1]}" for ward in wards],
            "borough_code": BOROUGH_CODE,
            "borough_name": BOROUGH_NAME,
            "region_code": REGION_CODE,
            "region_name": REGION_NAME,
            "population": pd.array(population, dtype="Int64"),
            "households": pd.array(households, dtype="Int64"),
        }
    )


def _frame(codes: list[str], names: list[str], geometries: list[BaseGeometry]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": codes, "name": names, "approximate": False},
        geometry=geometries,
        crs="EPSG:4326",
    )


def boundary_frames(
    lookup: pd.DataFrame, oa_cells: list[BaseGeometry]
) -> dict[str, gpd.GeoDataFrame]:
    """Polygons for every level; every level above OA is the union of its OAs."""
    oa_geometry = planar_partition(oa_cells)
    frames = {"oa": _frame(list(lookup["oa_code"]), list(lookup["oa_code"]), oa_geometry)}
    for level in ("lsoa", "msoa", "ward", "borough", "region"):
        code_column, name_column = CODE_COLUMNS[level], NAME_COLUMNS[level]
        groups = lookup.groupby(code_column, sort=True)
        codes = list(groups.groups)
        names = [str(groups.get_group(code)[name_column].iloc[0]) for code in codes]
        geometries = [
            shapely.union_all([oa_geometry[i] for i in groups.indices[code]]) for code in codes
        ]
        frames[level] = _frame([str(code) for code in codes], names, geometries)
    return frames


def postcode_frame(rng: np.random.Generator, lookup: pd.DataFrame) -> pd.DataFrame:
    """Between 5 and 15 distinct ``DM`` postcodes per OA, sharing sectors within an LSOA.

    Districts group about three MSOAs each, as real postcode districts span several
    neighbourhoods; the postcodes have the shape of UK postcodes (e.g. ``DM3 4AB``).
    """
    per_oa = rng.integers(5, 16, size=len(lookup))
    msoa_numbers = lookup["msoa_code"].str[-2:].astype(int).to_numpy()
    districts = (msoa_numbers - 1) // 3 + 1
    units = [a + b for a in _UNIT_LETTERS for b in _UNIT_LETTERS]
    inward = np.array([f"{sector}{unit}" for sector in range(10) for unit in units])
    oa_codes = lookup["oa_code"].to_numpy()
    rows: list[tuple[str, str]] = []
    for district in np.unique(districts):
        members = np.flatnonzero(districts == district)
        needed = int(per_oa[members].sum())
        chosen = np.sort(rng.choice(len(inward), size=needed, replace=False))
        starts = np.concatenate([[0], np.cumsum(per_oa[members])])
        for position, member in enumerate(members):
            for code in inward[chosen[starts[position] : starts[position + 1]]]:
                rows.append((f"{POSTCODE_AREA}{district} {code}", str(oa_codes[member])))
    return pd.DataFrame(rows, columns=["postcode", "oa_code"])
