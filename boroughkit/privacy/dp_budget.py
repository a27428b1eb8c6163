"""The budget of a mechanism that may run under ρ-zCDP or pure ε-DP (the DP synthesisers).

A zCDP budget is always a :class:`Rho`. A budget asked for as (ε, δ) is met through zCDP with the
largest ρ whose standard conversion stays within ε (:func:`rho_for_epsilon_delta`), and keeps the
(ε, δ) it was asked for so that the manifest can state it. Pure ε-DP (Laplace noise) has no ρ and
is stated as an exact ε. Every number is exact; :attr:`DPBudget.spendable` is the one float view.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from boroughkit.errors import ConfigError
from boroughkit.privacy.budget import Rho, RhoLike, float_at_most, rho_for_epsilon_delta

_FIX = "give a Rho, DPBudget.pure(epsilon) or DPBudget.epsilon_delta(epsilon, delta)"


def _exact(value: RhoLike, name: str, *, positive: bool = True) -> Fraction:
    """An exact non-negative (by default positive) number, or a ConfigError naming ``name``."""
    try:
        exact = Rho.parse(value).value
    except ValueError:
        exact = Fraction(-1)
    if exact < 0 or (positive and exact == 0):
        raise ConfigError(f"{name} must be a positive number (got {value!r})", fix=_FIX)
    return exact


@dataclass(frozen=True)
class DPBudget:
    """An exact privacy budget for one DP mechanism: ρ-zCDP, or pure ε-DP.

    Build it with :meth:`zcdp`, :meth:`pure` or :meth:`epsilon_delta`; a bare :class:`Rho`
    stands for :meth:`zcdp` wherever a ``DPBudget`` is taken (:meth:`of`).
    """

    rho: Rho | None = None  # None: pure ε-DP
    epsilon: Fraction | None = None  # the ε asked for: pure, or met at ``delta`` through ρ
    delta: Fraction = Fraction(0)

    def __post_init__(self) -> None:
        if not isinstance(self.rho, Rho | None) or not isinstance(self.epsilon, Fraction | None):
            raise ConfigError("DPBudget holds a Rho and exact numbers", fix=_FIX)
        if self.rho is None:
            if self.epsilon is None or self.epsilon <= 0 or self.delta:
                raise ConfigError("pure DP needs a positive epsilon and no delta", fix=_FIX)
            return
        if not self.rho > 0:
            raise ConfigError(f"rho must be more than 0 (got {self.rho})", fix=_FIX)
        if self.epsilon is None:
            if self.delta:
                raise ConfigError("delta is not used with rho alone", fix="give rho alone")
        elif not 0 < self.delta < 1 or self.rho.to_epsilon(float(self.delta)) > self.epsilon:
            raise ConfigError("rho does not meet the (epsilon, delta) stated with it", fix=_FIX)

    @classmethod
    def zcdp(cls, rho: RhoLike) -> DPBudget:
        """ρ-zCDP with Gaussian noise."""
        return cls(rho=Rho(_exact(rho, "rho")))

    @classmethod
    def pure(cls, epsilon: RhoLike) -> DPBudget:
        """Pure ε-DP with Laplace noise."""
        return cls(epsilon=_exact(epsilon, "epsilon"))

    @classmethod
    def epsilon_delta(cls, epsilon: RhoLike, delta: RhoLike) -> DPBudget:
        """(ε, δ)-DP met through zCDP with the largest ρ that implies it; ``delta = 0`` is pure."""
        exact_epsilon = _exact(epsilon, "epsilon")
        exact_delta = _exact(delta, "delta", positive=False)
        if not exact_delta:
            return cls(epsilon=exact_epsilon)
        if exact_delta >= 1:
            raise ConfigError(f"delta must be below 1 (got {delta!r})", fix=_FIX)
        rho = rho_for_epsilon_delta(exact_epsilon, exact_delta)
        return cls(rho=rho, epsilon=exact_epsilon, delta=exact_delta)

    @classmethod
    def of(cls, budget: DPBudget | Rho) -> DPBudget:
        """``budget`` itself, or a zCDP budget of a bare :class:`Rho`."""
        if isinstance(budget, DPBudget):
            return budget
        if isinstance(budget, Rho):
            return cls.zcdp(budget)
        raise ConfigError(f"a DP budget must be a Rho or a DPBudget, got {budget!r}", fix=_FIX)

    @property
    def kind(self) -> Literal["zcdp", "pure"]:
        """``zcdp`` (Gaussian noise) or ``pure`` (Laplace noise)."""
        return "pure" if self.rho is None else "zcdp"

    @property
    def zcdp_rho(self) -> Rho:
        """The ρ to spend (a zCDP budget only)."""
        if self.rho is None:
            raise ConfigError("a pure epsilon budget has no rho")
        return self.rho

    @property
    def amount(self) -> Fraction:
        """The whole budget in its own unit: ρ for zCDP, ε for pure DP."""
        if self.rho is not None:
            return self.rho.value
        assert self.epsilon is not None  # __post_init__ guarantees it
        return self.epsilon

    @property
    def spendable(self) -> float:
        """:attr:`amount` as the largest float not above it: what OpenDP's maps may spend."""
        return float_at_most(self.amount)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready statement of the budget, exact numbers spelt as the ledger spells them."""
        if self.rho is None:
            return {"definition": "pure-DP", "epsilon": _text(self.amount), "noise": "Laplace"}
        out: dict[str, Any] = {"definition": "zCDP", "rho": self.rho.to_json(), "noise": "Gaussian"}
        if self.epsilon is not None:
            out |= {"epsilon": _text(self.epsilon), "delta": _text(self.delta)}
        return out


def _text(value: Fraction) -> str:
    # The ledger's exact spelling: '0.5', '1e-9' as '0.000000001', '1/3' when not terminating.
    return Rho(value).to_json()
