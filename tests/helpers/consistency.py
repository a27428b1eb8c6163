"""A demo-like nested lookup and its true counts, for the consistency tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

LEVELS = ("oa", "lsoa", "msoa", "ward", "borough")
SHARES = np.array([0.40, 0.22, 0.15, 0.10, 0.06, 0.04, 0.02, 0.01])


def demo_like_lookup(n_oa: int = 600, n_lsoa: int = 120, n_msoa: int = 25, n_ward: int = 20):
    """OAs nested in LSOAs, MSOAs and one borough; wards of OAs that cut across LSOAs/MSOAs."""
    oa = np.arange(n_oa)
    lsoa = oa * n_lsoa // n_oa
    msoa = lsoa * n_msoa // n_lsoa
    ward = ((oa + 11) * n_ward // n_oa) % n_ward  # offset, so wards straddle LSOAs and MSOAs
    return pd.DataFrame(
        {
            "oa_code": [f"OA{i:05d}" for i in oa],
            "lsoa_code": [f"LSOA{i:04d}" for i in lsoa],
            "msoa_code": [f"MSOA{i:03d}" for i in msoa],
            "ward_code": [f"WD{i:02d}" for i in ward],
            "borough_code": "B01",
        }
    )


def demo_like_counts(lookup: pd.DataFrame, seed: int = 11) -> np.ndarray:
    """True counts (OAs × 8 categories) of ~330 people per OA; rare categories, small cells."""
    rng = np.random.default_rng(seed)  # a fixed input, not DP noise
    people = rng.normal(330, 70, len(lookup)).clip(110, 540).astype(int)
    shares = rng.dirichlet(SHARES * 30, size=len(lookup))
    return np.array([rng.multinomial(n, p) for n, p in zip(people, shares, strict=True)])


def level_truth(lookup: pd.DataFrame, counts: np.ndarray, level: str):
    """Codes (sorted) and true counts of a level, and each OA's row among them."""
    index, codes = pd.factorize(lookup[f"{level}_code"], sort=True)
    summed = np.zeros((len(codes), counts.shape[1]), dtype=np.int64)
    np.add.at(summed, index, counts)
    return list(codes), summed, index


def multi_borough_lookup(n_boroughs: int = 3, n_oa: int = 60) -> pd.DataFrame:
    """Several demo-like boroughs of different sizes, each in one of two regions."""
    parts = []
    for borough in range(n_boroughs):
        size = n_oa + 10 * borough
        part = demo_like_lookup(n_oa=size, n_lsoa=size // 5, n_msoa=size // 20, n_ward=5)
        for column in ("oa_code", "lsoa_code", "msoa_code", "ward_code"):
            part[column] = f"B{borough}-" + part[column]
        part["borough_code"] = f"B{borough:02d}"
        part["region_code"] = f"R{borough % 2}"
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
