"""The declared schema of a synthetic extract: every column's kind, public values and public bins.

Nothing here is learnt from the private data. Category lists, area codes, numeric bounds and bin
edges are declared up front (from a data dictionary or the producer's documentation), so the
synthesisers, the DP marginals and the evaluation all use the same public domain.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from boroughkit.errors import ConfigError, DataError
from boroughkit.synth.columns import (
    COLUMN_KINDS,
    MISSING_LABEL,
    ColumnKind,
    ColumnSpec,
    default_bins,
    values_series,
)
from boroughkit.synth.rules import StructuralRule

__all__ = [
    "COLUMN_KINDS",
    "MISSING_LABEL",
    "ColumnKind",
    "ColumnSpec",
    "Hierarchy",
    "SynthSchema",
    "default_bins",
    "values_series",
]


@dataclass(frozen=True)
class Hierarchy:
    """A public many-to-one map from a detailed column to its coarser parent (code -> category).

    A synthesiser may model the parent and draw the child within it; a missing child has a missing
    parent.
    """

    child: str
    parent: str
    parent_of: tuple[tuple[Any, Any], ...]

    def children_by_parent(self) -> dict[Any, list[Any]]:
        """Parent value -> the child values under it, in declared order."""
        grouped: dict[Any, list[Any]] = {}
        for child_value, parent_value in self.parent_of:
            grouped.setdefault(parent_value, []).append(child_value)
        return grouped


@dataclass(frozen=True)
class SynthSchema:
    """The whole declared schema: columns, quasi-identifiers, household and structural rules.

    Households ("keep households together"): with ``household_column`` set, the household CART
    (:class:`boroughkit.synth.households.HouseholdCART`) synthesises households first (their
    ``household_attributes`` and size) and then the persons of each household given those, so
    members of one synthetic household share them. The other synthesisers produce independent
    persons and drop the household id.
    """

    columns: tuple[ColumnSpec, ...]
    quasi_identifiers: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = ()
    rules: tuple[StructuralRule, ...] = ()
    household_column: str | None = None
    household_attributes: tuple[str, ...] = ()
    person_column: str | None = None
    hierarchies: tuple[Hierarchy, ...] = ()
    name: str = "extract"
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        names = [spec.name for spec in self.columns]
        if len(set(names)) != len(names):
            raise ConfigError("schema declares a column twice", fix="give each column once")
        for name in (*self.quasi_identifiers, *self.sensitive, *self.household_attributes):
            if self.column(name).kind == "id":
                raise ConfigError(f"column {name!r} is an id and is never synthesised")
        for key in (self.household_column, self.person_column):
            if key is not None and self.column(key).kind != "id":
                raise ConfigError(f"column {key!r} must be declared with kind 'id'")
        for rule in self.rules:
            for name in rule.columns:
                self.column(name)
        for hierarchy in self.hierarchies:
            child, parent = self.column(hierarchy.child), self.column(hierarchy.parent)
            if not (child.is_discrete and parent.is_discrete):
                raise ConfigError(f"hierarchy {child.name} -> {parent.name} needs two categories")
            mapped = {value for value, _ in hierarchy.parent_of}
            if set(child.values) - mapped or mapped - set(child.values):
                raise ConfigError(
                    f"hierarchy {child.name} -> {parent.name} must map every value of "
                    f"{child.name} exactly once",
                    fix="list each child value with its parent",
                )
        if sum(spec.kind == "area" for spec in self.columns) > 1:
            raise ConfigError("schema declares more than one area column", fix="keep one")

    def column(self, name: str) -> ColumnSpec:
        """The spec of ``name``; a ConfigError with a suggestion when unknown."""
        for spec in self.columns:
            if spec.name == name:
                return spec
        names = [spec.name for spec in self.columns]
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"declared: {', '.join(names)}"
        raise ConfigError(f"schema has no column {name!r}", fix=hint)

    @property
    def synthesised(self) -> tuple[ColumnSpec, ...]:
        """The columns a synthesiser produces (ids are dropped)."""
        return tuple(spec for spec in self.columns if spec.kind != "id")

    @property
    def names(self) -> list[str]:
        """Names of the synthesised columns, in declared order."""
        return [spec.name for spec in self.synthesised]

    @property
    def area_column(self) -> str | None:
        """The area column, if one is declared."""
        return next((spec.name for spec in self.columns if spec.kind == "area"), None)

    @property
    def flags(self) -> list[str]:
        """Names of the flag columns (candidates for the utility classifier)."""
        return [spec.name for spec in self.columns if spec.kind == "flag"]

    def validate(self, data: pd.DataFrame, *, source: str = "input") -> pd.DataFrame:
        """The synthesised columns of ``data``, checked against the declared domain."""
        absent = [name for name in self.names if name not in data.columns]
        if absent:
            raise DataError(
                f"{source}: declared column(s) {absent} are missing",
                fix="rename the columns in the input or fix the schema",
            )
        frame = data[self.names].reset_index(drop=True)
        for spec in self.synthesised:
            spec.encode(frame[spec.name], source=source)
        return frame

    def encode(self, data: pd.DataFrame, *, source: str = "data") -> pd.DataFrame:
        """Integer codes of every synthesised column (numbers by their public bins)."""
        return pd.DataFrame(
            {spec.name: spec.encode(data[spec.name], source=source) for spec in self.synthesised}
        )

    def decode(self, codes: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        """Values from codes (numbers drawn uniformly within their bins)."""
        return pd.DataFrame(
            {spec.name: spec.decode(codes[spec.name].to_numpy(), rng) for spec in self.synthesised}
        )

    def binned(self, data: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Readable labels per cell (value, bin interval or ``missing``) for evaluation."""
        specs = [self.column(name) for name in (columns or self.names)]
        return pd.DataFrame(
            {
                spec.name: np.asarray(spec.labels(), dtype=object)[spec.encode(data[spec.name])]
                for spec in specs
            }
        )

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description: kinds, public values or bounds and the cut points used."""
        columns: dict[str, Any] = {}
        for spec in self.columns:
            entry: dict[str, Any] = {"kind": spec.kind, "nullable": spec.nullable}
            if spec.is_discrete:
                entry["values"] = [str(value) for value in spec.values]
            if spec.is_numeric:
                entry |= {"lower": spec.lower, "upper": spec.upper, "cut_points": list(spec.bins)}
            columns[spec.name] = entry
        return {
            "name": self.name,
            "columns": columns,
            "quasi_identifiers": list(self.quasi_identifiers),
            "sensitive": list(self.sensitive),
            "rules": [rule.text for rule in self.rules],
            "household_column": self.household_column,
            "household_attributes": list(self.household_attributes),
            "hierarchies": {h.child: h.parent for h in self.hierarchies},
            "notes": list(self.notes),
        }
