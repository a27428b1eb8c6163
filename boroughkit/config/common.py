"""Shared building blocks of the config models: strict base, exact numbers, names, levels."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from boroughkit.privacy.budget import Rho
from boroughkit.terms import LEVELS, Level

LEVEL_ORDER: tuple[str, ...] = LEVELS
DEFAULT_LEVELS: tuple[Level, ...] = ("oa", "ward", "borough")
PublishFormat = Literal["parquet", "geojson", "csv"]
ALL_FORMATS: tuple[PublishFormat, ...] = ("parquet", "geojson", "csv")


def _exact_fraction(value: Any) -> Fraction:
    # Through str() so that YAML's 0.1 becomes exactly 1/10, not the nearest binary float.
    if isinstance(value, bool) or not isinstance(value, int | float | str | Fraction):
        raise ValueError("must be a number such as 0.5 or a fraction such as 1/3")
    try:
        result = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError) as error:
        raise ValueError("must be a number such as 0.5 or a fraction such as 1/3") from error
    if result < 0:
        raise ValueError("must not be negative")
    return result


def _budget(value: Any) -> Rho:
    # The same reading and messages as any exact number, held as the privacy layer's budget type.
    return value if isinstance(value, Rho) else Rho(_exact_fraction(value))


ExactNumber = Annotated[Fraction, BeforeValidator(_exact_fraction)]
# A zCDP budget in a config: exact, never negative; written to JSON as the ledger writes it.
Budget = Annotated[
    Rho, BeforeValidator(_budget), PlainSerializer(Rho.to_json, return_type=str, when_used="json")
]
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=80)]


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors; values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class BudgetConfig(Strict):
    """A zCDP privacy budget for one release; `lifetime` sets the dataset's ledger total."""

    rho: Budget
    lifetime: Budget | None = None


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
