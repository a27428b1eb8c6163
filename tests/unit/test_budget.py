"""Exact ρ budgets: parsing, arithmetic without float drift, splitting, ε conversion, JSON."""

from __future__ import annotations

import json
import math
import pickle
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boroughkit.privacy.budget import Rho

budgets = st.fractions(min_value=0, max_value=1000, max_denominator=10**9).map(Rho)
positive_budgets = st.fractions(min_value=Fraction(1, 10**6), max_value=100).map(Rho)
weights = st.dictionaries(
    st.text(min_size=1, max_size=8),
    st.one_of(st.integers(1, 1000), st.fractions(min_value=Fraction(1, 1000), max_value=1000)),
    min_size=1,
    max_size=12,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, Fraction(1)),
        ("0.5", Fraction(1, 2)),
        (" 1/3 ", Fraction(1, 3)),
        ("1e-3", Fraction(1, 1000)),
        (Decimal("0.25"), Fraction(1, 4)),
        (Fraction(2, 7), Fraction(2, 7)),
        (0.1, Fraction(1, 10)),
        (0.5000000000000003, Fraction(5000000000000003, 10**16)),
        (0, Fraction(0)),
    ],
)
def test_parse_reads_every_spelling_exactly(value: object, expected: Fraction) -> None:
    assert Rho.parse(value).value == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [-1, "-0.5", float("nan"), float("inf"), "nan", "inf", "abc", "1/0", "", True, None,
     Decimal("NaN"), Decimal("-1"), [0.5]],
)  # fmt: skip
def test_parse_refuses_what_is_not_a_budget(value: object) -> None:
    with pytest.raises(ValueError, match="rho must be a non-negative finite number"):
        Rho.parse(value)  # type: ignore[arg-type]


@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False))
def test_float_is_read_through_its_shortest_repr(value: float) -> None:
    rho = Rho.parse(value)
    assert rho.value == Fraction(repr(value))
    assert float(rho) == value


def test_no_float_drift() -> None:
    # Ten tenths are exactly one, which floats get wrong.
    assert sum([0.1] * 10) != 1.0
    assert sum([Rho.parse(0.1)] * 10) == Rho(1)
    # A query costing a hair more than 0.5 is more than 0.5, not rounded to it.
    assert Rho.parse(0.5000000000000003) > Rho.parse(0.5)
    assert Rho.parse(0.5000000000000003) - Rho.parse(0.5) == Rho("3e-16")


def test_ten_splits_of_a_half_sum_back_to_exactly_a_half() -> None:
    half = Rho.parse(0.5)
    parts = half.split({f"table_{i}": 1 for i in range(10)})
    assert len(parts) == 10
    assert sum(parts.values()) == half
    assert all(part == Rho("0.05") for part in parts.values())


@given(budgets, weights)
def test_split_sums_exactly_and_is_proportional(
    whole: Rho, shares: dict[str, Fraction | int]
) -> None:
    parts = whole.split(shares)
    assert set(parts) == set(shares)
    assert sum(parts.values(), Rho(0)) == whole
    first = next(iter(shares))
    for name, share in shares.items():
        assert parts[name].value * shares[first] == parts[first].value * share


def test_split_refuses_no_weights_and_non_positive_weights() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Rho(1).split({})
    with pytest.raises(ValueError, match="not positive: b"):
        Rho(1).split({"a": 1, "b": 0})


@given(budgets, budgets, st.integers(1, 10**6))
def test_arithmetic_is_exact(a: Rho, b: Rho, n: int) -> None:
    assert (a + b) - b == a
    assert (a * n) / n == a
    assert n * a == a * n
    assert (a + b).value == a.value + b.value
    if b:
        assert a / b == a.value / b.value


@given(budgets, budgets)
def test_ordering_matches_the_fractions(a: Rho, b: Rho) -> None:
    assert (a < b) == (a.value < b.value)
    assert (a <= b) == (a.value <= b.value)
    assert (a > b) == (a.value > b.value)
    assert (a == b) == (a.value == b.value)
    assert max(a, b).value == max(a.value, b.value)


def test_budgets_never_go_negative_and_floats_do_not_sneak_in() -> None:
    with pytest.raises(ValueError, match="negative"):
        Rho("0.1") - Rho("0.2")
    with pytest.raises(ValueError, match="positive"):
        Rho(1) / 0
    with pytest.raises(TypeError):
        Rho(1) + 0.1
    with pytest.raises(TypeError):
        Rho(1) * Rho(2)
    assert Rho(1) - Rho(1) == 0
    assert Rho("1/2") == Fraction(1, 2)
    assert Rho("1/2") < 1


def test_immutable_hashable_and_picklable() -> None:
    rho = Rho("1/3")
    with pytest.raises(AttributeError):
        rho._value = Fraction(1)
    assert len({Rho("1/2"), Rho.parse(0.5), Rho(Fraction(2, 4))}) == 1
    assert pickle.loads(pickle.dumps(rho)) == rho


@given(budgets)
def test_json_round_trip_is_exact(rho: Rho) -> None:
    text = json.loads(json.dumps(rho.to_json()))
    assert Rho.from_json(text) == rho


def test_json_and_str_spellings() -> None:
    assert Rho("0.25").to_json() == "0.25"
    assert Rho("1/3").to_json() == "1/3"
    assert str(Rho("0.5")) == "0.5"
    assert str(Rho(3)) == "3"
    assert str(Rho("1e-20")) == "1e-20"
    assert str(Rho("1/3")) == "≈0.333333 (1/3)"
    assert repr(Rho("1/3")) == "Rho('1/3')"
    with pytest.raises(ValueError):
        Rho.from_json(0.5)  # type: ignore[arg-type]


@given(positive_budgets, st.floats(min_value=1e-12, max_value=0.5))
def test_standard_epsilon_is_the_bun_steinke_bound(rho: Rho, delta: float) -> None:
    r = float(rho)
    expected = r + 2 * math.sqrt(r * math.log(1 / delta))
    assert rho.to_epsilon(delta) == pytest.approx(expected, rel=1e-12)
    tight = rho.to_epsilon(delta, tight=True)
    assert 0 <= tight <= rho.to_epsilon(delta)


def test_tight_epsilon_agrees_with_opendp() -> None:
    import opendp.prelude as dp

    dp.enable_features("contrib", "honest-but-curious")
    identity = dp.m.make_user_measurement(
        dp.atom_domain(T=float),
        dp.absolute_distance(T=float),
        dp.zero_concentrated_divergence(),
        lambda x: x,
        lambda d_in: d_in,
    )
    to_approx = dp.c.make_zCDP_to_approxDP(identity)
    for rho in ("0.001", "0.05", "0.5", "1", "4"):
        for delta in (1e-5, 1e-7, 1e-10):
            reference = to_approx.map(float(rho)).epsilon(delta)
            assert Rho(rho).to_epsilon(delta, tight=True) == pytest.approx(reference, rel=1e-6)


def test_epsilon_is_monotone_and_zero_for_zero() -> None:
    assert Rho(0).to_epsilon(1e-7) == 0
    assert Rho(0).to_epsilon(1e-7, tight=True) == 0
    assert Rho("0.1").to_epsilon(1e-7) < Rho("0.2").to_epsilon(1e-7)
    assert Rho("0.1").to_epsilon(1e-9) > Rho("0.1").to_epsilon(1e-5)
    for delta in (0, 1, -0.1, 2):
        with pytest.raises(ValueError, match="delta"):
            Rho(1).to_epsilon(delta)
