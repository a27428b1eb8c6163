"""One declared column: its kind, public values or bounds and bins, and how it is encoded.

Numeric bins are public cut points, left-closed ``[e_i, e_{i+1})`` with the last bin closed; a
missing value is a cell of its own after the values or bins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from boroughkit.errors import ConfigError, DataError

ColumnKind = Literal["category", "integer", "number", "id", "area", "flag"]
COLUMN_KINDS: tuple[str, ...] = get_args(ColumnKind)
MISSING_LABEL = "missing"


def default_bins(lower: float, upper: float, *, count: int = 10, integer: bool = False) -> tuple:
    """``count`` equal-width bin edges from ``lower`` to ``upper`` (whole numbers for integers)."""
    edges = np.linspace(lower, upper, count + 1)
    if integer:
        edges = np.unique(np.round(edges))
    return tuple(float(edge) for edge in edges)


@dataclass(frozen=True)
class ColumnSpec:
    """One declared column: its kind, public value list or bounds and bins, and missingness.

    Numeric bins are left-closed ``[e_i, e_{i+1})`` with the last bin closed, so a rule such as
    ``AGEP < 15`` lines up with an edge at 15.
    """

    name: str
    kind: ColumnKind
    values: tuple[Any, ...] = ()
    lower: float | None = None
    upper: float | None = None
    bins: tuple[float, ...] = ()
    nullable: bool = False
    positive: Any = None
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in COLUMN_KINDS:
            raise ConfigError(
                f"column {self.name!r}: unknown kind {self.kind!r}",
                fix=f"use one of {', '.join(COLUMN_KINDS)}",
            )
        if self.kind == "flag" and not self.values:
            object.__setattr__(self, "values", (False, True))
        if self.is_discrete:
            self._check_values()
        if self.is_numeric:
            self._check_bounds()
        if self.kind == "flag" and self.positive is None:
            object.__setattr__(self, "positive", self.values[-1])

    def _check_values(self) -> None:
        if not self.values:
            raise ConfigError(
                f"column {self.name!r} ({self.kind}) has no public list of values",
                fix="declare every allowed value, e.g. from the data dictionary",
            )
        if len(set(self.values)) != len(self.values):
            raise ConfigError(f"column {self.name!r} lists a value twice", fix="remove duplicates")
        if self.positive is not None and self.positive not in self.values:
            raise ConfigError(
                f"flag {self.name!r}: positive value {self.positive!r} is not one of its values",
                fix=f"choose one of {list(self.values)}",
            )

    def _check_bounds(self) -> None:
        if self.lower is None or self.upper is None or not self.lower < self.upper:
            raise ConfigError(
                f"numeric column {self.name!r} needs public bounds with lower < upper "
                f"(got {self.lower}, {self.upper})",
                fix="declare min and max from the data dictionary, not from the data",
            )
        bins = self.bins or default_bins(self.lower, self.upper, integer=self.kind == "integer")
        edges = sorted({float(self.lower), *map(float, bins), float(self.upper)})
        if edges[0] < self.lower or edges[-1] > self.upper:
            raise ConfigError(
                f"column {self.name!r}: bin edges {bins} fall outside [{self.lower}, {self.upper}]",
                fix="keep every public cut point within the declared bounds",
            )
        object.__setattr__(self, "bins", tuple(edges))

    @property
    def is_discrete(self) -> bool:
        """True for categories, areas and flags (a finite public list of values)."""
        return self.kind in ("category", "area", "flag")

    @property
    def is_numeric(self) -> bool:
        """True for integers and numbers (public bounds and bins)."""
        return self.kind in ("integer", "number")

    @property
    def n_codes(self) -> int:
        """Number of cells of this column's public domain, the missing cell included."""
        base = len(self.values) if self.is_discrete else len(self.bins) - 1
        return base + int(self.nullable)

    def labels(self) -> list[str]:
        """A readable label per code: the value, the bin interval, then ``missing``."""
        if self.is_discrete:
            labels = [str(value) for value in self.values]
        else:
            last = len(self.bins) - 2
            labels = [
                f"[{_fmt(a)}, {_fmt(b)}{']' if i == last else ')'}"
                for i, (a, b) in enumerate(zip(self.bins[:-1], self.bins[1:], strict=True))
            ]
        return labels + ([MISSING_LABEL] if self.nullable else [])

    def encode(self, series: pd.Series, *, source: str = "data") -> np.ndarray:
        """Integer codes of the public domain; raises naming the rows outside it."""
        missing = series.isna().to_numpy()
        if self.is_discrete:
            codes = pd.Index(self.values).get_indexer(series)
            bad = (codes < 0) & ~missing
            allowed = f"one of {list(self.values)[:20]}"
        else:
            numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
            bad = (np.isnan(numbers) & ~missing) | (numbers < self.lower) | (numbers > self.upper)
            edges = np.asarray(self.bins)
            codes = np.clip(np.searchsorted(edges, numbers, side="right") - 1, 0, len(edges) - 2)
            allowed = f"a number in [{self.lower}, {self.upper}]"
        if bad.any():
            raise _domain_error(self.name, series, bad, allowed, source)
        if missing.any():
            if not self.nullable:
                raise _domain_error(self.name, series, missing, "a value (not missing)", source)
            codes = np.where(missing, self.n_codes - 1, codes)
        return codes.astype(np.int64)

    def decode(self, codes: np.ndarray, rng: np.random.Generator) -> pd.Series:
        """Values for codes: the category, or a uniform draw inside the bin; missing as NaN."""
        codes = np.asarray(codes, dtype=np.int64)
        missing = self.nullable & (codes == self.n_codes - 1)
        safe = np.where(missing, 0, codes)
        if self.is_discrete:
            return values_series(np.asarray(self.values, dtype=object)[safe], missing, self.name)
        edges = np.asarray(self.bins)
        low, high = edges[safe], edges[safe + 1]
        if self.kind == "integer":
            # Integers in [low, high): the last bin includes its upper edge.
            top = np.where(safe == len(edges) - 2, np.floor(high) + 1, np.ceil(high))
            drawn = np.floor(rng.uniform(np.ceil(low), np.maximum(top, np.ceil(low) + 1)))
        else:
            drawn = rng.uniform(low, high)
        return values_series(drawn, missing, self.name)


def values_series(values: np.ndarray, missing: np.ndarray, name: str) -> pd.Series:
    """A series of values with NaN where ``missing``; numbers as float or int like pandas reads."""
    if all(isinstance(v, (bool, np.bool_)) for v in values[:1000]):
        flags = pd.Series(values.astype(bool), name=name)
        return flags.astype(object).where(~missing) if missing.any() else flags
    if all(isinstance(v, (int, float, np.integer, np.floating)) for v in values[:1000]):
        numbers = np.asarray(values, dtype=float)
        numbers[missing] = np.nan
        if not missing.any() and np.all(numbers == np.round(numbers)):
            return pd.Series(numbers.astype(np.int64), name=name)
        return pd.Series(numbers, name=name)
    out = pd.Series(values, name=name, dtype=object)
    out[missing] = np.nan
    return out


def _fmt(edge: float) -> str:
    return str(int(edge)) if float(edge).is_integer() else f"{edge:g}"


def _domain_error(
    column: str, series: pd.Series, bad: np.ndarray, allowed: str, source: str
) -> DataError:
    rows = list(series.index[bad][:5])
    examples = list(series[bad].head(3))
    return DataError(
        f"{source}: column {column!r} has {int(bad.sum())} value(s) outside the declared schema "
        f"(rows {rows}, e.g. {examples}); allowed: {allowed}",
        fix=f"correct those rows or extend the public declaration of {column!r}",
    )
