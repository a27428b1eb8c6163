"""Repeated releases of a demo-like borough: unbiased, calibrated margins, accuracy vs baselines.

Nothing here is seeded: the noise is fresh in every run and every assertion is a tolerance band
derived from the noise scale (or the product targets). Repetitions are stacked as extra
category columns of one release: categories share the design but get independent noise,
projection and rounding, so each column block is an independent release of the same table.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from boroughkit.anonymise.consistency import (
    LevelMeasurement,
    default_level_split,
    reconcile,
)
from boroughkit.privacy.opendp_adapter import calibrated_level_sigmas
from tests.helpers.consistency import demo_like_counts, demo_like_lookup, level_truth

pytestmark = pytest.mark.slow

RHO = Fraction(1, 2)
TABLE_SEED = 2021  # a fixed input table, not noise


def discrete_gaussian(rng: np.random.Generator, sigma: float, shape) -> np.ndarray:
    """Exact discrete Gaussian draws (the test's stand-in for OpenDP's sampler)."""
    support = np.arange(-int(12 * sigma) - 1, int(12 * sigma) + 2)
    weights = np.exp(-(support**2) / (2 * sigma**2))
    return rng.choice(support, size=shape, p=weights / weights.sum())


def release(lookup, counts, levels, repetitions, rng, split=None):
    """``repetitions`` independent releases stacked as column blocks; and the truths."""
    sigmas = calibrated_level_sigmas(split or default_level_split(levels), RHO)
    stacked = np.tile(counts, (1, repetitions))
    measurements, truths = [], {}
    for level in levels:
        codes, truth, _ = level_truth(lookup, stacked, level)
        noisy = truth + discrete_gaussian(rng, sigmas[level], truth.shape)
        measurements.append(LevelMeasurement(level, codes, noisy, sigmas[level]))
        truths[level] = truth
    return reconcile(lookup, measurements, rng), truths


def covered(result, truth) -> np.ndarray:
    return np.abs(result.values - truth) <= result.moe95


def check_calibrated_and_unbiased(released, truths, *, band_levels):
    """Shared assertions: integers >= 0, coverage 94-96% for true counts >= 1, bias >= 10.

    The finest level carries the bias that non-negativity moves from small cells to their
    siblings, so only the product target (±0.1) applies there; coarser levels are held to
    five standard errors of their mean error.
    """
    finest = next(iter(released))
    hits_nonzero, hits_zero = [], []
    for level, result in released.items():
        truth = truths[level]
        assert (result.values >= 0).all()
        error = result.values - truth
        hit = covered(result, truth)
        hits_nonzero.append(hit[truth >= 1])
        hits_zero.append(hit[truth == 0])
        large = truth >= 10
        spread = error[large].std() / np.sqrt(large.sum())
        # Product target for cells >= 10 at the finest level; 5 standard errors elsewhere.
        bound = 0.1 if level == finest else max(5 * spread, 0.02)
        assert abs(error[large].mean()) <= bound, (level, error[large].mean(), bound)
        if level in band_levels:
            rate = hit[truth >= 1].mean()
            assert 0.94 <= rate <= 0.96, (level, rate)
    overall = np.concatenate(hits_nonzero).mean()
    assert 0.94 <= overall <= 0.96, overall
    zeros = np.concatenate(hits_zero)
    if len(zeros):  # a true zero can only be missed from above: at least the nominal 95%
        assert zeros.mean() >= 0.95 - 3 * np.sqrt(0.05 * 0.95 / len(zeros))


def test_oa_ward_borough_release_is_unbiased_calibrated_and_beats_summing_oas():
    lookup = demo_like_lookup()
    counts = demo_like_counts(lookup, seed=TABLE_SEED)
    levels = ("oa", "ward", "borough")
    repetitions = 500
    rng = np.random.default_rng()
    released, truths = release(lookup, counts, levels, repetitions, rng)
    check_calibrated_and_unbiased(released, truths, band_levels=levels)
    # Exact consistency in every repetition.
    _, _, ward_of_oa = level_truth(lookup, counts, "ward")
    ward_sums = np.zeros_like(released["ward"].values)
    np.add.at(ward_sums, ward_of_oa, released["oa"].values)
    np.testing.assert_array_equal(ward_sums, released["ward"].values)
    np.testing.assert_array_equal(released["oa"].values.sum(axis=0), released["borough"].values[0])
    all_cells = np.concatenate([covered(r, truths[lv]).ravel() for lv, r in released.items()])
    assert 0.94 <= all_cells.mean() <= 0.96
    # Baseline: the raw noisy OA counts with the whole budget at OA, summed to the level. A sum
    # of n discrete Gaussians of scale s (s >= 1) is Gaussian to within 1e-6 in variance, so
    # its mean absolute error is sqrt(2 / pi) * s * sqrt(n), computed rather than simulated.
    full = calibrated_level_sigmas({"oa": Fraction(1)}, RHO)["oa"]
    for level, target in (("ward", 1 / 3), ("borough", 1 / 8)):
        _, _, area_of_oa = level_truth(lookup, counts, level)
        oas = np.bincount(area_of_oa)
        baseline = np.sqrt(2 / np.pi) * full * np.sqrt(oas).mean()
        ours = np.abs(released[level].values - truths[level]).mean()
        assert ours <= target * baseline, (level, ours / baseline)


def test_whole_budget_at_oa_costs_no_oa_accuracy_after_post_processing():
    lookup = demo_like_lookup()
    counts = demo_like_counts(lookup, seed=TABLE_SEED)
    rng = np.random.default_rng()
    released, truths = release(lookup, counts, ("oa",), 200, rng, split={"oa": Fraction(1)})
    sigma = calibrated_level_sigmas({"oa": Fraction(1)}, RHO)["oa"]
    raw = truths["oa"] + discrete_gaussian(rng, sigma, truths["oa"].shape)
    ours = np.abs(released["oa"].values - truths["oa"]).mean()
    assert ours <= 1.05 * np.abs(raw - truths["oa"]).mean()


def test_five_levels_with_wards_across_msoas_are_unbiased_and_calibrated():
    lookup = demo_like_lookup()
    # One common, one middling and two rare categories.
    counts = demo_like_counts(lookup, seed=TABLE_SEED)[:, [0, 4, 6, 7]]
    levels = ("oa", "lsoa", "msoa", "ward", "borough")
    released, truths = release(lookup, counts, levels, 120, np.random.default_rng())
    check_calibrated_and_unbiased(released, truths, band_levels=("oa", "lsoa", "msoa", "ward"))


def test_lsoa_and_ward_without_oas_are_unbiased_and_calibrated():
    lookup = demo_like_lookup()
    counts = demo_like_counts(lookup, seed=TABLE_SEED)
    levels = ("lsoa", "ward")
    released, truths = release(lookup, counts, levels, 150, np.random.default_rng())
    check_calibrated_and_unbiased(released, truths, band_levels=levels)
    np.testing.assert_array_equal(
        released["lsoa"].values.sum(axis=0), released["ward"].values.sum(axis=0)
    )


def test_area_totals_are_unbiased_and_calibrated_over_separate_releases():
    lookup = demo_like_lookup()
    counts = demo_like_counts(lookup, seed=TABLE_SEED)
    levels = ("oa", "ward", "borough")
    rng = np.random.default_rng()
    hits, errors = {lv: [] for lv in levels}, {lv: [] for lv in levels}
    for _ in range(80):
        released, truths = release(lookup, counts, levels, 1, rng)
        for level, result in released.items():
            truth = truths[level].sum(axis=1)
            hits[level].append(np.abs(result.total - truth) <= result.total_moe95)
            errors[level].append(result.total - truth)
    assert 0.94 <= np.mean(hits["oa"]) <= 0.96
    assert 0.93 <= np.mean(np.concatenate(hits["ward"])) <= 0.97  # 1,600 totals: wider band
    for level in levels:
        error = np.concatenate(errors[level])
        assert abs(error.mean()) <= max(5 * error.std() / np.sqrt(len(error)), 0.05), level
