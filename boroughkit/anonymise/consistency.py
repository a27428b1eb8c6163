"""One consistent, non-negative, integer estimate from independent noisy levels.

A ``dp-tables`` release measures each requested level ``l`` (OA, LSOA, MSOA, ward, borough)
independently: ``y_l = A_l x + e_l``, where ``x`` holds the true counts of the *atoms* (groups
of OAs with the same codes at every requested level, see :mod:`.hierarchy`), ``A_l`` sums atoms
into areas and ``e_l`` is discrete Gaussian noise of scale ``sigma_l``. :func:`reconcile` turns
these into one table a statistician can sign:

1. **GLS.** ``x_hat = (sum A_l' A_l / sigma_l**2)^-1 sum A_l' y_l / sigma_l**2``, one factor for
   all category columns. Every area's estimate ``A_l x_hat`` is unbiased with the exact variance
   ``V = diag(A_l N^-1 A_l')``.
2. **Non-negativity, top-down.** The borough estimate is cut at 0; then, down the exact chain
   (borough → MSOA → LSOA → atoms, or borough → ward → atoms), each parent's children are
   projected onto ``{>= 0, sum = parent}``. When wards cross the chain, the pieces (finest chain
   area ∩ ward) are fitted to both the chain areas and the wards (each projected the same way),
   then atoms to their piece. No area is moved by its children, so the bias that cutting at
   zero adds to a small cell is taken back from its siblings of the same parent and category,
   not passed up to wards, MSOAs or the borough.
3. **Controlled rounding.** Every area of every level is rounded to the floor or the ceiling of
   its value from step 2, in expectation to that value, with all sums kept (:mod:`.rounding`).
   Published areas are sums of the published atoms; an area's total is the sum of its cells.

**Margin of error.** The published error of a cell is ``e = gls error + projection shift +
rounding``, with variance ``V + p(1 - p)`` away from zero (``p`` the fraction rounded). ``e`` is
an integer, so a fixed half-width covers it with a probability that jumps with the lattice
(from under 90% to 98% at the noise scales used). ``moe95`` is therefore a randomised
half-integer ``floor(a + j) + 1/2`` with ``j`` triangular on ``(-1, 1)``: then ``P(|e| <= moe95)
= P(|e| + j <= a)``, a smoothed error of variance ``var(e) + 1/6``, so ``a = 1.96 *
sqrt(V + p(1 - p) + 1/6)`` covers 95% whatever the lattice, and ``moe95`` has mean ``a``.
Near zero, a symmetric interval around a value that cannot go negative would over-cover. So
when the GLS interval ``x_hat + j ± 1.96 * sqrt(V + 1/6)`` reaches below zero, the published
interval is that GLS interval cut at zero, ``[0, floor(upper)]``, written as ``value ± moe95``
(``moe95 >= value``; read a lower limit below 0 as 0). Cutting at zero loses no coverage, as
counts are never negative, and the GLS interval is unbiased, so every true count >= 1 is
covered 95% of the time (on the demo borough: 94.9-95.1% for true counts >= 5, 95.5-96% for
1 to 4, where the siblings' share of cut-off zeros makes it slightly conservative). A true zero
is covered at least 97.5% of the time (measured 99%), because an interval is never empty. That
is the guarantee: 95% for every cell whose true count is not zero, and at least 95% for zeros.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from boroughkit.anonymise import rounding
from boroughkit.anonymise.gls import fit_gls, gls_variance
from boroughkit.anonymise.hierarchy import (
    AtomDesign,
    build_design,
    order_levels,
    rows_in_order,
    small_matrix_threads,
)
from boroughkit.errors import ConfigError, DataError
from boroughkit.terms import Z95

# Variance of the triangular jitter on (-1, 1) that smooths integer errors (see _halfwidth).
_JITTER_VARIANCE = 1.0 / 6.0
# Default budget weights: the finest requested level gets _FINEST_WEIGHT, coarser ones these.
# Tuned on the demo borough (600 OAs, 20 wards) at rho = 0.5: see benchmarks/.
_FINEST_WEIGHT = 6
_COARSE_WEIGHTS = {"lsoa": 3, "msoa": 3, "ward": 3, "borough": 1, "region": 1}


@dataclass(frozen=True)
class LevelMeasurement:
    """Noisy counts of one level: areas (rows, in ``codes`` order) × categories."""

    level: str
    codes: Sequence[str]
    values: np.ndarray
    sigma: float


@dataclass(frozen=True)
class ReconciledLevel:
    """Published counts of one level, consistent with every other level, with margins of error."""

    level: str
    codes: list[str]
    values: np.ndarray
    moe95: np.ndarray
    total: np.ndarray
    total_moe95: np.ndarray


def reconcile(
    lookup: pd.DataFrame,
    measurements: Sequence[LevelMeasurement],
    rng: np.random.Generator,
) -> dict[str, ReconciledLevel]:
    """Turn independent noisy measurements of several levels into one consistent release.

    Every returned cell is a non-negative integer and every area is the sum of the atoms inside
    it, so OAs sum exactly to LSOAs, MSOAs, wards (through the best-fit lookup) and the borough;
    ``total`` is the sum of an area's category cells. ``codes`` are sorted. ``moe95`` is the
    half-width of a 95% interval around each published value (module docstring).
    """
    by_level = _check_measurements(measurements)
    with small_matrix_threads():
        return _reconcile(lookup, by_level, rng)


def _reconcile(
    lookup: pd.DataFrame, by_level: Mapping[str, LevelMeasurement], rng: np.random.Generator
) -> dict[str, ReconciledLevel]:
    """:func:`reconcile` after the measurements are checked."""
    design = build_design(lookup, list(by_level))
    values = {
        level: rows_in_order(level, m.codes, m.values, design.codes[level])
        for level, m in by_level.items()
    }
    fit = fit_gls(design, values, {level: m.sigma for level, m in by_level.items()})
    fractional = _nonnegative_consistent(design, fit.atoms)
    whole = _round_consistently(design, fractional, rng)
    released: dict[str, ReconciledLevel] = {}
    for level in design.requested:
        member, variance = design.members[level], fit.variance[level]
        cells = np.rint(member @ whole).astype(np.int64)
        estimate = member @ fit.atoms
        rounding_variance = _rounding_variance(member @ fractional)
        cell_variance = np.broadcast_to(variance[:, None], cells.shape)
        total_variance = cells.shape[1] * variance  # categories' noise is independent
        released[level] = ReconciledLevel(
            level=level,
            codes=list(design.codes[level]),
            values=cells,
            moe95=_margin(cells, estimate, cell_variance, rounding_variance, rng),
            total=cells.sum(axis=1),
            total_moe95=_margin(
                cells.sum(axis=1),
                estimate.sum(axis=1),
                total_variance,
                rounding_variance.sum(axis=1),
                rng,
            ),
        )
    return released


def _check_measurements(measurements: Sequence[LevelMeasurement]) -> dict[str, LevelMeasurement]:
    """Measurements keyed by level, after checking levels, shapes and noise scales."""
    if not measurements:
        raise DataError("no measurements to reconcile", fix="measure at least one level")
    by_level: dict[str, LevelMeasurement] = {}
    for measurement in measurements:
        problem = _problem(measurement, by_level)
        if problem:
            raise DataError(
                problem,
                fix="pass one measurement per level, values as areas × categories with one row "
                "per code, and the positive noise sd the level was measured with",
            )
        by_level[measurement.level] = measurement
    widths = sorted({np.shape(m.values)[1] for m in by_level.values()})
    if len(widths) != 1:
        raise DataError(
            f"measurements have different numbers of categories {widths}",
            fix="measure the same categories, in the same order, at every level",
        )
    return by_level


def _problem(measurement: LevelMeasurement, seen: Mapping[str, LevelMeasurement]) -> str | None:
    """What is wrong with one measurement, if anything."""
    level, shape = measurement.level, np.shape(measurement.values)
    order_levels([level])
    if level in seen:
        return f"level {level!r} was measured twice"
    if len(shape) != 2 or shape[0] != len(measurement.codes) or shape[1] == 0:
        return f"{level} measurement has values of shape {shape} for {len(measurement.codes)} codes"
    if not np.isfinite(measurement.sigma) or measurement.sigma <= 0:
        return f"{level} measurement has noise sd {measurement.sigma}"
    return None


def _nonnegative_consistent(design: AtomDesign, atoms: np.ndarray) -> np.ndarray:
    """Non-negative atom values that follow the GLS estimates down the exact chain.

    With a ward crossing the chain, the pieces (finest chain area ∩ ward) are fitted to the
    finest chain areas and the wards at once, so neither level is moved by the other's
    non-negativity; the atoms of each piece are then projected onto the piece.
    """
    parent_level = design.top
    parent_values = np.maximum(design.members[design.top] @ atoms, 0.0)
    below_top = ("borough",) if design.top != "borough" else ()
    borough = parent_values
    for level in below_top + design.chain:
        estimates = design.members[level] @ atoms
        parents = design.parent_index(level, parent_level)
        parent_values = rounding.simplex_project(estimates, parents, parent_values)
        if level == "borough":
            borough = parent_values
        parent_level = level
    if design.cross is None:
        return rounding.simplex_project(atoms, design.area_of_atom[parent_level], parent_values)
    cross_values = rounding.simplex_project(
        design.members[design.cross] @ atoms, design.parent_index(design.cross, "borough"), borough
    )
    fitted = rounding.fit_two_partitions(
        design.piece_members @ atoms,
        (design.piece_area(parent_level), parent_values),
        (design.piece_area(design.cross), cross_values),
    )
    return rounding.simplex_project(atoms, design.piece_of_atom, fitted)


def _round_consistently(
    design: AtomDesign, fractional: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Integer atoms with every area rounded to floor or ceiling, unbiased, all sums exact.

    Rounding the circulation of areas rounds every area at once; the atoms of a piece then
    share their piece's rounded total.
    """
    tails, heads, edges, pieces = design.circulation()
    rounded = rounding.round_circulation(tails, heads, edges @ fractional, rng)
    return rounding.round_within_groups(fractional, design.piece_of_atom, rounded[pieces], rng)


def _rounding_variance(fractional: np.ndarray) -> np.ndarray:
    """Variance ``p(1-p)`` of rounding a value with fraction ``p`` to its floor or ceiling."""
    fraction = np.clip(fractional - np.floor(fractional + 1e-7), 0.0, 1.0)
    return fraction * (1.0 - fraction)


def _margin(
    published: np.ndarray,
    estimate: np.ndarray,
    variance: np.ndarray,
    rounding_variance: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Half-widths of 95% intervals around the published integers (module docstring)."""
    jittered = estimate + _triangular(rng, np.shape(estimate))
    gls_halfwidth = Z95 * np.sqrt(variance + _JITTER_VARIANCE)
    upper = np.floor(jittered + gls_halfwidth)
    from_zero = np.maximum(upper - published, published) + 0.5
    around = _halfwidth(variance + rounding_variance, rng)
    return np.where(jittered - gls_halfwidth <= 0, from_zero, around)


def _halfwidth(variance: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Randomised half-integers ``floor(a + j) + 1/2`` covering an integer error 95% of the time."""
    scale = Z95 * np.sqrt(np.asarray(variance, dtype=float) + _JITTER_VARIANCE)
    return np.maximum(np.floor(scale + _triangular(rng, scale.shape)), 0.0) + 0.5


def _triangular(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Triangular noise on (-1, 1): the sum of two uniforms, variance 1/6."""
    return rng.random(shape) + rng.random(shape) - 1.0


def default_level_split(levels: Sequence[str]) -> dict[str, Fraction]:
    """The default share of a table's budget per requested level (exact, summing to 1).

    The finest level gets weight 6, a coarser LSOA, MSOA or ward 3 and the borough or region
    1; shares are weights over their sum. For OA, ward and borough that is 3/5, 3/10 and
    1/10: on the demo borough at rho = 0.5 the mean absolute error of wards is 0.32 and of the
    borough 0.12 of summing OAs measured with the whole budget, and OA errors are 28% larger
    than with the whole budget at OA. Wards three times better than summed OAs need about 30%
    of the budget on the ward measurement, so no split also keeps OAs within 5%.
    """
    if not levels:
        raise ConfigError("a table needs at least one level", fix="list levels, e.g. [oa, ward]")
    unknown = sorted(set(levels) - set(_COARSE_WEIGHTS) - {"oa"})
    if unknown:
        raise ConfigError(
            f"unknown geography level(s) {unknown}",
            fix=f"use levels among oa, {', '.join(_COARSE_WEIGHTS)}",
        )
    ordered = order_levels(levels)
    weights = {
        level: _FINEST_WEIGHT if position == 0 else _COARSE_WEIGHTS[level]
        for position, level in enumerate(ordered)
    }
    total = sum(weights.values())
    return {level: Fraction(weight, total) for level, weight in weights.items()}


def expected_moe95(lookup: pd.DataFrame, levels_sigma: Mapping[str, float]) -> dict[str, float]:
    """Typical ``moe95`` of one cell per level (median over areas), before any noise is drawn.

    Uses the exact GLS variance of each area and the mean rounding variance of a value whose
    part not from its own measurement is Gaussian; it previews cells away from zero.
    """
    return {
        level: float(np.median(moe)) for level, moe in areas_moe95(lookup, levels_sigma).items()
    }


def areas_moe95(lookup: pd.DataFrame, levels_sigma: Mapping[str, float]) -> dict[str, np.ndarray]:
    """The expected ``moe95`` of every area of each requested level, from the exact variances."""
    design = build_design(lookup, list(levels_sigma))
    with small_matrix_threads():
        variances = gls_variance(design, levels_sigma)
    return {level: area_moe95(variances[level], levels_sigma[level]) for level in design.requested}


def area_moe95(variance: np.ndarray, sigma: float) -> np.ndarray:
    """Expected ``moe95`` of a cell away from zero, per area, from its GLS variance.

    The GLS value is its own integer measurement (weight ``V/sigma^2``) plus a continuous part,
    whose rounding adds the mean rounding variance.
    """
    variance = np.asarray(variance, dtype=float)
    continuous = np.maximum(variance - variance**2 / sigma**2, 0.0)
    return Z95 * np.sqrt(variance + _mean_rounding_variance(continuous) + _JITTER_VARIANCE)


def _mean_rounding_variance(continuous_variance: np.ndarray) -> np.ndarray:
    """``E[p(1-p)]`` for ``p`` the fraction of an integer plus ``N(0, continuous_variance)``.

    From the Fourier series ``p(1-p) = 1/6 - sum_k cos(2 pi k p) / (pi k)^2``, whose terms
    decay as ``exp(-2 pi^2 k^2 variance)``; the tail beyond ``k = 60`` is summed in closed form.
    """
    terms = 60
    k = np.arange(1, terms + 1)[:, None]
    exponent = -2.0 * np.pi**2 * np.asarray(continuous_variance, dtype=float)[None, :]
    decay = np.exp(exponent * k**2)
    tail = np.exp(exponent[0] * terms**2) / (np.pi**2 * (terms + 0.5))
    return np.maximum(1.0 / 6.0 - np.sum(decay / (np.pi * k) ** 2, axis=0) - tail, 0.0)
