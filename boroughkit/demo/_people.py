"""Who lives in each synthetic household: ages, sexes, tenure and council tax band."""

from __future__ import annotations

import numpy as np

from boroughkit.demo._places import HouseholdLayout
from boroughkit.demo.schema import COUNCIL_TAX_BANDS, MAX_AGE, TENURES

_ADULT_AGES = np.arange(18, MAX_AGE + 1)
# Household reference persons by age band (lower bounds), in families and living alone: those
# living alone are older on average.
_REFERENCE_BAND_LOWER = (18, 25, 35, 45, 55, 65, 75, 85)
_FAMILY_REFERENCE_SHARES = (0.06, 0.22, 0.26, 0.2, 0.12, 0.08, 0.045, 0.015)
_SINGLE_REFERENCE_SHARES = (0.06, 0.16, 0.13, 0.15, 0.16, 0.15, 0.13, 0.06)
_TENURE_SHARES = np.array([0.22, 0.36, 0.23, 0.19])  # about 42% of households rent
_BAND_SHARES = np.array([0.04, 0.18, 0.42, 0.26, 0.07, 0.02, 0.008, 0.002])


def _age_weights(band_shares: tuple[float, ...]) -> np.ndarray:
    """Per-year weights over ages 18..MAX_AGE, uniform within a band and tapering after 85."""
    lowers = np.array(_REFERENCE_BAND_LOWER)
    shares = np.array(band_shares)
    band_of_age = np.searchsorted(lowers, _ADULT_AGES, side="right") - 1
    width = np.bincount(band_of_age, minlength=len(lowers))
    weights = shares[band_of_age] / width[band_of_age]
    weights *= np.where(_ADULT_AGES > 85, np.exp(-(_ADULT_AGES - 85) / 5.0), 1.0)
    return weights / weights.sum()


def person_ages_and_sexes(
    layout: HouseholdLayout, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Ages (0..MAX_AGE) and sexes (True = female) with a plausible household make-up.

    The reference person is an adult; the second member is usually a partner of similar age;
    further members are mostly children, with adult children and lodgers now and then.
    Each role's ages are drawn only for the persons in that role, to keep big runs lean.
    """
    n_households = len(layout.household_size)
    single = layout.household_size == 1
    reference_age = np.where(
        single,
        rng.choice(_ADULT_AGES, size=n_households, p=_age_weights(_SINGLE_REFERENCE_SHARES)),
        rng.choice(_ADULT_AGES, size=n_households, p=_age_weights(_FAMILY_REFERENCE_SHARES)),
    )
    reference_female = rng.random(n_households) < 0.52
    ages = reference_age[layout.person_household]
    female = reference_female[layout.person_household]  # still the reference person's sex

    member = np.flatnonzero(layout.person_position >= 1)
    ref_age = ages[member]
    second = layout.person_position[member] == 1
    partner_chance = np.where(
        layout.household_size[layout.person_household[member]] == 2, 0.62, 0.72
    )
    role_draw = rng.random(len(member))
    is_partner = second & (role_draw < partner_chance)
    is_lodger = ~is_partner & ((ref_age < 20) | (rng.random(len(member)) < 0.1))
    is_child = ~is_partner & ~is_lodger

    # Partners: similar age, and of the opposite sex in nineteen homes out of twenty.
    partner_age = ref_age[is_partner] + np.rint(rng.normal(-1.5, 4.0, int(is_partner.sum())))
    ages[member[is_partner]] = partner_age.astype(np.int64)
    same_sex = rng.random(int(is_partner.sum())) < 0.05
    female[member[is_partner]] ^= ~same_sex

    # Children of a parent under 60 are mostly minors; older parents' children are adults.
    child_parent_age = ref_age[is_child]
    n_children = len(child_parent_age)
    oldest_minor = np.clip(child_parent_age - 18, 0, 17)
    minor_age = np.floor(rng.random(n_children) * (oldest_minor + 1)).astype(np.int64)
    adult_child = (child_parent_age >= 60) | (
        (child_parent_age >= 42) & (rng.random(n_children) < 0.15)
    )
    adult_child_age = np.maximum(child_parent_age - rng.integers(20, 41, n_children), 16)
    ages[member[is_child]] = np.where(adult_child, adult_child_age, minor_age)

    lodger_weights = _age_weights(_FAMILY_REFERENCE_SHARES)
    ages[member[is_lodger]] = rng.choice(_ADULT_AGES, size=int(is_lodger.sum()), p=lodger_weights)
    not_partner = member[~is_partner]
    female[not_partner] = rng.random(len(not_partner)) < 0.49
    return np.clip(ages, 0, MAX_AGE).astype(np.int64), female


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
    if len(effects) > 50_000:
        # A random subsample pins the intercepts to well under a percentage point.
        sample = effects[rng.choice(len(effects), 50_000, replace=False)]
    intercepts = np.log(target_shares)
    if len(sample) == 0:
        return intercepts
    for _ in range(40):
        logits = sample + intercepts
        probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
        shares = (probabilities / probabilities.sum(axis=1, keepdims=True)).mean(axis=0)
        if np.abs(shares - target_shares).max() < 1e-4:
            break
        intercepts = intercepts + np.log(target_shares / shares)
    return intercepts
