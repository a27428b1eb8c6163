"""The privacy layer's (ε, δ) ↔ ρ conversions, float rounding for OpenDP, and DPBudget."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from boroughkit.errors import ConfigError
from boroughkit.privacy.budget import Rho, epsilon_for_rho, float_at_most, rho_for_epsilon_delta
from boroughkit.privacy.dp_budget import DPBudget


def test_rho_for_epsilon_delta_by_hand_and_never_over_epsilon() -> None:
    log_term = math.log(1e9)
    expected = (math.sqrt(log_term + 1.0) - math.sqrt(log_term)) ** 2
    rho = rho_for_epsilon_delta(1.0, 1e-9)
    assert isinstance(rho, Rho) and float(rho) == pytest.approx(expected, rel=1e-12)
    assert epsilon_for_rho(expected, 1e-9) == pytest.approx(1.0)
    for epsilon in (0.01, 0.3, 1.0, 8.0):
        for delta in (1e-5, 1e-9, Fraction(1, 10**12)):
            assert rho_for_epsilon_delta(epsilon, delta).to_epsilon(float(delta)) <= epsilon
    for epsilon, delta in ((0, 1e-9), (-1, 1e-9), (1, 0), (1, 1), (math.inf, 1e-9)):
        with pytest.raises(ValueError):
            rho_for_epsilon_delta(epsilon, delta)


@pytest.mark.parametrize("value", [Fraction(1, 10), Fraction(1, 3), Fraction(2, 3), 7, Rho("0.3")])
def test_float_at_most_is_the_largest_float_not_above(value: Fraction | int | Rho) -> None:
    exact = Rho.parse(value).value
    result = float_at_most(value)
    assert Fraction(result) <= exact < Fraction(math.nextafter(result, math.inf))


def test_dp_budget_kinds_and_statements() -> None:
    budget = DPBudget.epsilon_delta(1.0, 1e-9)
    assert budget.kind == "zcdp" and budget.zcdp_rho == rho_for_epsilon_delta(1, Fraction(1, 10**9))
    assert budget.describe() == {
        "definition": "zCDP",
        "rho": budget.zcdp_rho.to_json(),
        "noise": "Gaussian",
        "epsilon": "1",
        "delta": "0.000000001",
    }
    pure = DPBudget.pure(0.5)
    assert pure.kind == "pure" and pure.amount == Fraction(1, 2) and pure.spendable == 0.5
    assert pure.describe() == {"definition": "pure-DP", "epsilon": "0.5", "noise": "Laplace"}
    assert DPBudget.epsilon_delta(1, 0) == DPBudget.pure(1)
    assert DPBudget.of(Rho("1/3")) == DPBudget.zcdp("1/3") == DPBudget(rho=Rho("1/3"))
    assert DPBudget.of(pure) is pure
    assert DPBudget.zcdp("1/3").describe()["rho"] == "1/3"
    with pytest.raises(ConfigError, match="no rho"):
        _ = pure.zcdp_rho


@pytest.mark.parametrize(
    "make",
    [
        lambda: DPBudget(),
        lambda: DPBudget.zcdp(0),
        lambda: DPBudget.zcdp(-1.0),
        lambda: DPBudget.zcdp("lots"),
        lambda: DPBudget.pure(float("nan")),
        lambda: DPBudget.epsilon_delta(1, 1),
        lambda: DPBudget.epsilon_delta(1, -1e-9),
        lambda: DPBudget(rho=Rho("0.5"), delta=Fraction(1, 10)),
        # ρ = 1 does not give ε = 1 at δ = 1e-9: the stated guarantee must hold.
        lambda: DPBudget(rho=Rho(1), epsilon=Fraction(1), delta=Fraction(1, 10**9)),
        lambda: DPBudget(rho=0.5),  # type: ignore[arg-type]
        lambda: DPBudget.of(0.5),  # type: ignore[arg-type]
    ],
)
def test_dp_budget_refuses_what_it_cannot_honour(make) -> None:
    with pytest.raises(ConfigError):
        make()
