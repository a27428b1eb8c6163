"""Who lives in each synthetic household: ages, sexes, tenure and council tax band."""

from __future__ import annotations

import numpy as np

from boroughkit.demo._places import HouseholdLayout
from boroughkit.demo.schema import COUNCIL_TAX_BANDS, MAX_AGE, TENURES

_ADULT_AGES = np.arange(18, MAX_AGE + 1)
# Share of household reference persons per age band (lower bound, share): families and singles
# differ, singles being older on average.
_FAMILY_REFERENCE_BANDS = ((18, 0.06), (25, 0.22), (35, 0.26), (45, 0.2), (55, 0.12), (65, 0.08),
                           (75, 0.045), (85, 0.015))  # fmt: skip
_SINGLE_REFERENCE_BANDS = ((18, 0.06), (25, 0.16), (35, 0.13), (45, 0.15), (55, 0.16), (65, 0.15),
                           (75, 0.13), (85, 0.06))  # fmt: skip
_TENURE_SHARES = np.array([0.22, 0.36, 0.23, 0.19])  # about 42% of households rent
_BAND_SHARES = np.array([0.04, 0.18, 0.42, 0.26, 0.07, 0.02, 0.008, 0.002])


def _age_weights(bands: tuple[tuple[int, float], ...]) -> np.ndarray:
    """Per-year weights over ages 18..MAX_AGE, uniform within a band and tapering after 85."""
    lowers = np.array([lower for lower, _ in bands])
    shares = np.array([share for _, share in bands])
    band_of_age = np.searchsorted(lowers, _ADULT_AGES, side="right") - 1
    width = np.bincount(band_of_age, minlength=len(bands))
    weights = shares[band_of_age] / width[band_of_age]
    weights *= np.where(_ADULT_AGES > 85, np.exp(-(_ADULT_AGES - 85) / 5.0), 1.0)
    return weights / weights.sum()


def person_ages_and_sexes(
    layout: HouseholdLayout, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Ages (0..MAX_AGE) and sexes (True = female) with a plausible household make-up.

    The reference person is an adult; the second member is usually a partner of similar age;
    further members are mostly children, with adult children and lodgers now and then.
    """
    n_households = len(layout.household_size)
    single = layout.household_size == 1
    reference_age = np.where(
        single,
        rng.choice(_ADULT_AGES, size=n_households, p=_age_weights(_SINGLE_REFERENCE_BANDS)),
        rng.choice(_ADULT_AGES, size=n_households, p=_age_weights(_FAMILY_REFERENCE_BANDS)),
    )
    reference_female = rng.random(n_households) < 0.52
    n_persons = len(layout.person_household)
    ref_age = reference_age[layout.person_household]
    ref_female = reference_female[layout.person_household]
    position = layout.person_position
    size = layout.household_size[layout.person_household]
    draw = rng.random(n_persons)

    partner_chance = np.where(size == 2, 0.62, 0.72)
    is_partner = (position == 1) & (draw < partner_chance)
    is_lodger = (position >= 1) & ~is_partner & ((ref_age < 20) | (rng.random(n_persons) < 0.1))
    is_child = (position >= 1) & ~is_partner & ~is_lodger

    partner_age = ref_age + np.rint(rng.normal(-1.5, 4.0, n_persons)).astype(np.int64)
    # Children of a parent under 60 are mostly minors; older parents' children are adults.
    oldest_minor = np.clip(ref_age - 18, 0, 17)
    minor_age = np.floor(rng.random(n_persons) * (oldest_minor + 1)).astype(np.int64)
    adult_child = (ref_age >= 60) | ((ref_age >= 42) & (rng.random(n_persons) < 0.15))
    adult_child_age = ref_age - rng.integers(20, 41, n_persons)
    child_age = np.where(adult_child, np.maximum(adult_child_age, 16), minor_age)
    lodger_age = rng.choice(_ADULT_AGES, size=n_persons, p=_age_weights(_FAMILY_REFERENCE_BANDS))

    ages = np.select(
        [position == 0, is_partner, is_child, is_lodger],
        [ref_age, partner_age, child_age, lodger_age],
    )
    ages = np.clip(ages, 0, MAX_AGE).astype(np.int64)
    female = np.where(
        position == 0,
        ref_female,
        np.where(is_partner, ref_female ^ (draw < 0.95 * partner_chance), draw < 0.49),
    )
    return ages, female


def household_tenure(
    reference_age: np.ndarray,
    household_need: np.ndarray,
    household_deprivation: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Tenure index into TENURES per household: older owners, deprived areas rent socially."""
    young, old = reference_age < 35, reference_age >= 65
    middle = (reference_age >= 35) & ~old
    effects = np.column_stack(
        [
            2.2 * old + 0.6 * (reference_age >= 55) - 1.5 * young - 0.5 * household_deprivation,
            0.9 * middle - 1.8 * old - 0.4 * household_deprivation - 0.4 * household_need,
            0.9 * household_deprivation + 0.6 * household_need,
            1.0 * young + 0.3 * household_deprivation,
        ]
    )
    logits = effects + calibrated_intercepts(effects, _TENURE_SHARES, rng)
    return np.argmax(logits + rng.gumbel(size=logits.shape), axis=1).astype(np.int64)


def household_council_tax_band(
    tenure: np.ndarray,
    household_size: np.ndarray,
    household_deprivation: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Council tax band index (A=0 .. H=7): owners and bigger homes higher, deprived areas lower."""
    owner = tenure <= TENURES.index("owned_mortgage")
    social = tenure == TENURES.index("social_rented")
    value = (
        rng.normal(size=len(tenure))
        + 0.9 * owner
        - 0.5 * social
        - 0.6 * household_deprivation
        + 0.25 * (np.minimum(household_size, 6) - 3)
    )
    if len(value) == 0:
        return np.zeros(0, dtype=np.int64)
    thresholds = np.quantile(value, np.cumsum(_BAND_SHARES)[:-1])
    bands = np.searchsorted(thresholds, value, side="right").astype(np.int64)
    return np.minimum(bands, len(COUNCIL_TAX_BANDS) - 1)


def calibrated_intercepts(
    effects: np.ndarray, target_shares: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Per-category intercepts so a softmax choice over ``effects`` hits ``target_shares``."""
    sample = effects
    if len(effects) > 100_000:
        # A random subsample pins the intercepts to well under a percentage point.
        sample = effects[rng.choice(len(effects), 100_000, replace=False)]
    intercepts = np.log(target_shares)
    if len(sample) == 0:
        return intercepts
    for _ in range(40):
        logits = sample + intercepts
        probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        intercepts = intercepts + np.log(target_shares / probabilities.mean(axis=0))
    return intercepts
