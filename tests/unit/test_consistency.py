"""Consistent DP estimates across levels: exact sums, GLS, controlled rounding, errors, split."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from boroughkit.anonymise.consistency import (
    LevelMeasurement,
    default_level_split,
    expected_moe95,
    reconcile,
)
from boroughkit.anonymise.gls import fit_gls
from boroughkit.anonymise.hierarchy import build_design
from boroughkit.errors import ConfigError, DataError
from boroughkit.privacy.opendp_adapter import calibrated_level_sigmas
from tests.helpers.consistency import (
    LEVELS,
    demo_like_counts,
    demo_like_lookup,
    level_truth,
    multi_borough_lookup,
)
from tests.helpers.shared_data import ons_lookup


def measure(lookup, counts, sigmas, rng, exact=False):
    """Noisy measurements of each level (discrete Gaussian simulated with numpy)."""
    measurements = []
    for level, sigma in sigmas.items():
        codes, truth, _ = level_truth(lookup, counts, level)
        noise = 0 if exact else np.rint(rng.normal(0, sigma, truth.shape)).astype(np.int64)
        order = rng.permutation(len(codes))  # measurements may list areas in any order
        measurements.append(
            LevelMeasurement(level, [codes[i] for i in order], (truth + noise)[order], sigma)
        )
    return measurements


def sums_to(lookup, fine: str, coarse: str, released) -> np.ndarray:
    """The fine level's published cells summed into the coarse level's areas."""
    pairs = lookup[[f"{fine}_code", f"{coarse}_code"]].drop_duplicates()
    parent = dict(zip(pairs[f"{fine}_code"], pairs[f"{coarse}_code"], strict=True))
    position = {code: row for row, code in enumerate(released[coarse].codes)}
    summed = np.zeros_like(released[coarse].values)
    for row, code in enumerate(released[fine].codes):
        summed[position[parent[code]]] += released[fine].values[row]
    return summed


NESTS = {("oa", c) for c in LEVELS[1:]} | {
    ("lsoa", "msoa"),
    ("lsoa", "borough"),
    ("msoa", "borough"),
    ("ward", "borough"),
}
LEVEL_SETS = [
    ("oa", "ward", "borough"),
    LEVELS,
    ("lsoa", "ward"),
    ("ward", "msoa"),
    ("lsoa", "msoa", "borough"),
    ("oa",),
    ("borough",),
]


@pytest.mark.parametrize("levels", LEVEL_SETS)
def test_release_is_consistent_nonnegative_and_integer(levels):
    lookup = demo_like_lookup()
    counts = demo_like_counts(lookup)
    rng = np.random.default_rng()
    sigmas = calibrated_level_sigmas(default_level_split(levels), Fraction(1, 2))
    released = reconcile(lookup, measure(lookup, counts, sigmas, rng), rng)
    assert set(released) == set(levels)
    for level, result in released.items():
        codes, _, _ = level_truth(lookup, counts, level)
        assert result.codes == codes
        assert result.values.dtype == np.int64 and (result.values >= 0).all()
        assert result.values.shape == (len(codes), counts.shape[1])
        np.testing.assert_array_equal(result.total, result.values.sum(axis=1))
        assert (result.moe95 > 0).all() and result.moe95.shape == result.values.shape
        assert (result.total_moe95 > 0).all() and result.total_moe95.shape == result.total.shape
    for fine, coarse in NESTS:
        if fine in released and coarse in released:
            np.testing.assert_array_equal(
                sums_to(lookup, fine, coarse, released),
                released[coarse].values,
                err_msg=f"{fine}->{coarse}",
            )
    if "ward" in released and "msoa" in released:  # crossing levels agree on the borough
        np.testing.assert_array_equal(
            released["ward"].values.sum(axis=0), released["msoa"].values.sum(axis=0)
        )


@pytest.mark.parametrize("levels", [("oa", "ward", "borough"), LEVELS, ("lsoa", "ward")])
def test_noise_free_measurements_come_back_exactly(levels):
    lookup = demo_like_lookup()
    counts = demo_like_counts(lookup)
    rng = np.random.default_rng()
    sigmas = dict(zip(levels, [1.0, 2.5, 0.7, 4.0, 1.5], strict=False))
    released = reconcile(lookup, measure(lookup, counts, sigmas, rng, exact=True), rng)
    for level, result in released.items():
        np.testing.assert_array_equal(result.values, level_truth(lookup, counts, level)[1])


@pytest.mark.parametrize("levels", [("oa", "ward", "borough"), LEVELS, ("lsoa", "ward")])
def test_every_published_cell_is_within_one_of_its_gls_estimate(levels):
    # Large counts: nothing is cut at zero, so publishing is controlled rounding of the GLS fit.
    lookup = demo_like_lookup()
    counts = demo_like_counts(lookup) + 50
    rng = np.random.default_rng()
    sigmas = dict(zip(levels, [1.3, 2.0, 1.1, 1.8, 3.0], strict=False))
    measurements = measure(lookup, counts, sigmas, rng)
    released = reconcile(lookup, measurements, rng)
    design = build_design(lookup, levels)
    values = {}
    for m in measurements:
        order = np.argsort(m.codes)
        values[m.level] = m.values[order]
    fit = fit_gls(design, values, sigmas)
    for level, result in released.items():
        estimate = design.members[level] @ fit.atoms
        assert (np.abs(result.values - estimate) < 1 + 1e-6).all(), level


def stacked_design(design, levels, sigmas):
    rows = [design.members[level].toarray() / sigmas[level] for level in levels]
    return np.vstack(rows)


@pytest.mark.parametrize("boroughs", [1, 3])
@pytest.mark.parametrize(
    "levels",
    [
        ("oa", "ward", "borough"),
        LEVELS,
        ("ward", "msoa"),
        ("lsoa", "ward"),
        ("msoa", "borough"),
        (*LEVELS, "region"),
        ("oa", "ward", "region"),
        ("lsoa", "ward", "region"),
        ("msoa", "region"),
        ("region",),
    ],
)
def test_gls_matches_weighted_least_squares(levels, boroughs):
    """The borough-by-borough solve equals a dense weighted least squares over every atom."""
    lookup = multi_borough_lookup(boroughs)
    design = build_design(lookup, levels)
    rng = np.random.default_rng()
    sigmas = {
        level: float(s) for level, s in zip(levels, rng.uniform(0.5, 3, len(levels)), strict=True)
    }
    values = {level: rng.normal(20, 5, (len(design.codes[level]), 3)) for level in levels}
    fit = fit_gls(design, values, sigmas)
    weighted = stacked_design(design, levels, sigmas)
    target = np.vstack([values[level] / sigmas[level] for level in levels])
    solution = np.linalg.lstsq(weighted, target, rcond=None)[0]
    covariance = np.linalg.pinv(weighted.T @ weighted)
    for level in design.area_of_atom:  # estimable area totals agree even without identifiability
        member = design.members[level].toarray()
        np.testing.assert_allclose(member @ fit.atoms, member @ solution, atol=1e-5)
        np.testing.assert_allclose(
            fit.variance[level], np.diag(member @ covariance @ member.T), rtol=1e-5
        )


def test_real_lbbd_lookup_reconciles_all_levels_consistently():
    lookup = ons_lookup()
    residents = lookup["population"].to_numpy()
    counts = np.column_stack([residents // 2, residents - residents // 2, residents % 7])
    rng = np.random.default_rng()
    sigmas = calibrated_level_sigmas(default_level_split(LEVELS), Fraction(1, 2))
    released = reconcile(lookup, measure(lookup, counts, sigmas, rng), rng)
    assert len(released["oa"].codes) == 581 and len(released["ward"].codes) == 19
    for coarse in ("lsoa", "msoa", "ward", "borough"):
        np.testing.assert_array_equal(
            sums_to(lookup, "oa", coarse, released), released[coarse].values
        )


def test_five_thousand_atoms_still_reconcile():
    lookup = demo_like_lookup(n_oa=5000, n_lsoa=1000, n_msoa=200, n_ward=150)
    counts = demo_like_counts(lookup)[:, :3]
    rng = np.random.default_rng()
    levels = ("oa", "ward", "borough")
    released = reconcile(lookup, measure(lookup, counts, {lv: 1.5 for lv in levels}, rng), rng)
    np.testing.assert_array_equal(sums_to(lookup, "oa", "ward", released), released["ward"].values)


def one_level(values=None, codes=None, level="msoa", sigma=1.0):
    lookup = demo_like_lookup()
    codes = codes if codes is not None else sorted(lookup["msoa_code"].unique())
    values = values if values is not None else np.ones((len(codes), 2), dtype=np.int64)
    return lookup, LevelMeasurement(level, codes, values, sigma)


def test_missing_area_is_named():
    lookup, m = one_level()
    short = LevelMeasurement("msoa", m.codes[1:], m.values[1:], 1.0)
    with pytest.raises(DataError, match="missing \\['MSOA000'\\]") as error:
        reconcile(lookup, [short], np.random.default_rng())
    assert "empty areas too" in str(error.value)


def test_unknown_area_is_named():
    lookup, m = one_level()
    codes = [*m.codes[:-1], "MSOA999"]
    with pytest.raises(DataError, match="unknown \\['MSOA999'\\]"):
        reconcile(lookup, [LevelMeasurement("msoa", codes, m.values, 1.0)], np.random.default_rng())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sigma": 0.0}, "noise sd 0.0"),
        ({"sigma": float("nan")}, "noise sd nan"),
        ({"values": np.ones(25)}, "shape \\(25,\\)"),
        ({"level": "county"}, "unknown geography level"),
    ],
)
def test_bad_measurements_are_refused(change, message):
    lookup, m = one_level()
    fields = {"level": m.level, "codes": m.codes, "values": m.values, "sigma": m.sigma} | change
    with pytest.raises(DataError, match=message):
        reconcile(lookup, [LevelMeasurement(**fields)], np.random.default_rng())


def test_level_measured_twice_or_with_other_categories_is_refused():
    lookup, m = one_level()
    with pytest.raises(DataError, match="measured twice"):
        reconcile(lookup, [m, m], np.random.default_rng())
    borough = LevelMeasurement("borough", ["B01"], np.ones((1, 3), dtype=np.int64), 1.0)
    with pytest.raises(DataError, match="different numbers of categories"):
        reconcile(lookup, [m, borough], np.random.default_rng())
    with pytest.raises(DataError, match="no measurements"):
        reconcile(lookup, [], np.random.default_rng())


def test_lookup_that_does_not_nest_is_refused():
    lookup, m = one_level()
    lookup.loc[0, "msoa_code"] = "MSOA001"  # LSOA0000 now spans MSOA000 and MSOA001
    lsoa = LevelMeasurement(
        "lsoa", sorted(lookup["lsoa_code"].unique()), np.ones((120, 2), dtype=np.int64), 1.0
    )
    with pytest.raises(DataError, match="lie in more than one msoa"):
        reconcile(lookup, [lsoa, m], np.random.default_rng())


def test_lookup_without_a_level_column_is_refused():
    lookup, m = one_level()
    with pytest.raises(DataError, match="no column\\(s\\) \\['msoa_code'\\]"):
        reconcile(lookup.drop(columns="msoa_code"), [m], np.random.default_rng())


@pytest.mark.parametrize(
    "levels",
    [("oa",), ("oa", "ward", "borough"), LEVELS, ("ward", "msoa"), ("borough", "lsoa", "lsoa")],
)
def test_default_split_is_exact_and_favours_the_finest_level(levels):
    split = default_level_split(levels)
    assert sum(split.values()) == 1
    assert all(isinstance(share, Fraction) and share > 0 for share in split.values())
    assert set(split) == set(levels)
    finest = next(level for level in LEVELS if level in levels)
    assert split[finest] == max(split.values())


def test_default_split_for_oa_ward_borough():
    assert default_level_split(["borough", "oa", "ward"]) == {
        "oa": Fraction(3, 5),
        "ward": Fraction(3, 10),
        "borough": Fraction(1, 10),
    }


@pytest.mark.parametrize("levels", [[], ["oa", "county"]])
def test_default_split_refuses_bad_levels(levels):
    with pytest.raises(ConfigError):
        default_level_split(levels)


def test_level_sigmas_follow_the_zcdp_gaussian_mechanism():
    split = {"oa": Fraction(3, 5), "ward": Fraction(2, 5)}
    sigmas = calibrated_level_sigmas(split, Fraction(1, 2), 2)
    # rho_l = D2 / (2 sigma_l^2) must give back the level's share of rho (OpenDP's calibration
    # only rounds the textbook scale up by float ulps).
    assert sigmas["oa"] == pytest.approx(np.sqrt(2 / (2 * 0.5 * 0.6)))
    assert 2.0 / (2 * sigmas["ward"] ** 2) == pytest.approx(0.5 * 0.4)


def test_expected_moe_of_a_single_level_is_its_noise_plus_jitter():
    lookup = demo_like_lookup()
    preview = expected_moe95(lookup, {"ward": 2.0})
    assert preview["ward"] == pytest.approx(1.959964 * np.sqrt(4 + 1 / 6), rel=1e-5)


def test_expected_moe_previews_the_published_margins():
    lookup = demo_like_lookup()
    counts = demo_like_counts(lookup) + 40  # away from zero, where the preview applies
    levels = ("oa", "ward", "borough")
    sigmas = calibrated_level_sigmas(default_level_split(levels), Fraction(1, 2))
    preview = expected_moe95(lookup, sigmas)
    rng = np.random.default_rng()
    published = {level: [] for level in levels}
    for _ in range(10):
        for level, result in reconcile(lookup, measure(lookup, counts, sigmas, rng), rng).items():
            published[level].append(result.moe95.mean())
    assert preview["oa"] < preview["ward"] < preview["borough"]
    for level in levels:
        assert np.mean(published[level]) == pytest.approx(preview[level], rel=0.06), level


@pytest.mark.parametrize("levels", [LEVELS, (*LEVELS, "region"), ("oa", "msoa", "region")])
def test_several_boroughs_reconcile_exactly_across_boroughs(levels):
    lookup = multi_borough_lookup(4)
    counts = demo_like_counts(lookup)[:, :4]
    rng = np.random.default_rng()
    sigmas = {level: 2.0 for level in levels}
    released = reconcile(lookup, measure(lookup, counts, sigmas, rng), rng)
    assert len(released[levels[-1]].codes) == (2 if "region" in levels else 4)
    for coarse in levels[1:]:
        np.testing.assert_array_equal(
            sums_to(lookup, "oa", coarse, released), released[coarse].values
        )
    assert (released["oa"].values >= 0).all()
