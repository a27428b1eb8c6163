"""Row hashing for record-level checks: equal rows get equal 64-bit keys, fast on many rows.

Numbers compare by value (``5`` equals ``5.0``), text by its string form, and missing values
equal each other, so an output and an input read with different dtypes still compare.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from boroughkit.errors import ConfigError, DataError

_MISSING = "\x00<missing>"


def row_keys(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """One uint64 hash per row of ``frame[columns]``, equal for rows with equal values."""
    require_columns(frame, columns)
    combined = np.zeros(len(frame), dtype=np.uint64)
    for column in columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            numbers = values.to_numpy(dtype="float64", na_value=np.nan) + 0.0  # -0.0 → 0.0
            numbers[np.isnan(numbers)] = np.nan  # one NaN bit pattern, so NaNs hash equally
            hashed = pd.util.hash_array(numbers)
        else:
            text = values.astype("string").fillna(_MISSING).to_numpy(dtype=object)
            hashed = pd.util.hash_array(text)
        with np.errstate(over="ignore"):
            combined = combined * np.uint64(1_000_003) + hashed
    return combined


def class_sizes(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> np.ndarray:
    """For each record, how many records (itself included) share its QI combination."""
    keys = row_keys(frame, quasi_identifiers)
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return np.asarray(counts[inverse], dtype=np.int64)


def household_signatures(
    records: pd.DataFrame, household: str, quasi_identifiers: Sequence[str]
) -> pd.Series:
    """One uint64 per household summarising the multiset of its members' QI combinations.

    Records with no household id count as one-person households.
    """
    require_columns(records, [household])
    member_keys = row_keys(records, quasi_identifiers)
    # A second hash spreads member keys before summing, so the sum (mod 2**64) is an
    # order-free fingerprint of the members; distinct households collide with odds near 2**-64.
    spread = pd.util.hash_array(member_keys)
    codes, uniques = pd.factorize(records[household])
    missing = codes < 0
    # Records with no household id become one-person households of their own.
    codes[missing] = len(uniques) + np.arange(int(missing.sum()))
    labels = list(uniques) + [f"{_MISSING}{p}" for p in np.flatnonzero(missing)]
    order = np.argsort(codes, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0])
    with np.errstate(over="ignore"):
        sums = np.add.reduceat(spread[order], starts) if len(order) else spread[:0]
        sizes = np.diff(np.r_[starts, len(order)]).astype(np.uint64)
        signature = sums + sizes * np.uint64(0x9E3779B97F4A7C15)
    return pd.Series(signature, index=pd.Index(labels, name=household), name="signature")


def json_value(value: Any) -> Any:
    if value is None or (not isinstance(value, str | bytes) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, int | float | str | bool) else str(value)


def require_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    if not columns:
        raise ConfigError(
            "no quasi-identifier columns were given",
            fix="declare the quasi-identifiers, e.g. [age_band, sex, ward_code]",
        )
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise DataError(
            f"records lack column(s) {', '.join(map(repr, missing))} "
            f"(they have {', '.join(map(str, frame.columns))})",
            fix="name existing columns as quasi-identifiers or household id",
        )
