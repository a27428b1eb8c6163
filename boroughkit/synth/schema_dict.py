"""Build a :class:`SynthSchema` from a plain dict, e.g. ``boroughkit.demo.RESIDENT_SCHEMA``.

The dict maps column -> ``{"type": "id"|"category"|"integer"|"number"|"boolean"|"string",
"values": [...], "min", "max", "optional", "description"}``. Strings are free text and are never
synthesised (treated as ids and dropped) unless the string column is the area column, whose public
list of codes is passed in. Numbers get ``bins`` when given, else ten equal-width public bins
between their declared min and max.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from boroughkit.errors import ConfigError, DataError
from boroughkit.synth.rules import StructuralRule, parse_rules
from boroughkit.synth.schema import ColumnSpec, SynthSchema


def _column(
    name: str,
    entry: Mapping[str, Any],
    area_column: str | None,
    areas: Sequence[Any] | None,
    bins: Mapping[str, Sequence[float]],
) -> ColumnSpec:
    kind = entry.get("type")
    nullable = bool(entry.get("optional", False))
    description = str(entry.get("description", ""))
    if name == area_column:
        values = tuple(areas) if areas is not None else tuple(entry.get("values", ()))
        return ColumnSpec(name, "area", values=values, nullable=nullable, description=description)
    if kind in ("id", "string"):
        return ColumnSpec(name, "id", description=description)
    if kind == "category":
        return ColumnSpec(
            name,
            "category",
            values=tuple(entry.get("values", ())),
            nullable=nullable,
            description=description,
        )
    if kind == "boolean":
        return ColumnSpec(
            name,
            "flag",
            values=(False, True),
            positive=True,
            nullable=nullable,
            description=description,
        )
    if kind in ("integer", "number"):
        if "min" not in entry or "max" not in entry:
            raise ConfigError(
                f"column {name!r} ({kind}) declares no public min and max",
                fix="add min and max to the schema (never take them from the data)",
            )
        return ColumnSpec(
            name,
            kind,
            lower=float(entry["min"]),
            upper=float(entry["max"]),
            bins=tuple(bins.get(name, ())),
            nullable=nullable,
            description=description,
        )
    raise ConfigError(
        f"column {name!r} has unknown type {kind!r}",
        fix="use id, category, integer, number, boolean or string",
    )


def schema_from_dict(
    spec: Mapping[str, Mapping[str, Any]],
    *,
    area_column: str | None = None,
    areas: Sequence[Any] | None = None,
    quasi_identifiers: Sequence[str] = (),
    sensitive: Sequence[str] = (),
    rules: Iterable[str | StructuralRule] = (),
    person_column: str | None = None,
    household_column: str | None = None,
    household_attributes: Sequence[str] = (),
    drop: Sequence[str] = (),
    bins: Mapping[str, Sequence[float]] | None = None,
    name: str = "extract",
) -> SynthSchema:
    """A schema from a column -> declaration mapping; ``drop`` lists columns never synthesised."""
    unknown = sorted(set(drop) - set(spec))
    if unknown:
        raise ConfigError(f"cannot drop undeclared column(s) {unknown}", fix="check the names")
    columns = tuple(
        ColumnSpec(column, "id")
        if column in drop
        else _column(column, entry, area_column, areas, bins or {})
        for column, entry in spec.items()
    )
    notes = [
        f"{c.name} is free text or an id and is not synthesised" for c in columns if c.kind == "id"
    ]
    return SynthSchema(
        columns=columns,
        quasi_identifiers=tuple(quasi_identifiers),
        sensitive=tuple(sensitive),
        rules=parse_rules(rules),
        person_column=person_column,
        household_column=household_column,
        household_attributes=tuple(household_attributes),
        name=name,
        notes=tuple(notes),
    )


def to_one_row_per_person(data: pd.DataFrame, schema: SynthSchema) -> pd.DataFrame:
    """One row per ``schema.person_column``; raises if a synthesised column varies per person."""
    key = schema.person_column
    if key is None or data[key].is_unique:
        return data.reset_index(drop=True)
    per_person = data.groupby(key, sort=False)[schema.names].nunique(dropna=False)
    varying = [column for column in per_person.columns if (per_person[column] > 1).any()]
    if varying:
        examples = list(per_person.index[(per_person[varying] > 1).any(axis=1)][:3])
        raise DataError(
            f"column(s) {varying} differ between rows of the same person (e.g. {key} {examples})",
            fix="drop those row-level columns from the extract or turn them into per-person flags",
        )
    return data.drop_duplicates(subset=key, keep="first").reset_index(drop=True)
