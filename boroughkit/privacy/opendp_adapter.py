"""The one place boroughkit imports OpenDP.

Noise is drawn only through OpenDP measurements (discrete Gaussian, exact sampling from a
CSPRNG). Only the ``contrib`` feature is enabled; ``floating-point`` and ``idealized-numerics``
never are, and nothing seeds the noise.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import opendp.prelude as dp

ENABLED_FEATURES = ("contrib",)


def _enable() -> None:
    for feature in ENABLED_FEATURES:
        dp.enable_features(feature)


def discrete_gaussian(sigma: float) -> dp.Measurement:
    """OpenDP's discrete Gaussian on integer vectors under the L2 distance (zCDP)."""
    _enable()
    return dp.m.make_gaussian(
        dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=int), scale=sigma
    )


def calibrated_sigma(rho: Fraction, cells_per_person: int) -> float:
    """The smallest float scale whose OpenDP privacy map certifies ``rho`` for this bound.

    One person changes at most ``cells_per_person`` cells by 1, so the squared L2 sensitivity is
    ``cells_per_person`` and zCDP cost is ``cells_per_person * map(1)`` (the map is quadratic).
    """
    if rho <= 0:
        raise ValueError("rho must be positive")
    sigma = math.sqrt(cells_per_person / (2 * float(rho)))
    while Fraction(cells_per_person * discrete_gaussian(sigma).map(1)) > rho:
        sigma *= 1 + 1e-12  # float rounding only; the map must not exceed the planned budget
    return sigma


def certified_rho(sigma: float, cells_per_person: int) -> float:
    """The zCDP cost OpenDP certifies for one measurement at ``sigma``."""
    return float(cells_per_person * discrete_gaussian(sigma).map(1))


def add_discrete_gaussian(values: np.ndarray, sigma: float) -> np.ndarray:
    """Release ``values`` (integers, any shape) with discrete Gaussian noise of scale ``sigma``."""
    flat = np.asarray(values, dtype=np.int64).ravel()
    noisy = discrete_gaussian(sigma)(flat.tolist())
    return np.asarray(noisy, dtype=np.int64).reshape(np.shape(values))


def enabled_features() -> tuple[str, ...]:
    """The OpenDP features boroughkit enables (tests assert no unsafe one is among them)."""
    return ENABLED_FEATURES
