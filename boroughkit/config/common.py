"""Shared building blocks of the config models: strict base, exact numbers, names, levels."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from boroughkit.privacy.budget import Rho
from boroughkit.terms import LEVELS, canonical_level
from boroughkit.terms import Level as AreaLevel

#: An area level in a config (the method configs import it from here): ``lad``, the ONS name
#: of a borough, is read as ``borough``.
Level = Annotated[AreaLevel, BeforeValidator(canonical_level)]

LEVEL_ORDER: tuple[str, ...] = LEVELS
DEFAULT_LEVELS: tuple[AreaLevel, ...] = ("oa", "ward", "borough")
PublishFormat = Literal["parquet", "geojson", "csv"]
ALL_FORMATS: tuple[PublishFormat, ...] = ("parquet", "geojson", "csv")


MAX_NUMBER_CHARACTERS = 40
_A_NUMBER = "a number such as 0.5 or a fraction such as 1/3"
# Beyond this power of ten a number is outside every range a config allows; it is not computed
# (Fraction("1e999999999") would build a billion-digit integer).
_LARGEST_EXPONENT = 100


def refuse(message: str, fix: str) -> PydanticCustomError:
    """A validation error the loader shows as ``message``, with ``fix`` as the fix to print."""
    return PydanticCustomError("boroughkit_refused", "{message}", {"message": message, "fix": fix})


def _shown(value: Any) -> str:
    text = str(value).strip()
    return text if len(text) <= 24 else f"{text[:20]}..."


def _exact_fraction(value: Any) -> Fraction:
    """Read a number exactly, never negative; see :func:`exact_fraction`."""
    result = exact_fraction(value)
    if result < 0:
        raise refuse(f"must not be negative (got {_shown(value)})", f"give {_A_NUMBER}")
    return result


def exact_fraction(value: Any) -> Fraction:
    """``value`` (an int, a float, or text such as '0.5', '1e-3' or '1/3') as an exact fraction.

    Through text so that YAML's 0.1 becomes exactly 1/10, not the nearest binary float. A number
    too large or too small for any setting (``1e1000000``, ``1e-1000000``) is read as 10^±101
    rather than computed, so that the caller's range check refuses it by name.
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise refuse(f"must be {_A_NUMBER}", f"give {_A_NUMBER}, without quotes or units")
    if isinstance(value, int):
        return Fraction(value)
    text = str(value).strip()
    if len(text) > MAX_NUMBER_CHARACTERS:
        raise refuse(
            f"is too long for a number ({len(text)} characters; at most {MAX_NUMBER_CHARACTERS})",
            f"give {_A_NUMBER}",
        )
    try:
        if "/" in text:  # a ratio of whole numbers: no exponent, so no huge power to compute
            return Fraction(text)
        decimal = Decimal(text)
    except (ValueError, ZeroDivisionError, ArithmeticError):
        raise refuse(
            f"must be {_A_NUMBER}, not {_shown(value)!r}", f"give {_A_NUMBER}, without units"
        ) from None
    if not decimal.is_finite():
        raise refuse(f"must be a finite number, not {_shown(value)!r}", f"give {_A_NUMBER}")
    if decimal.is_zero():
        return Fraction(0)
    sign = -1 if decimal.is_signed() else 1
    if decimal.adjusted() > _LARGEST_EXPONENT:
        return sign * Fraction(10) ** (_LARGEST_EXPONENT + 1)
    if decimal.adjusted() < -_LARGEST_EXPONENT:
        return sign * Fraction(1, 10 ** (_LARGEST_EXPONENT + 1))
    return Fraction(decimal)


def _number_text(value: Fraction) -> str:
    """A bound as a person writes it: 100, 0.000001, 1/3."""
    if value.denominator == 1:
        return f"{value.numerator:,}"
    decimal = Decimal(value.numerator) / Decimal(value.denominator)
    return f"{decimal.normalize():f}"


def positive_number(
    largest: Fraction, smallest: Fraction | None = None, *, fix: str
) -> Callable[[Any], Fraction]:
    """A before-validator: an exact number more than 0 (at least ``smallest``, when given) and
    at most ``largest``; each refusal says which bound, with ``fix``."""

    def check(value: Any) -> Fraction:
        result = exact_fraction(value)
        if result < 0:
            raise refuse(f"must be more than 0, not negative ({_shown(value)})", fix)
        if result == 0:
            raise refuse(f"must be more than 0 (got {_shown(value)})", fix)
        if smallest is not None and result < smallest:
            raise refuse(
                f"{_shown(value)} is below {_number_text(smallest)}, the smallest allowed", fix
            )
        if result > largest:
            raise refuse(
                f"{_shown(value)} is above {_number_text(largest)}, the largest allowed", fix
            )
        return result

    return check


#: The smallest and largest ρ a release may spend. Below, the noise swamps every count (and
#: would underflow a float); above, the release protects no one (ε over 180 at δ = 1e-7).
SMALLEST_RHO = Fraction(1, 1_000_000)
LARGEST_RHO = Fraction(100)
_check_rho = positive_number(
    LARGEST_RHO,
    SMALLEST_RHO,
    fix=f"give rho a number from {_number_text(SMALLEST_RHO)} to {_number_text(LARGEST_RHO)}, "
    "such as 0.5; the dataset's registered lifetime limits what all its releases spend",
)


def _budget(value: Any) -> Rho:
    # The same reading as any exact number, held as the privacy layer's budget type.
    return Rho(_check_rho(value.value if isinstance(value, Rho) else value))


ExactNumber = Annotated[Fraction, BeforeValidator(_exact_fraction)]
#: A relative weight (a table's weight, a level's share): more than 0, at most a million.
Weight = Annotated[
    Fraction,
    BeforeValidator(
        positive_number(
            Fraction(1_000_000),
            fix="give a positive weight such as 1 (shares are weights over their sum); to leave a "
            "table or level out, remove it instead",
        )
    ),
]
# A zCDP budget in a config: exact, within [SMALLEST_RHO, LARGEST_RHO]; written to JSON as the
# ledger writes it.
Budget = Annotated[
    Rho, BeforeValidator(_budget), PlainSerializer(Rho.to_json, return_type=str, when_used="json")
]
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=80)]


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors; values are immutable; numbers are
    finite (``.nan`` and ``.inf`` are refused)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, arbitrary_types_allowed=True, allow_inf_nan=False
    )


class BudgetConfig(Strict):
    """The zCDP privacy budget one release draws from its dataset's registered lifetime."""

    rho: Budget = Field(
        description="ρ, a number or a fraction such as 1/2 (zero-concentrated differential "
        "privacy)."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_lifetime_here(cls, data: Any) -> Any:
        # A budget set in a config would come back whenever a ledger went missing.
        if isinstance(data, dict) and "lifetime" in data:
            raise ValueError(
                "lifetime is not set in a config: a dataset's lifetime budget is registered "
                "once, by a named person, with `boroughkit ledger init --catalogue CATALOGUE "
                "--dataset NAME --rho TOTAL --by NAME --reason TEXT` (and published)"
            )
        return data


def levels_in_order(levels: list[Level]) -> list[Level]:
    """Levels from finest to coarsest; a repeated level is an error."""
    if len(set(levels)) != len(levels):
        raise ValueError("a level is listed twice")
    return sorted(levels, key=LEVEL_ORDER.index)


class ReleaseSection(Strict):
    """Base of every release method's config section (``release:``).

    Each method subclasses it with ``method: Literal["its-name"]``; the method registry builds
    the discriminated union the loader validates against.
    """

    method: str


class TableSection(Strict):
    """What every published table has: a name, the categories it counts by, its levels and
    the unit it counts (each table method adds its own protection settings)."""

    name: Name = Field(description="The table's name: its folder and file names.")
    count_by: list[str] = Field(
        description="Declared category columns to count by (none: one total per area).",
        default_factory=list,
    )
    levels: list[Level] = Field(
        description="The area levels to publish, from oa (finest) to borough (or lad) and region.",
        default_factory=lambda: list(DEFAULT_LEVELS),
        min_length=1,
    )
    #: Who or what is counted (``residents``, ``households``): the explorer's column heading.
    unit: str = Field(
        description="Who or what is counted (residents, households): the explorer's column "
        "heading.",
        default="residents",
        min_length=1,
        max_length=40,
    )

    _levels_in_order = field_validator("levels")(levels_in_order)

    @field_validator("count_by")
    @classmethod
    def _distinct_columns(cls, count_by: list[str]) -> list[str]:
        repeated = sorted({column for column in count_by if count_by.count(column) > 1})
        if repeated:
            raise refuse(f"lists {', '.join(repeated)} more than once", "list each column once")
        return count_by
