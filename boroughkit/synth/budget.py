"""The privacy budget of a DP synthesiser: ρ (zero-concentrated DP) or ε (pure, or with δ).

- ``rho`` alone: ρ-zCDP with Gaussian noise.
- ``epsilon`` alone: pure ε-DP with Laplace noise.
- ``epsilon`` and ``delta``: (ε, δ)-DP met through zCDP with the largest ρ whose standard
  conversion ε = ρ + 2·sqrt(ρ·ln(1/δ)) stays within ε (Bun & Steinke 2016, Prop. 1.3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from boroughkit.errors import ConfigError
from boroughkit.privacy.budget import Rho


def rho_for_epsilon_delta(epsilon: float, delta: float) -> float:
    """The largest ρ such that ρ-zCDP implies (ε, δ)-DP by ε = ρ + 2·sqrt(ρ·ln(1/δ))."""
    log_term = math.log(1.0 / delta)
    return (math.sqrt(log_term + epsilon) - math.sqrt(log_term)) ** 2


def epsilon_for_rho(rho: float, delta: float) -> float:
    """The ε that ρ-zCDP implies at ``delta`` (same conversion as above)."""
    return Rho.parse(rho).to_epsilon(delta)


@dataclass(frozen=True)
class PrivacyBudget:
    """An exact privacy budget for one synthetic extract."""

    rho: float | None = None
    epsilon: float | None = None
    delta: float = 0.0

    def __post_init__(self) -> None:
        if (self.rho is None) == (self.epsilon is None):
            raise ConfigError(
                "a DP synthesiser needs exactly one of rho or epsilon",
                fix="give budget: {rho: 0.5} or budget: {epsilon: 1.0, delta: 1e-9}",
            )
        value = self.rho if self.rho is not None else self.epsilon
        if value is None or not value > 0 or not math.isfinite(value):
            raise ConfigError(f"privacy budget must be a positive number (got {value})")
        if not 0.0 <= self.delta < 1.0:
            raise ConfigError(f"delta must be in [0, 1) (got {self.delta})")
        if self.rho is not None and self.delta:
            raise ConfigError("delta is not used with rho", fix="give rho alone")

    @property
    def kind(self) -> Literal["zcdp", "pure"]:
        """``zcdp`` (Gaussian noise) or ``pure`` (Laplace noise)."""
        return "pure" if self.epsilon is not None and not self.delta else "zcdp"

    @property
    def zcdp_rho(self) -> float:
        """The ρ spent (for a zCDP budget)."""
        if self.rho is not None:
            return self.rho
        if self.kind == "pure":
            raise ConfigError("a pure epsilon budget has no rho")
        assert self.epsilon is not None
        return rho_for_epsilon_delta(self.epsilon, self.delta)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready statement of the budget spent."""
        if self.kind == "pure":
            return {"definition": "pure-DP", "epsilon": self.epsilon, "noise": "Laplace"}
        out: dict[str, Any] = {"definition": "zCDP", "rho": self.zcdp_rho, "noise": "Gaussian"}
        if self.epsilon is not None:
            out |= {"epsilon": self.epsilon, "delta": self.delta}
        return out
