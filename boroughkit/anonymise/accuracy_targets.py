"""Accuracy first: the level split and the smallest ρ that give every level its margin of error.

An analyst states the ``moe95`` each level needs (``{oa: 6, ward: 10}``); a target is met when
the expected ``moe95`` of every area's cells at that level (away from zero, after the levels are
made consistent) is within it. With a split ``s`` fixed, each level's noise sd is
``sqrt(S / (2 ρ s_l))`` for sensitivity ``S``, so every GLS variance scales as ``1/ρ``: one
variance computation per split gives the smallest ρ of that split by a cheap bisection. The
split is then searched (Nelder-Mead on the shares' logarithms) to minimise that ρ; on a bundle
of many boroughs the search runs on a sample of them, and the final ρ is computed on all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd
import scipy.optimize

from boroughkit.anonymise.consistency import area_moe95, areas_moe95, default_level_split
from boroughkit.anonymise.gls import gls_variance
from boroughkit.anonymise.hierarchy import build_design, order_levels, small_matrix_threads
from boroughkit.errors import ConfigError

# Areas checked for the worst margin: the largest variances (rounding moves the rest < 1/4).
_WORST_AREAS = 64
# The largest ρ the search considers: beyond it a target is a rounding limit, not a budget one.
_LARGEST_RHO = 1e6
# Boroughs the split search samples on a bundle of many boroughs.
_SEARCH_BOROUGHS = 8
# Shares below this are not considered: a level measured with nothing would not be measured.
_SMALLEST_SHARE = 0.01


@dataclass(frozen=True)
class TargetPlan:
    """The split and the smallest ρ meeting the targets, and the worst ``moe95`` they give."""

    split: dict[str, Fraction]
    rho: float
    worst_moe95: dict[str, float]


def plan_for_targets(
    lookup: pd.DataFrame,
    levels: Sequence[str],
    targets: Mapping[str, float],
    sensitivity_squared: int,
) -> TargetPlan:
    """The level split and the smallest ρ whose worst-area ``moe95`` meets every target."""
    ordered = order_levels(levels)
    _check_reachable(targets)
    sample = _search_sample(lookup)
    with small_matrix_threads():
        search = _Problem(sample, ordered, targets, sensitivity_squared)
        start = np.log([float(share) for share in default_level_split(ordered).values()])
        found = scipy.optimize.minimize(
            search.log_rho,
            start[1:] - start[0],
            method="Nelder-Mead",
            options={"maxfev": 40 * len(ordered), "xatol": 0.02, "fatol": 0.002},
        )
        split = _as_fractions(search.split(found.x))
        shares = {level: float(share) for level, share in split.items()}
        full = (
            search if sample is lookup else _Problem(lookup, ordered, targets, sensitivity_squared)
        )
        rho = full.smallest_rho(shares)
        if not math.isfinite(rho):
            raise ConfigError(
                f"target_moe95 {dict(targets)} cannot be met at any budget up to ρ = "
                f"{_LARGEST_RHO:g}",
                fix="give larger targets",
            )
        worst = full.worst_moe95(shares, rho)
    return TargetPlan(split=split, rho=rho, worst_moe95=worst)


def worst_area_moe95(lookup: pd.DataFrame, levels_sigma: Mapping[str, float]) -> dict[str, float]:
    """The expected ``moe95`` of the worst area of each level with these noise sds."""
    return {level: float(moe.max()) for level, moe in areas_moe95(lookup, levels_sigma).items()}


class _Problem:
    """Variances of one design under candidate splits, and the ρ each split needs."""

    def __init__(
        self,
        lookup: pd.DataFrame,
        levels: tuple[str, ...],
        targets: Mapping[str, float],
        sensitivity_squared: int,
    ) -> None:
        self.design = build_design(lookup, levels)
        self.levels, self.targets = levels, dict(targets)
        self.sensitivity_squared = sensitivity_squared

    def split(self, free: np.ndarray) -> dict[str, float]:
        """Shares from log-weights relative to the finest level, each at least the floor."""
        weights = np.exp(np.concatenate([[0.0], np.clip(free, -30, 30)]))
        shares = np.maximum(weights / weights.sum(), _SMALLEST_SHARE)
        return dict(zip(self.levels, (shares / shares.sum()).tolist(), strict=True))

    def log_rho(self, free: np.ndarray) -> float:
        """The objective: log of the smallest ρ meeting the targets with this split."""
        return math.log(self.smallest_rho(self.split(free)))

    def smallest_rho(self, split: Mapping[str, float]) -> float:
        """The smallest ρ at which every targeted level's worst area meets its target."""
        sigmas_at_one = self._sigmas(split, 1.0)
        variance = gls_variance(self.design, sigmas_at_one)
        needed = 0.0
        for level, target in self.targets.items():
            worst = np.sort(variance[level])[-_WORST_AREAS:]
            needed = max(needed, _bisect_rho(worst, sigmas_at_one[level], target))
        return needed

    def worst_moe95(self, split: Mapping[str, float], rho: float) -> dict[str, float]:
        """The worst area's expected ``moe95`` of every level at ``rho``."""
        sigmas = self._sigmas(split, rho)
        variance = gls_variance(self.design, sigmas)
        return {
            level: float(area_moe95(variance[level], sigmas[level]).max()) for level in self.levels
        }

    def _sigmas(self, split: Mapping[str, float], rho: float) -> dict[str, float]:
        return {
            level: math.sqrt(self.sensitivity_squared / (2.0 * rho * share))
            for level, share in split.items()
        }


def _bisect_rho(variance_at_one: np.ndarray, sigma_at_one: float, target: float) -> float:
    """The smallest ρ with ``area_moe95(V/ρ, σ/sqrt(ρ)) <= target`` for all given areas."""

    def worst(rho: float) -> float:
        return float(area_moe95(variance_at_one / rho, sigma_at_one / math.sqrt(rho)).max())

    low, high = 1e-9, _LARGEST_RHO
    if worst(high) > target:
        return math.inf
    for _ in range(80):
        middle = math.sqrt(low * high)
        low, high = (low, middle) if worst(middle) <= target else (middle, high)
        if high / low < 1 + 1e-6:
            break
    return high


def _check_reachable(targets: Mapping[str, float]) -> None:
    """Refuse a target below what rounding alone leaves (a published whole number's error)."""
    floor = float(area_moe95(np.zeros(1), 1e-9)[0])
    below = {level: target for level, target in targets.items() if target <= floor}
    if below:
        raise ConfigError(
            f"target_moe95 {below} cannot be met: a published whole number keeps a margin of "
            f"at least ±{floor:.2f} from rounding, whatever the budget",
            fix=f"give targets above {floor:.2f}",
        )


def _search_sample(lookup: pd.DataFrame) -> pd.DataFrame:
    """The lookup, or a sample of its boroughs (evenly spread in code order) when many."""
    boroughs = sorted(lookup["borough_code"].astype(str).unique())
    if len(boroughs) <= _SEARCH_BOROUGHS:
        return lookup
    step = len(boroughs) / _SEARCH_BOROUGHS
    chosen = {boroughs[int(i * step)] for i in range(_SEARCH_BOROUGHS)}
    return lookup[lookup["borough_code"].astype(str).isin(chosen)]


def _as_fractions(split: Mapping[str, float]) -> dict[str, Fraction]:
    """Shares as exact fractions (to 1/1000, at least 1/1000 each) summing to 1."""
    thousandths = {level: max(1, round(share * 1000)) for level, share in split.items()}
    total = sum(thousandths.values())
    return {level: Fraction(part, total) for level, part in thousandths.items()}
