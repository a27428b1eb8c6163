"""One consistent, non-negative, integer estimate from independent noisy levels.

PLACEHOLDER DOCSTRING
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from boroughkit.anonymise import rounding
from boroughkit.anonymise.hierarchy import AtomDesign, build_design, fit_gls, order_levels
from boroughkit.errors import DataError

Z95 = 1.959963984540054
# Variance of the triangular jitter on (-1, 1) that smooths integer errors (see _halfwidth).
_JITTER_VARIANCE = 1.0 / 6.0
# Mean rounding variance p(1-p) of a cell whose fraction p is uniform, for previews.
_TYPICAL_ROUNDING_VARIANCE = 1.0 / 6.0


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

    Every returned cell is a non-negative integer; every area equals the sum of the atoms (OA
    groups) inside it, so children sum exactly to parents and wards to their OAs; each area's
    ``total`` is the sum of its category cells. ``moe95`` is the half-width of a 95% interval
    for the published value (see the module docstring).
    """
    by_level = _check_measurements(measurements)
    design = build_design(lookup, list(by_level))
    values = {level: _in_design_order(m, design.codes[level]) for level, m in by_level.items()}
    fit = fit_gls(design, values, {level: m.sigma for level, m in by_level.items()})
    fractional = _nonnegative_consistent(design, fit.atoms)
    whole = _round_consistently(design, fractional, rng)
    released: dict[str, ReconciledLevel] = {}
    for level in design.requested:
        member = design.membership(level)
        cells = np.rint(member @ whole).astype(np.int64)
        estimate = member @ fit.atoms
        rounding_variance = _rounding_variance(member @ fractional)
        variance = np.broadcast_to(fit.variance[level][:, None], cells.shape)
        total_variance = cells.shape[1] * fit.variance[level]
        released[level] = ReconciledLevel(
            level=level,
            codes=list(design.codes[level]),
            values=cells,
            moe95=_margin(cells, estimate, variance, rounding_variance, rng),
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


def _check_measurements(
    measurements: Sequence[LevelMeasurement],
) -> dict[str, LevelMeasurement]:
    """Measurements keyed by level, after checking levels, shapes and noise scales."""
    if not measurements:
        raise DataError("no measurements to reconcile", fix="measure at least one level")
    by_level: dict[str, LevelMeasurement] = {}
    widths = set()
    for measurement in measurements:
        order_levels([measurement.level])
        if measurement.level in by_level:
            raise DataError(
                f"level {measurement.level!r} was measured twice",
                fix="pass one measurement per level",
            )
        values = np.asarray(measurement.values)
        if values.ndim != 2 or values.shape[0] != len(measurement.codes):
            raise DataError(
                f"{measurement.level} measurement has values of shape {values.shape} "
                f"for {len(measurement.codes)} area codes",
                fix="pass values as areas × categories, one row per code",
            )
        if not np.isfinite(measurement.sigma) or measurement.sigma <= 0:
            raise DataError(
                f"{measurement.level} measurement has noise sd {measurement.sigma}",
                fix="pass the positive noise scale used for the level",
            )
        widths.add(values.shape[1])
        by_level[measurement.level] = measurement
    if len(widths) != 1:
        raise DataError(
            f"measurements have different numbers of categories {sorted(widths)}",
            fix="measure the same categories at every level",
        )
    return by_level


def _in_design_order(measurement: LevelMeasurement, codes: list[str]) -> np.ndarray:
    """The measurement's rows reordered to ``codes``; every area must appear exactly once."""
    given = [str(code) for code in measurement.codes]
    row_of = {code: row for row, code in enumerate(given)}
    missing = [code for code in codes if code not in row_of]
    extra = sorted(set(given) - set(codes))
    if missing or extra or len(row_of) != len(given):
        raise DataError(
            f"{measurement.level} measurement does not list each area of the lookup once: "
            f"missing {missing[:5]}, unknown {extra[:5]}, repeated {len(given) - len(row_of)}",
            fix="measure every area of the level (empty areas too) with the lookup's codes",
        )
    return np.asarray(measurement.values)[[row_of[code] for code in codes]].astype(float)


def _nonnegative_consistent(design: AtomDesign, atoms: np.ndarray) -> np.ndarray:
    """Non-negative atom values whose sums follow the GLS estimates down the exact chain.

    The borough total is clipped at 0; then at each chain level (and finally the atoms) the
    children's GLS estimates are projected onto ``{>= 0, sum = parent's value}``.
    """
    parent_level = "borough"
    parent_values = np.maximum(design.membership("borough") @ atoms, 0.0)
    for level in design.chain:
        estimates = design.membership(level) @ atoms
        parents = design.parent_index(level, parent_level)
        parent_values = rounding.simplex_project(estimates, parents, parent_values)
        parent_level = level
    return rounding.simplex_project(atoms, design.area_of_atom[parent_level], parent_values)


def _round_consistently(
    design: AtomDesign, fractional: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Integer atoms: every area rounded to floor or ceiling, unbiased, all sums exact.

    Areas above the atoms form a circulation: borough (from its ward side to its chain side),
    chain areas (parent to child), pieces (finest chain area to ward, or to the borough's ward
    side) and wards (to the borough). Rounding it rounds every area at once; atoms then follow
    their piece's total.
    """
    n_boroughs = len(design.codes["borough"])
    first_atom = np.zeros(design.n_pieces, dtype=np.int64)
    first_atom[design.piece_of_atom] = np.arange(design.n_atoms)
    tails: list[np.ndarray] = [np.arange(n_boroughs) + n_boroughs]
    heads: list[np.ndarray] = [np.arange(n_boroughs)]
    flows: list[np.ndarray] = [design.membership("borough") @ fractional]
    vertex_offset = 2 * n_boroughs
    parent_vertex = np.arange(n_boroughs)
    parent_level = "borough"
    for level in design.chain:
        own_vertex = vertex_offset + np.arange(len(design.codes[level]))
        tails.append(parent_vertex[design.parent_index(level, parent_level)])
        heads.append(own_vertex)
        flows.append(design.membership(level) @ fractional)
        vertex_offset += len(own_vertex)
        parent_vertex, parent_level = own_vertex, level
    piece_tail = parent_vertex[design.area_of_atom[parent_level][first_atom]]
    borough_of_piece = design.area_of_atom["borough"][first_atom]
    if design.cross is not None:
        ward_vertex = vertex_offset + np.arange(len(design.codes[design.cross]))
        ward_borough = design.parent_index(design.cross, "borough")
        tails.append(ward_vertex)
        heads.append(ward_borough + n_boroughs)
        flows.append(design.membership(design.cross) @ fractional)
        piece_head = ward_vertex[design.area_of_atom[design.cross][first_atom]]
    else:
        piece_head = borough_of_piece + n_boroughs
    piece_flow = np.zeros((design.n_pieces, fractional.shape[1]))
    np.add.at(piece_flow, design.piece_of_atom, fractional)
    tails.append(piece_tail)
    heads.append(piece_head)
    flows.append(piece_flow)
    rounded = rounding.round_circulation(
        np.concatenate(tails), np.concatenate(heads), np.vstack(flows), rng
    )
    piece_totals = rounded[-design.n_pieces :]
    return rounding.round_within_groups(fractional, design.piece_of_atom, piece_totals, rng)


def _rounding_variance(fractional: np.ndarray) -> np.ndarray:
    """Variance ``p(1-p)`` of rounding a value with fraction ``p`` to floor or ceiling."""
    fraction = fractional - np.floor(fractional + 1e-7)
    fraction = np.clip(fraction, 0.0, 1.0)
    return fraction * (1.0 - fraction)


def _margin(
    published: np.ndarray,
    estimate: np.ndarray,
    variance: np.ndarray,
    rounding_variance: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Half-widths of 95% intervals around the published integers (see the module docstring).

    Away from zero: a randomised half-integer around the published value with mean
    ``1.96 * sqrt(gls variance + rounding variance + 1/12)``. Near zero (the jittered GLS
    interval reaches 0): the GLS interval cut at 0, written as ``[0, published + moe]``.
    """
    jittered = estimate + _triangular(rng, estimate.shape)
    gls_halfwidth = Z95 * np.sqrt(variance + _JITTER_VARIANCE)
    upper = np.floor(jittered + gls_halfwidth)
    from_zero = np.maximum(upper - published, published) + 0.5
    around = _halfwidth(variance + rounding_variance, rng)
    return np.where(jittered - gls_halfwidth <= 0, from_zero, around)


def _halfwidth(variance: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Randomised half-integer half-widths with 95% coverage of an integer error of ``variance``.

    For an integer error ``e`` and ``m = floor(a + u) + 1/2`` with ``u`` uniform on
    ``(-1/2, 1/2)``, ``P(|e| <= m) = P(|e + u'| <= a)`` with ``u'`` uniform: the integer error
    seen through a continuous one of variance ``var(e) + 1/12``, so ``a = 1.96 * sqrt(var(e) +
    1/12)`` gives 95% whatever the lattice, and ``m`` has mean ``a``.
    """
    scale = Z95 * np.sqrt(np.asarray(variance, dtype=float) + _JITTER_VARIANCE)
    return np.maximum(np.floor(scale + _triangular(rng, scale.shape)), 0.0) + 0.5


def _triangular(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Triangular noise on (-1, 1): the sum of two uniforms, variance 1/6."""
    return rng.random(shape) + rng.random(shape) - 1.0


def default_level_split(levels: Sequence[str]) -> dict[str, Fraction]:
    """PLACEHOLDER."""
    ordered = order_levels(levels)
    return {level: Fraction(1, len(ordered)) for level in ordered}


def expected_moe95(lookup: pd.DataFrame, levels_sigma: Mapping[str, float]) -> dict[str, float]:
    """Typical (median over areas) ``moe95`` of one cell per level, before any noise is drawn."""
    design = build_design(lookup, list(levels_sigma))
    zeros = {level: np.zeros((len(design.codes[level]), 1)) for level in levels_sigma}
    fit = fit_gls(design, zeros, levels_sigma)
    return {
        level: float(
            Z95
            * np.median(
                np.sqrt(fit.variance[level] + _TYPICAL_ROUNDING_VARIANCE + _JITTER_VARIANCE)
            )
        )
        for level in design.requested
    }
