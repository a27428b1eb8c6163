"""SDNist 2.4's binning and value checks (``sdnist.report.dataset.binning`` and ``validate``).

Kept literally, quirks included, so that :mod:`boroughkit.synth.evaluate.sdnist` reproduces
SDNist's scores; the docstrings say where SDNist's behaviour is surprising.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

MISSING = -1
N_PERCENTILE_BINS = 20


def is_missing(values: pd.Series) -> np.ndarray:
    """NaN or the NIST missing code ``"N"``."""
    return (values.isna() | (values.astype(str) == "N")).to_numpy()


def _as_int(values: pd.Series) -> np.ndarray:
    # SDNist reads numbers and casts with astype(int): fractions are truncated toward zero.
    return pd.to_numeric(values).to_numpy(dtype=float).astype(np.int64)


def percentile_bin_target(values: pd.Series) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """20 percentile bins of the target (average ranks of ties), missing as −1; and each bin's
    largest value, in bin order, to bin the deidentified data by."""
    missing = is_missing(values)
    numbers = pd.Series(_as_int(values[~missing]))
    ranks = numbers.rank(pct=True).to_numpy()
    bins = np.where(ranks < 1, (N_PERCENTILE_BINS * ranks).astype(np.int64), 19)
    labels = np.full(len(values), MISSING, dtype=np.int64)
    labels[~missing] = bins
    maxima = pd.DataFrame({"bin": bins, "value": numbers.to_numpy()}).groupby("bin")["value"].max()
    return labels, [(int(b), int(v)) for b, v in maxima.items()]


def percentile_bin_synthetic(values: pd.Series, maxima: list[tuple[int, int]]) -> np.ndarray:
    """Bin deidentified values by the target's bin maxima, as SDNist does.

    Bin 0 takes everything up to its maximum, each later bin (previous maximum, its maximum], the
    last bin everything above. SDNist starts from a previous maximum of 0, so when the target
    has no bin 0 (many tied smallest values), values ≤ 0 keep their raw value as label.
    """
    missing = is_missing(values)
    raw = _as_int(values[~missing])
    binned = raw.copy()
    last_bin = maxima[-1][0] if maxima else None
    max_b = 0
    for bin_, top in maxima:
        if bin_ == 0:
            max_b = top
            binned[raw <= max_b] = bin_
        elif bin_ != last_bin:
            min_b, max_b = max_b, top
            binned[(raw > min_b) & (raw <= max_b)] = bin_
        else:
            binned[raw > max_b] = bin_
    labels = np.full(len(values), MISSING, dtype=np.int64)
    labels[~missing] = binned
    return labels


def density_bins(values: pd.Series, density_max: float) -> np.ndarray:
    """SDNist's 14 DENSITY bins: (0, 150], then the 9th to 21st of 21 log-spaced edges from 10
    to max + 500; values are first truncated to whole numbers, as SDNist's validation does."""
    n_max = density_max + 500
    edges = np.logspace(start=math.log(10, 10), stop=math.log(n_max, 10), num=21)
    bins = [0, 150, *edges[8:]]
    numbers = pd.to_numeric(values.where(~is_missing(values)), errors="coerce").astype(float)
    # SDNist's value check casts DENSITY to whole numbers (astype(int)) before binning it.
    numbers = np.trunc(numbers)
    numbers = numbers.where(numbers >= 0, 0.0).where(numbers <= n_max, float(n_max) - 100)
    numbers = numbers.where(values.notna() & ~is_missing(values))
    cut = pd.cut(numbers, bins=bins, labels=list(range(len(bins) - 1)))
    return cut.cat.codes.to_numpy(dtype=np.int64)  # −1 where missing or outside the bins


def nist_valid_columns(
    synthetic: pd.DataFrame, columns: Sequence[str], dictionary: Mapping[str, Any]
) -> tuple[list[str], dict[str, str]]:
    """The columns SDNist keeps, and why each other one is left out.

    SDNist drops a column from the whole evaluation when any deidentified value is outside the
    data dictionary: a non-number, a code it does not list (PUMA and the coded columns), or a
    missing value where the dictionary has no ``N``.
    """
    kept: list[str] = []
    dropped: dict[str, str] = {}
    for name in columns:
        if name not in dictionary:
            dropped[name] = "not in the data dictionary"
            continue
        reason = _invalid(name, synthetic[name], dictionary[name].get("values") or {})
        if reason:
            dropped[name] = reason
        else:
            kept.append(name)
    return kept, dropped


def _invalid(name: str, values: pd.Series, allowed: Mapping[str, Any]) -> str | None:
    missing = is_missing(values)
    has_n = "N" in allowed if name != "INDP" else True
    if missing.any() and not has_n:
        return "missing values, which the data dictionary does not allow"
    present = values[~missing]
    if name == "PUMA":
        unknown = set(present.astype(str)) - set(allowed)
        return f"codes not in the data dictionary: {sorted(unknown)[:5]}" if unknown else None
    numbers = pd.to_numeric(present, errors="coerce")
    if numbers.isna().any():
        return "values that are not numbers"
    if "min" in allowed or name == "INDP":
        return None
    codes = {int(code) for code in allowed if code != "N"}
    unknown_codes = set(numbers.to_numpy(dtype=float).astype(np.int64).tolist()) - codes
    return (
        f"codes not in the data dictionary: {sorted(unknown_codes)[:5]}" if unknown_codes else None
    )
