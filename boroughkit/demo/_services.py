"""Which council services each synthetic resident receives, and rent arrears.

Each service is a logistic model over household need, tenure, band and age, with its intercept
calibrated so the borough-wide rate lands near a Barking-and-Dagenham-like target. A shared
household need term makes services cluster in the same homes and areas, as they do in practice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from boroughkit.demo.schema import MAX_RENT_ARREARS_GBP, SERVICE_FLAGS, TENURES

_SOCIAL, _PRIVATE = TENURES.index("social_rented"), TENURES.index("private_rented")
_MORTGAGE = TENURES.index("owned_mortgage")
_CALIBRATION_SAMPLE = 50_000


@dataclass(frozen=True)
class PersonContext:
    """Person-level inputs of the service models (households already broadcast to persons)."""

    age: np.ndarray
    household: np.ndarray  # household index per person
    tenure: np.ndarray
    band: np.ndarray  # 0 = A .. 7 = H
    need: np.ndarray  # household need, standard normal-ish
    household_size: np.ndarray  # size of the person's household


def _sigmoid(values: np.ndarray) -> np.ndarray:
    """Logistic function, numerically safe for large magnitudes."""
    return 0.5 * (1.0 + np.tanh(0.5 * values))


def _calibrated_draw(
    effects: np.ndarray, eligible: np.ndarray, rate: float, rng: np.random.Generator
) -> np.ndarray:
    """Draw a flag for the eligible rows with a mean of ``rate`` among them; False elsewhere."""
    flags = np.zeros(len(effects), dtype=bool)
    chosen = effects[eligible]
    if len(chosen) == 0 or rate <= 0:
        return flags
    # A subsample pins the intercept far more tightly than the draws themselves vary.
    sample = (
        chosen if len(chosen) <= _CALIBRATION_SAMPLE else rng.choice(chosen, _CALIBRATION_SAMPLE)
    )
    intercept = float(np.log(rate / (1.0 - rate)) - np.median(sample))
    for _ in range(30):  # Newton steps on the mean probability, which rises with the intercept
        probability = _sigmoid(sample + intercept)
        gap = float(probability.mean()) - rate
        if abs(gap) < 1e-6:
            break
        slope = max(float((probability * (1.0 - probability)).mean()), 1e-6)
        intercept -= float(np.clip(gap / slope, -2.0, 2.0))
    flags[eligible] = rng.random(len(chosen)) < _sigmoid(chosen + intercept)
    return flags


def _in_household(flags: np.ndarray, household: np.ndarray, n_households: int) -> np.ndarray:
    """Per household: does any member have the flag."""
    return np.bincount(household, weights=flags, minlength=n_households) > 0


def service_flags(context: PersonContext, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A boolean array per service in SERVICE_FLAGS, one entry per person."""
    age, tenure, need, band = context.age, context.tenure, context.need, context.band
    household = context.household
    n_households = int(household.max(initial=-1)) + 1
    adult, child = age >= 18, age < 18
    social, private = tenure == _SOCIAL, tenure == _PRIVATE
    renting, owner = social | private, ~(social | private)
    n_adults = max(int(adult.sum()), 1)

    # Council tax support: ~15% of adults, mostly social renters in low bands.
    cts_effect = 1.3 * need + 1.8 * social + 0.9 * private - 0.8 * (tenure == _MORTGAGE)
    cts_effect += 0.3 * (band <= 1) - 0.3 * (band == 3) - 1.2 * (band >= 4) + 0.3 * (age >= 65)
    cts = _calibrated_draw(cts_effect, adult, 0.15, rng)

    # Housing benefit: ~12% of adults, only in rented homes, strongly tied to support.
    hb_rate = 0.12 * n_adults / max(int((adult & renting).sum()), 1)
    hb_effect = 1.2 * need + 2.0 * cts + 0.5 * social
    hb = _calibrated_draw(hb_effect, adult & renting, min(hb_rate, 0.9), rng)
    hb_home = _in_household(hb, household, n_households)[household]

    # Free school meals: ~25% of school-age children (4 to 16).
    school_age = (age >= 4) & (age <= 16)
    fsm = _calibrated_draw(1.2 * need + 1.5 * hb_home + 0.7 * social, school_age, 0.25, rng)

    # Homelessness prevention and temporary accommodation are household cases (~1% of people).
    home_effect = need + 1.5 * (tenure == _PRIVATE) + 0.5 * social - 2.0 * owner
    everyone = np.ones(len(age), dtype=bool)
    hp_household = _household_case(home_effect, household, everyone, 0.01, rng)
    renting_share = max(float(renting.sum()) / max(len(age), 1), 1e-9)
    ta_effect = need + 0.6 * private + 0.3 * (np.minimum(context.household_size, 6) - 3)
    # Renting homes are larger than average: 0.8% of them holds about 1% of people.
    ta_rate = min(0.008 / renting_share, 0.9)
    ta_household = _household_case(ta_effect, household, renting, ta_rate, rng)

    # Adult social care: ~3% of adults, mostly 65+, otherwise adults with a disability.
    disability = rng.normal(size=len(age))
    asc_effect = np.select([age >= 85, age >= 75, age >= 65], [5.0, 4.0, 3.0], 1.2 * disability)
    asc = _calibrated_draw(asc_effect + 0.3 * need, adult, 0.03, rng)

    # Children's early help: ~3% of under-18s, where homes are under strain.
    strain = hp_household[household] | ta_household[household]
    early_help = _calibrated_draw(1.3 * need + 1.5 * strain + 0.5 * social, child, 0.03, rng)

    flags = [cts, hb, fsm, hp_household[household], ta_household[household], asc, early_help]
    return dict(zip(SERVICE_FLAGS, flags, strict=True))


def _household_case(
    person_effect: np.ndarray,
    household: np.ndarray,
    person_eligible: np.ndarray,
    rate: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """A per-household flag with ``rate`` among eligible households.

    Inputs are per person but constant within a household; persons of a household are contiguous.
    """
    first = np.ones(len(household), dtype=bool)
    first[1:] = household[1:] != household[:-1]
    return _calibrated_draw(person_effect[first], person_eligible[first], rate, rng)


def rent_arrears(
    context: PersonContext,
    housing_benefit: np.ndarray,
    position: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Rent arrears in pounds: held by the named tenant of a rented home, most owing nothing.

    About a fifth of tenancies are in arrears; amounts are log-normal, so a few are very large.
    """
    tenant = (position == 0) & ((context.tenure == _SOCIAL) | (context.tenure == _PRIVATE))
    effect = context.need + 0.6 * (context.tenure == _SOCIAL) + 0.5 * housing_benefit
    in_arrears = _calibrated_draw(effect, tenant, 0.2, rng)
    amounts = rng.lognormal(mean=np.log(450.0) + 0.3 * context.need, sigma=1.1)
    amounts = np.round(np.minimum(amounts, MAX_RENT_ARREARS_GBP), 2)
    return np.where(in_arrears, np.maximum(amounts, 0.01), 0.0)
