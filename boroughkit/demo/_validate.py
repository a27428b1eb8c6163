"""Checks on the inputs of the resident generator, with errors that say what to fix."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from boroughkit.errors import ConfigError, DataError

_SHOWN = 5  # how many offending codes or rows an error message lists


def checked_n(n: object) -> int:
    """The number of persons to generate, as a non-negative int."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or int(n) < 0:
        raise ConfigError(
            f"the number of residents to generate must be a whole number >= 0, got {n!r}",
            fix="pass n as a non-negative integer, e.g. n=200000",
        )
    return int(n)


def checked_oa_codes(lookup: pd.DataFrame) -> pd.Index:
    """The lookup's OA codes as a string Index, after checking they are present and unique."""
    if not isinstance(lookup, pd.DataFrame) or "oa_code" not in lookup.columns:
        found = list(lookup.columns) if isinstance(lookup, pd.DataFrame) else type(lookup).__name__
        raise DataError(
            f"the geography lookup has no 'oa_code' column (found {found})",
            fix="pass GeographyBundle.lookup, or a DataFrame with one row per OA in 'oa_code'",
        )
    if lookup.empty:
        raise DataError(
            "the geography lookup has no rows, so there are no Output Areas to place residents in",
            fix="pass a lookup with one row per Output Area of the borough",
        )
    codes = lookup["oa_code"].astype("string").str.strip()
    blank = np.flatnonzero((codes.isna() | (codes == "")).to_numpy(bool))
    if len(blank):
        raise DataError(
            f"the geography lookup has {len(blank)} rows with no 'oa_code' "
            f"(rows {blank[:_SHOWN].tolist()})",
            fix="drop those rows or fill in their 2021 Output Area codes",
        )
    duplicated = codes[codes.duplicated()].unique().tolist()
    if duplicated:
        raise DataError(
            f"the geography lookup lists {len(duplicated)} OA codes more than once in 'oa_code' "
            f"(e.g. {duplicated[:_SHOWN]})",
            fix="keep one row per Output Area",
        )
    return pd.Index(codes.to_numpy(object))


def population_of(lookup: pd.DataFrame) -> np.ndarray:
    """Usual residents per OA as floats, NaN where unknown (everywhere without the column)."""
    if "population" not in lookup.columns:
        return np.full(len(lookup), np.nan)
    population = pd.to_numeric(lookup["population"], errors="coerce")
    values = population.to_numpy(dtype=float, na_value=np.nan)
    negative = np.flatnonzero(values < 0)
    if len(negative):
        codes = lookup["oa_code"].iloc[negative[:_SHOWN]].tolist()
        raise DataError(
            f"the geography lookup has a negative 'population' for {len(negative)} OAs "
            f"(e.g. {codes})",
            fix="use usual-resident counts (0 or more), or leave the population empty",
        )
    return values


def checked_postcodes(postcodes: pd.DataFrame | None) -> pd.DataFrame | None:
    """The postcode table, after checking it has 'postcode' and 'oa_code' columns."""
    if postcodes is None:
        return None
    missing = {"postcode", "oa_code"} - set(getattr(postcodes, "columns", []))
    if not isinstance(postcodes, pd.DataFrame) or missing:
        raise DataError(
            f"the postcode table lacks the columns {sorted(missing)}",
            fix="pass GeographyBundle.postcodes, a DataFrame with 'postcode' and 'oa_code'",
        )
    return postcodes.dropna(subset=["postcode", "oa_code"])
