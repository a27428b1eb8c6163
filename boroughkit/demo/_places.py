"""Where the synthetic residents live: persons per Output Area, area deprivation, households.

Everything is vectorised over persons; no Python loop runs per area or per household.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Household sizes 1..8 in an outer London borough; the mean is about 2.8 people.
_HOUSEHOLD_SIZE_SHARES = np.array([0.24, 0.27, 0.17, 0.17, 0.09, 0.04, 0.015, 0.005])
_MEAN_HOUSEHOLD_SIZE = 2.8


@dataclass(frozen=True)
class HouseholdLayout:
    """Persons grouped into households, persons sorted by area then household.

    Person arrays have one entry per person; household arrays one entry per household.
    """

    person_area: np.ndarray  # index of the person's OA in the lookup
    person_household: np.ndarray  # household index 0..H-1
    person_position: np.ndarray  # 0 = reference person, 1 = second member, ...
    household_area: np.ndarray
    household_size: np.ndarray


def persons_per_area(population: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Exactly ``n`` persons split over the areas, proportional to ``population`` when known.

    Largest-remainder rounding keeps every area within one person of its exact share. Unknown
    (NaN) populations take the median of the known ones; with none known the weights are
    uniform-ish.
    """
    n_areas = len(population)
    weights = np.asarray(population, dtype=float)
    known = np.isfinite(weights)
    if known.any() and weights[known].sum() > 0:
        weights = np.where(known, weights, np.median(weights[known]))
    else:
        # No census counts: gentle random variation so that areas are not all identical.
        weights = rng.gamma(shape=20.0, scale=1.0 / 20.0, size=n_areas)
    quotas = n * weights / weights.sum()
    counts = np.floor(quotas).astype(np.int64)
    shortfall = n - int(counts.sum())
    if shortfall > 0:
        # Random tie-breaking among equal remainders, then the largest remainders get one more.
        order = rng.permutation(n_areas)
        ranked = order[np.argsort(-(quotas - counts)[order], kind="stable")]
        counts[ranked[:shortfall]] += 1
    return counts


def area_deprivation(lookup: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """A standardised deprivation score per OA; neighbouring OAs share an LSOA-level part."""
    n_areas = len(lookup)
    score = rng.normal(size=n_areas)
    if "lsoa_code" in lookup.columns and n_areas > 1:
        lsoa_index = pd.factorize(lookup["lsoa_code"].astype("string").fillna(""))[0]
        lsoa_effect = rng.normal(size=int(lsoa_index.max()) + 1)
        score = 1.2 * lsoa_effect[lsoa_index] + 0.6 * score
    spread = score.std()
    return (score - score.mean()) / spread if spread > 0 else np.zeros(n_areas)


def mean_household_sizes(lookup: pd.DataFrame, deprivation: np.ndarray) -> np.ndarray:
    """Target mean household size per OA: census persons/households when both are known."""
    fallback = _MEAN_HOUSEHOLD_SIZE + 0.3 * deprivation
    if {"population", "households"} <= set(lookup.columns):
        population = pd.to_numeric(lookup["population"], errors="coerce").to_numpy(
            float, na_value=np.nan
        )
        households = pd.to_numeric(lookup["households"], errors="coerce").to_numpy(
            float, na_value=np.nan
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            census = population / households
        fallback = np.where(np.isfinite(census) & (households > 0), census, fallback)
    return np.clip(fallback, 1.2, 5.5)


def _size_cdfs(target_means: np.ndarray) -> np.ndarray:
    """Per-area cumulative size distributions, the base shares tilted to each target mean."""
    sizes = np.arange(1, len(_HOUSEHOLD_SIZE_SHARES) + 1)
    tilts = np.linspace(-2.0, 2.0, 401)
    tilted = _HOUSEHOLD_SIZE_SHARES * np.exp(np.outer(tilts, sizes))
    tilted /= tilted.sum(axis=1, keepdims=True)
    tilt_means = tilted @ sizes
    area_tilts = np.interp(target_means, tilt_means, tilts)
    shares = _HOUSEHOLD_SIZE_SHARES * np.exp(np.outer(area_tilts, sizes))
    return np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)


def household_layout(
    counts: np.ndarray, target_means: np.ndarray, rng: np.random.Generator
) -> HouseholdLayout:
    """Split each area's persons into households whose sizes follow the area's distribution.

    One size is drawn per person slot (always enough); within an area the running total of sizes
    marks where each household starts, and the last household is cut at the area's count.
    """
    n_persons = int(counts.sum())
    person_area = np.repeat(np.arange(len(counts)), counts)
    # Offsetting each area's cumulative shares by its index turns all per-area inverse-CDF
    # look-ups into one search of a single sorted array.
    thresholds = _size_cdfs(target_means)[:, :-1]
    offset_thresholds = (np.arange(len(counts))[:, None] + thresholds).ravel()
    found = np.searchsorted(offset_thresholds, person_area + rng.random(n_persons), side="right")
    sizes = 1 + found - thresholds.shape[1] * person_area
    area_first_person = np.concatenate(([0], np.cumsum(counts)[:-1]))
    running = np.cumsum(sizes)
    before_area = (running - sizes)[area_first_person[counts > 0]]
    local_start = running - sizes - np.repeat(before_area, counts[counts > 0])
    keep = local_start < np.repeat(counts, counts)
    starts = np.zeros(n_persons, dtype=bool)
    starts[area_first_person[person_area[keep]] + local_start[keep]] = True
    person_household = np.cumsum(starts) - 1
    household_first = np.flatnonzero(starts)
    return HouseholdLayout(
        person_area=person_area,
        person_household=person_household,
        person_position=np.arange(n_persons) - household_first[person_household],
        household_area=person_area[household_first],
        household_size=np.bincount(person_household, minlength=len(household_first)),
    )


def household_postcodes(
    postcodes: pd.DataFrame,
    oa_codes: pd.Index,
    household_area: np.ndarray,
    rng: np.random.Generator,
) -> pd.Categorical:
    """One postcode per household, drawn from its OA's postcodes; missing if the OA has none."""
    postcode_areas = pd.Index(postcodes["oa_code"].astype("string").str.strip())
    area_of_postcode = oa_codes.get_indexer(postcode_areas)
    matched = postcodes.loc[area_of_postcode >= 0, "postcode"].astype("string").str.strip()
    usable = matched.to_numpy(object)
    area_of_postcode = area_of_postcode[area_of_postcode >= 0]
    order = np.argsort(area_of_postcode, kind="stable")
    categories, codes_sorted = np.unique(usable[order].astype(str), return_inverse=True)
    per_area = np.bincount(area_of_postcode, minlength=len(oa_codes))
    first = np.concatenate(([0], np.cumsum(per_area)[:-1]))
    available = per_area[household_area]
    pick = first[household_area] + np.floor(rng.random(len(household_area)) * available)
    codes = np.full(len(household_area), -1, dtype=np.int64)
    has_postcode = available > 0
    codes[has_postcode] = codes_sorted[pick[has_postcode].astype(np.int64)]
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories))
