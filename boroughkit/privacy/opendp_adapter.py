"""OpenDP's discrete Gaussian for DP tables: the only noise and the one formula for its scale.

Only modules of this package named ``opendp_*`` import OpenDP (this one, and
:mod:`.opendp_marginals` and :mod:`.opendp_selection` for the DP synthesisers). Noise is drawn
only through OpenDP measurements (exact sampling from a CSPRNG). Only the ``contrib`` feature is
enabled; ``floating-point`` and ``idealized-numerics`` never are, and nothing seeds the noise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

import numpy as np
import opendp.prelude as dp

from boroughkit.privacy.budget import Rho

ENABLED_FEATURES = ("contrib",)


def enable_opendp() -> None:
    """Enable OpenDP's contributed (vetted, not yet proven) code paths, and nothing else."""
    for feature in ENABLED_FEATURES:
        dp.enable_features(feature)


def discrete_gaussian(sigma: float) -> dp.Measurement:
    """OpenDP's discrete Gaussian on integer vectors under the L2 distance (zCDP)."""
    enable_opendp()
    return dp.m.make_gaussian(
        dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=int), scale=sigma
    )


def calibrated_sigma(rho: Rho | Fraction, sensitivity_squared: int) -> float:
    """The smallest float scale whose OpenDP privacy map certifies ``rho`` for this bound.

    One person changes the released vector by at most ``sqrt(sensitivity_squared)`` in L2 (e.g.
    ``k`` cells by 1 each: ``sensitivity_squared = k``). The zCDP cost is then
    ``sensitivity_squared * map(1)``, since the map is quadratic in the distance.
    """
    exact = Rho.parse(rho).value
    if exact <= 0:
        raise ValueError("rho must be positive")
    sigma = math.sqrt(sensitivity_squared / (2 * float(exact)))
    while Fraction(certified_rho(sigma, sensitivity_squared)) > exact:
        sigma *= 1 + 1e-12  # float rounding only; the map must not exceed the planned budget
    return sigma


def calibrated_level_sigmas(
    split: Mapping[str, Fraction], rho: Rho | Fraction, sensitivity_squared: int = 1
) -> dict[str, float]:
    """Each level's :func:`calibrated_sigma` when it is measured with its ``split`` share of ρ."""
    total = Rho.parse(rho)
    return {
        level: calibrated_sigma(total * Fraction(share), sensitivity_squared)
        for level, share in split.items()
    }


def certified_rho(sigma: float, sensitivity_squared: int) -> float:
    """The zCDP cost OpenDP certifies for one measurement at ``sigma``."""
    return float(sensitivity_squared * discrete_gaussian(sigma).map(1))


def add_discrete_gaussian(values: np.ndarray, sigma: float) -> np.ndarray:
    """Release ``values`` (integers, any shape) with discrete Gaussian noise of scale ``sigma``."""
    flat = np.asarray(values, dtype=np.int64).ravel()
    noisy = discrete_gaussian(sigma)(flat.tolist())
    return np.asarray(noisy, dtype=np.int64).reshape(np.shape(values))


def enabled_features() -> tuple[str, ...]:
    """The OpenDP features boroughkit enables (tests assert no unsafe one is among them)."""
    return ENABLED_FEATURES
