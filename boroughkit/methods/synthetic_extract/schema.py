"""From a ``synthetic-extract`` config to the synthesiser's schema and one real row per person.

The schema comes from the declared source columns (types, public category lists, public min and
max), never from the data; the area column is ``<area_level>_code`` with every area code of the
geography bundle as its public list.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from boroughkit.config.models import PipelineConfig
from boroughkit.errors import ConfigError
from boroughkit.methods.synthetic_extract.config import SyntheticExtractRelease
from boroughkit.synth import SynthSchema, schema_from_dict, to_one_row_per_person

_NOT_SYNTHESISED = ("id", "string", "date")


def area_column(release: SyntheticExtractRelease) -> str:
    """The extract's area column, e.g. ``ward_code``."""
    return f"{release.area_level}_code"


def extract_columns(config: PipelineConfig) -> list[str]:
    """The declared columns the extract synthesises (the area column excluded)."""
    release = _release(config)
    declared = config.source.columns
    private = _never_synthesised(config)
    if not release.columns:
        return [
            name
            for name, c in declared.items()
            if c.type not in _NOT_SYNTHESISED and name not in private
        ]
    for position, name in enumerate(release.columns):
        if name in private:
            raise ConfigError(
                f"release.columns[{position}]: {name!r} identifies a person, a household or "
                "a location finer than the extract's area",
                fix="remove it; the area column is added at release.area_level",
            )
        column = declared.get(name)
        if column is None:
            raise ConfigError(
                f"release.columns[{position}]: {name!r} is not declared under source.columns",
                fix="declare it (type, public values or min/max) under source.columns",
            )
        if column.type in _NOT_SYNTHESISED:
            raise ConfigError(
                f"release.columns[{position}]: {name!r} is of type {column.type}; ids, free "
                "text and dates are never synthesised",
                fix="remove it from release.columns",
            )
    return list(dict.fromkeys(release.columns))


def _never_synthesised(config: PipelineConfig) -> set[str]:
    """Ids, identifiers, opt-out flags and the columns that place a record finer than its area."""
    geocode = config.geography.geocode
    source = config.source
    names = {
        source.privacy_unit,
        source.household,
        source.opt_out_column,
        *source.identifiers,
        geocode.oa,
        geocode.postcode,
        geocode.x,
        geocode.y,
    }
    return {name for name in names if name}


def build_schema(config: PipelineConfig, area_codes: list[str]) -> SynthSchema:
    """The synthesiser's schema: declared columns, the area column, QIs, rules and bins."""
    release = _release(config)
    area = area_column(release)
    columns = extract_columns(config)
    household = config.source.household if release.households else None
    spec: dict[str, dict[str, Any]] = {
        key: {"type": "id"} for key in (config.source.privacy_unit, household) if key
    }
    spec[area] = {"type": "string", "description": f"{release.area_level} code (geography bundle)"}
    for name in columns:
        declared = config.source.columns[name].model_dump(exclude_none=True)
        if declared["type"] == "boolean":
            declared.pop("values", None)
        spec[name] = declared
    known = {area, *columns}
    _check_names(release.quasi_identifiers, known, "release.quasi_identifiers")
    _check_names(release.sensitive, known, "release.sensitive")
    _check_names(list(release.bins), known, "release.bins")
    _check_names(release.household_attributes, known, "release.household_attributes")
    if release.utility_target:
        _check_names([release.utility_target], known, "release.utility_target")
    if release.households and household is None:
        raise ConfigError(
            "release.households is true but source.household names no household column",
            fix="set source.household (e.g. uprn) or remove households: true",
        )
    return schema_from_dict(
        spec,
        area_column=area,
        areas=area_codes,
        quasi_identifiers=release.quasi_identifiers or [area],
        sensitive=release.sensitive,
        rules=release.rules,
        person_column=config.source.privacy_unit,
        household_column=household,
        household_attributes=release.household_attributes,
        bins=release.bins,
        name=config.name,
    )


def people_frame(
    records: pd.DataFrame, schema: SynthSchema, oa_to_area: pd.Series, area: str
) -> pd.DataFrame:
    """One real row per person with the area column; row-level columns must not vary."""
    frame = records.assign(**{area: records["oa_code"].map(oa_to_area)})
    keep = [c for c in (schema.person_column, schema.household_column) if c]
    frame = frame[[*keep, *schema.names]]
    return to_one_row_per_person(frame, schema)


def _check_names(names: list[str], known: set[str], key: str) -> None:
    for position, name in enumerate(names):
        if name not in known:
            raise ConfigError(
                f"{key}[{position}]: {name!r} is not a column of the extract",
                fix=f"use one of {', '.join(sorted(known))}",
            )


def _release(config: PipelineConfig) -> SyntheticExtractRelease:
    release = config.release
    assert isinstance(release, SyntheticExtractRelease)
    return release
