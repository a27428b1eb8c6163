"""Three outcomes for a measured risk: shown (refuse), ruled out (pass), or inconclusive.

A limit is a statement about the population, while every measure of an extract is an estimate
from a few thousand people. The gate therefore reads each measure with its 95 % interval:

- **refuse** when the evidence shows the risk: the interval lies wholly beyond the limit;
- **pass** when the evidence keeps within it (see each check for which end decides);
- otherwise the finding is **inconclusive**: the release is built, and a named approver must
  accept it by id, told what would settle it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from boroughkit.disclosure.inconclusive import InconclusiveFinding
from boroughkit.synth.evaluate.attacks import wilson
from boroughkit.synth.evaluate.sharing import figure

PASS, INCONCLUSIVE, REFUSE = "pass", "inconclusive", "refuse"

SETTLE_DP = "a differentially private synthesiser (dp_mst or dp_aim), whose guarantee covers it"


@dataclass(frozen=True)
class Estimate:
    """A measured value and its 95 % interval."""

    value: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        """True when the interval lies wholly above zero: an effect is shown."""
        return self.low > 0

    def shown_or_not(self) -> str:
        """Whether an effect above zero is shown, in words."""
        if self.excludes_zero:
            return "an effect above zero is shown (the interval excludes 0)"
        return "no effect is shown (the interval includes 0)"


def share_difference(
    successes: float, control_successes: int, trials: int, control_trials: int
) -> Estimate:
    """The difference of two rates (Wilson centres) with half-widths added in quadrature."""
    centre, half = wilson(round(successes), trials)
    control, control_half = wilson(control_successes, control_trials)
    error = math.hypot(half, control_half)
    return Estimate(
        successes / max(trials, 1) - control_successes / max(control_trials, 1),
        centre - control - error,
        centre - control + error,
    )


def share(successes: float, trials: int) -> Estimate:
    """A rate with its Wilson interval."""
    centre, half = wilson(round(successes), trials)
    return Estimate(successes / max(trials, 1), max(0.0, centre - half), min(1.0, centre + half))


def decide(estimate: Estimate, limit: float, *, pass_on_upper: bool) -> str:
    """Refuse when the interval lies above ``limit``; pass when the upper end (or, for
    ``pass_on_upper=False``, the estimate itself) is within it; else inconclusive."""
    if estimate.low > limit:
        return REFUSE
    within = estimate.high if pass_on_upper else estimate.value
    return PASS if within <= limit else INCONCLUSIVE


def records_to_settle(estimate: Estimate, limit: float, trials: int) -> int | None:
    """About how many records per side would bring the upper end to ``limit`` if the estimate
    held (half-widths shrink as 1/√n), to the nearest hundred; None when the estimate is at or
    above the limit (more records would rather show the risk)."""
    half = estimate.high - estimate.value
    if estimate.value >= limit or half <= 0:
        return None
    needed = trials * (half / (limit - estimate.value)) ** 2
    return int(math.ceil(needed / 100.0) * 100)


def inconclusive(
    finding_id: str, measure: str, estimate: Estimate, limit: float, settle: str
) -> InconclusiveFinding:
    """An inconclusive finding with its figures rounded as everything shared about real people
    (``evaluate.sharing``): the report leaves the analyst's machine."""
    return InconclusiveFinding(
        id=finding_id,
        measure=measure,
        estimate=figure(estimate.value),
        interval=(figure(max(estimate.low, -1.0)), figure(min(estimate.high, 1.0))),
        limit=figure(limit),
        settle=settle,
    )
