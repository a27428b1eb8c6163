"""Generalised least squares over the geography, exact and linear in the number of areas.

Every level but the region nests in a borough (the importer splits the rare ward that crosses
a local authority), so the normal matrix ``N = sum_l A_l' A_l / sigma_l**2`` is block diagonal
by borough except for the region's measurement, ``N = blockdiag(N_b) + w_R R' R``. Each borough
block (a few hundred to a few thousand atoms) is solved on its own (:mod:`.gls_block`); the
region couples them only through one rank-one term per region, which the Woodbury identity
folds in exactly: with ``P = blockdiag(N_b^+)`` and ``t = P 1``,
``N^+ = P - P R' S^-1 R P`` where ``S = 1/w_R + R P R'`` is diagonal (a borough lies in one
region). Every atom value and every area's variance is exact, and time and memory grow with the
number of areas, not its square.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from boroughkit.anonymise.gls_block import BlockSolver, dense_fit
from boroughkit.anonymise.hierarchy import REGION, AtomDesign


@dataclass(frozen=True)
class GlsFit:
    """GLS atom values (atoms × categories) and the variance of each area's estimate per level."""

    atoms: np.ndarray
    variance: Mapping[str, np.ndarray]


def fit_gls(
    design: AtomDesign,
    values: Mapping[str, np.ndarray],
    sigmas: Mapping[str, float],
) -> GlsFit:
    """Generalised least squares atom values from independent measurements of each level.

    ``values[level]`` is areas × categories in the order of ``design.codes[level]``; every
    level of ``values`` needs its noise sd in ``sigmas``. ``variance`` holds
    ``diag(A_l N^+ A_l')`` for every level of the design (the pseudo-inverse keeps area
    estimates exact when the measured levels do not identify every atom).
    """
    weights = {level: 1.0 / sigmas[level] ** 2 for level in values}
    right = sum(
        weights[level] * (design.members[level].T @ np.asarray(measured, dtype=float))
        for level, measured in values.items()
    )
    return _solve(design, weights, np.asarray(right, dtype=float))


def gls_variance(design: AtomDesign, sigmas: Mapping[str, float]) -> dict[str, np.ndarray]:
    """``diag(A_l N^+ A_l')`` of every level of the design: the variances, without any values."""
    weights = {level: 1.0 / sigma**2 for level, sigma in sigmas.items()}
    return dict(_solve(design, weights, np.zeros((design.n_atoms, 0))).variance)


def _solve(design: AtomDesign, weights: Mapping[str, float], right: np.ndarray) -> GlsFit:
    """``N^+ right`` and the variances, borough by borough, then the region's correction."""
    within = {level: weight for level, weight in weights.items() if level != REGION}
    if not within:  # only the region is measured: a handful of atoms
        atoms, variance = dense_fit(design.members, weights, right)
        return GlsFit(atoms=atoms, variance=variance)
    solver = BlockSolver(design, within)
    ones = np.ones((design.n_atoms, 1))
    solved = solver.solve(np.hstack([right, ones]))
    atoms, spread = solved[:, :-1], solved[:, -1]  # spread = P 1, the coupling's direction
    variance = solver.variance()
    if REGION in design.members:
        region_members = design.members[REGION]
        region_of_atom = design.area_of_atom[REGION]
        coupled = region_members @ spread  # R P R', diagonal
        variance[REGION] = coupled
        if REGION in weights:
            inverse_s = 1.0 / (1.0 / weights[REGION] + coupled)
            atoms = (
                atoms
                - spread[:, None] * (inverse_s[:, None] * (region_members @ atoms))[region_of_atom]
            )
            for level, member in design.members.items():
                region_of_area = np.zeros(member.shape[0], dtype=np.int64)
                region_of_area[design.area_of_atom[level]] = region_of_atom
                variance[level] = (
                    variance[level] - (member @ spread) ** 2 * inverse_s[region_of_area]
                )
    return GlsFit(atoms=atoms, variance=variance)
