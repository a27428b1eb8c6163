"""Exact zero-concentrated DP budgets (ρ-zCDP) as immutable values.

A budget is a :class:`fractions.Fraction`, never a float, so that splitting a budget across tables
and adding the parts back gives exactly the whole, and a ledger never refuses (or allows) a release
because of rounding. Floats are accepted at the edges but converted through their shortest decimal
``repr``: ``0.1`` becomes exactly ``1/10``, not the binary value nearest to it.

The (ε, δ) ↔ ρ conversions live here too, and :func:`float_at_most` is the one way a budget
becomes a float for OpenDP's maps (rounded down, never up).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeAlias, overload

RhoLike: TypeAlias = "Rho | int | str | Decimal | Fraction | float"
_EXACT_NUMBER = (int, Fraction, Decimal)
_ALLOWED = "a non-negative finite number such as 0.5, '0.25' or '1/3'"
# Enough significant digits to tell budgets apart on screen without a wall of digits.
_DISPLAY_DIGITS = 6


def _to_fraction(value: object) -> Fraction:
    """Convert any accepted spelling of a budget into an exact, validated fraction."""
    if isinstance(value, Rho):
        return value.value
    if isinstance(value, bool) or value is None:
        raise ValueError(f"rho must be {_ALLOWED}, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"rho must be {_ALLOWED}, got {value!r}")
        exact = Fraction(repr(value))  # shortest repr: 0.1 -> 1/10, not 3602879701896397/2**55
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"rho must be {_ALLOWED}, got {value!r}")
        exact = Fraction(value)
    elif isinstance(value, int | Fraction):
        exact = Fraction(value)
    elif isinstance(value, str):
        exact = _parse_text(value)
    else:
        raise ValueError(f"rho must be {_ALLOWED}, got {type(value).__name__} {value!r}")
    if exact < 0:
        raise ValueError(f"rho must be {_ALLOWED}, got negative {value!r}")
    return exact


def _parse_text(text: str) -> Fraction:
    """Parse '0.5', '1e-3' or '1/3' exactly; 'nan', 'inf' and '1/0' are refused."""
    cleaned = text.strip()
    exponent = re.search(r"[eE]([+-]?\d+)$", cleaned)
    if len(cleaned) > 60 or (exponent is not None and abs(int(exponent.group(1))) > 30):
        # Fraction would build 10**exponent exactly: refuse absurd budgets before that.
        raise ValueError(
            f"rho must be {_ALLOWED} with at most 60 characters and an exponent "
            f"between -30 and 30, got {text[:60]!r}"
        )
    try:
        return Fraction(cleaned)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"rho must be {_ALLOWED}, got {text!r}") from None


class Rho:
    """An exact, immutable, ordered ρ-zCDP budget.

    Supports ``+`` and ``-`` with other budgets (a negative result is refused: budgets cannot be
    negative), ``*`` and ``/`` by an exact number, ``Rho / Rho`` as an exact ratio, ordering and
    equality with budgets and exact numbers, and :meth:`split` into parts that sum exactly.
    Floats take no part in arithmetic or comparison (``Rho(1) + 0.1`` is a TypeError): read them
    with :meth:`parse` first, which is where their decimal meaning is fixed.
    """

    __slots__ = ("_value",)
    _value: Fraction

    def __init__(self, value: RhoLike = 0) -> None:
        object.__setattr__(self, "_value", _to_fraction(value))

    @classmethod
    def parse(cls, value: RhoLike) -> Rho:
        """Read a budget from an int, str ('0.5', '1/3'), Decimal, Fraction or float.

        Raises ``ValueError`` (with text fit to show a user) for negative, NaN or infinite values.
        """
        return value if isinstance(value, Rho) else cls(value)

    @classmethod
    def from_json(cls, text: str) -> Rho:
        """Inverse of :meth:`to_json`."""
        if not isinstance(text, str):
            raise ValueError(f"a budget in JSON must be a string such as '1/3', got {text!r}")
        return cls(text)

    @property
    def value(self) -> Fraction:
        """The exact budget as a fraction."""
        return self._value

    def to_json(self) -> str:
        """Exact text: a decimal when it terminates ('0.25'), otherwise 'p/q' ('1/3')."""
        decimal = _exact_decimal(self._value)
        return (
            decimal if decimal is not None else f"{self._value.numerator}/{self._value.denominator}"
        )

    def split(self, weights: Mapping[str, Fraction | int]) -> dict[str, Rho]:
        """Divide the budget in proportion to positive ``weights``; the parts sum exactly to it."""
        if not weights:
            raise ValueError("split needs at least one weight")
        exact = {name: Fraction(weight) for name, weight in weights.items()}
        bad = sorted(name for name, weight in exact.items() if weight <= 0)
        if bad:
            raise ValueError(f"split weights must be positive; not positive: {', '.join(bad)}")
        total = sum(exact.values(), Fraction(0))
        return {name: Rho(self._value * weight / total) for name, weight in exact.items()}

    def to_epsilon(self, delta: float, *, tight: bool = False) -> float:
        """ε such that a ρ-zCDP mechanism is (ε, δ)-DP.

        By default the standard conversion ``ε = ρ + 2·sqrt(ρ·ln(1/δ))`` (Bun & Steinke 2016,
        Proposition 1.3). With ``tight=True`` the smaller bound of Canonne, Kamath & Steinke 2020
        (Corollary 13), ``ε = inf over α > 1 of αρ + (ln(1/δ) + (α−1)·ln(1−1/α) − ln α)/(α−1)``,
        the conversion OpenDP uses. Every α gives a valid bound, so an approximate minimum is
        still a correct (if slightly larger) ε.
        """
        if not 0 < delta < 1:
            raise ValueError(f"delta must be strictly between 0 and 1, got {delta!r}")
        rho = float(self._value)
        if rho == 0:
            return 0.0
        log_inv_delta = math.log(1 / delta)
        standard = rho + 2 * math.sqrt(rho * log_inv_delta)
        if not tight:
            return standard
        # With a large δ the bound can dip below 0; (0, δ)-DP then holds and is the honest claim.
        return max(0.0, min(standard, _tight_epsilon(rho, log_inv_delta)))

    def __str__(self) -> str:
        decimal = _exact_decimal(self._value)
        if decimal is not None and len(decimal) <= 12:
            return decimal
        shown = f"{float(self._value):.{_DISPLAY_DIGITS}g}"
        if Fraction(shown) == self._value:
            return shown
        return f"≈{shown} ({self.to_json()})"

    def __repr__(self) -> str:
        return f"Rho('{self.to_json()}')"

    def __float__(self) -> float:
        return float(self._value)

    def __bool__(self) -> bool:
        return self._value != 0

    def __hash__(self) -> int:
        return hash(self._value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Rho is immutable")

    def __reduce__(self) -> tuple[type[Rho], tuple[str]]:
        return (Rho, (self.to_json(),))

    # Arithmetic and ordering -------------------------------------------------------------
    def __add__(self, other: object) -> Rho:
        exact = _coerce(other)
        return NotImplemented if exact is None else Rho(self._value + exact)

    __radd__ = __add__  # lets sum() start from 0

    def __sub__(self, other: object) -> Rho:
        exact = _coerce(other)
        if exact is None:
            return NotImplemented
        if exact > self._value:
            raise ValueError(f"budget {self} minus {Rho(exact)} would be negative")
        return Rho(self._value - exact)

    def __mul__(self, factor: object) -> Rho:
        if isinstance(factor, Rho):
            return NotImplemented  # ρ·ρ is not a budget
        exact = _coerce(factor)
        return NotImplemented if exact is None else Rho(self._value * exact)

    __rmul__ = __mul__

    @overload
    def __truediv__(self, divisor: Rho) -> Fraction: ...
    @overload
    def __truediv__(self, divisor: int | Fraction | Decimal) -> Rho: ...
    def __truediv__(self, divisor: object) -> Any:
        if isinstance(divisor, Rho):
            return self._value / divisor._value  # a ratio of budgets is a plain fraction
        exact = _coerce(divisor)
        if exact is None:
            return NotImplemented
        if exact <= 0:
            raise ValueError(f"a budget can only be divided by a positive number, got {divisor!r}")
        return Rho(self._value / exact)

    def __eq__(self, other: object) -> bool:
        exact = _coerce(other)
        return NotImplemented if exact is None else self._value == exact

    def __lt__(self, other: object) -> bool:
        exact = _coerce(other)
        return NotImplemented if exact is None else self._value < exact

    def __le__(self, other: object) -> bool:
        exact = _coerce(other)
        return NotImplemented if exact is None else self._value <= exact

    def __gt__(self, other: object) -> bool:
        exact = _coerce(other)
        return NotImplemented if exact is None else self._value > exact

    def __ge__(self, other: object) -> bool:
        exact = _coerce(other)
        return NotImplemented if exact is None else self._value >= exact


def rho_for_epsilon_delta(epsilon: float | Fraction, delta: float | Fraction) -> Rho:
    """The largest ρ such that ρ-zCDP implies (ε, δ)-DP by the conversion of :meth:`Rho.to_epsilon`.

    Solves ``ε = ρ + 2·sqrt(ρ·ln(1/δ))`` (Bun & Steinke 2016, Proposition 1.3) for ρ, then steps
    down by float ulps until ``Rho.to_epsilon`` confirms the ε claim: never a hair above it.
    """
    if not 0 < delta < 1:
        raise ValueError(f"delta must be strictly between 0 and 1, got {delta!r}")
    if not 0 < epsilon < math.inf:
        raise ValueError(f"epsilon must be a positive finite number, got {epsilon!r}")
    log_term = math.log(1 / float(delta))
    # sqrt(L + ε) - sqrt(L) written without the cancellation of subtracting two close roots.
    rho = (float(epsilon) / (math.sqrt(log_term + float(epsilon)) + math.sqrt(log_term))) ** 2
    while Rho(rho).to_epsilon(float(delta)) > epsilon:
        rho = math.nextafter(rho, 0.0)
    return Rho(rho)


def epsilon_for_rho(rho: RhoLike, delta: float) -> float:
    """The ε that ρ-zCDP implies at ``delta`` (the standard conversion, :meth:`Rho.to_epsilon`)."""
    return Rho.parse(rho).to_epsilon(delta)


def float_at_most(value: Rho | Fraction | int) -> float:
    """The largest float not above ``value``.

    OpenDP's privacy maps work in floats; a budget handed to them must never round up, or a
    mechanism could spend a hair more than the ledger charged.
    """
    exact = Rho.parse(value).value
    result = float(exact)
    return math.nextafter(result, 0.0) if Fraction(result) > exact else result


def _coerce(other: object) -> Fraction | None:
    """An exact operand, or None; floats are refused here so that no binary rounding sneaks in."""
    if isinstance(other, Rho):
        return other.value
    if isinstance(other, _EXACT_NUMBER) and not isinstance(other, bool):
        if isinstance(other, Decimal) and not other.is_finite():
            return None
        return Fraction(other)
    return None


def _exact_decimal(value: Fraction) -> str | None:
    """The terminating decimal spelling of ``value``, or None when it does not terminate."""
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        return None
    places = max(twos, fives)
    scaled = value * 10**places
    text = str(scaled.numerator).rjust(places + 1, "0")
    if places == 0:
        return text
    whole, fraction = text[:-places], text[-places:].rstrip("0")
    return whole if not fraction else f"{whole}.{fraction}"


def _tight_epsilon(rho: float, log_inv_delta: float) -> float:
    """Minimise the Canonne-Kamath-Steinke bound over α by golden-section search in log(α−1)."""

    def bound(log_alpha_minus_one: float) -> float:
        alpha_minus_one = math.exp(log_alpha_minus_one)
        alpha = 1 + alpha_minus_one
        penalty = log_inv_delta + alpha_minus_one * math.log1p(-1 / alpha) - math.log(alpha)
        return alpha * rho + penalty / alpha_minus_one

    # The standard bound's optimum, α = 1 + sqrt(ln(1/δ)/ρ), lies well inside this bracket.
    centre = 0.5 * math.log(log_inv_delta / rho)
    low, high = centre - 20.0, centre + 20.0
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(100):
        left, right = high - ratio * (high - low), low + ratio * (high - low)
        if bound(left) <= bound(right):
            high = right
        else:
            low = left
    return bound((low + high) / 2)
