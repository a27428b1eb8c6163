"""The 2-way k-marginal exactly as NIST's SDNist 2.4 computes it, on data in the NIST CRC format.

SDNist (``sdnist.report.dataset`` and ``sdnist.metrics.kmarginal``) scores a deidentified file
against its target like this, and so does :func:`sdnist_kmarginal`:

- **Columns**: those both files share, except PUMA and INDP (PUMA goes into every marginal
  instead). A column whose deidentified values fall outside the data dictionary (an unknown code,
  a non-number, a missing value where the dictionary has no ``N``) is left out of the evaluation.
- **Bins**: AGEP, POVPIP, PINCP, PWGTP and WGTP in 20 percentile bins of the target
  (``rank(pct=True)``, bin ``int(20 × rank)``); deidentified values are binned by the target's
  bin maxima; missing (``N``) is bin −1. DENSITY in 12 log bins up to the dictionary's maximum
  plus 500. Every other column keeps its codes, missing as −1.
- **Headline**: for each pair (a, b), the L1 distance between the target's and the deidentified
  data's (PUMA, a, b) densities over the whole file; score = (2 − mean L1) × 500, so 1000 is
  identical. SDNist's report shows it truncated to an integer.
- **Per PUMA**: within each PUMA the L1 distance (capped at the PUMA's share of the target)
  scaled by N / N_PUMA; score = (1 − mean) × 1000.

The quirks of SDNist's synthetic binning are kept on purpose (values below the first target
bin's range keep their raw value), so that scores agree with SDNist's own to rounding.
:func:`generic_rules` applies the same rules to any schema (numeric columns in percentile bins,
the area column in every marginal) for data not in the NIST format.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from boroughkit.errors import DataError
from boroughkit.synth.evaluate.sdnist_bins import (
    density_bins,
    is_missing,
    nist_valid_columns,
    percentile_bin_synthetic,
    percentile_bin_target,
)

#: SDNist's percentile-binned columns (``numeric_features`` in ``sdnist.report.dataset``).
PERCENTILE_COLUMNS = ("AGEP", "POVPIP", "PINCP", "PWGTP", "WGTP")
#: Left out of the marginals (``sdnist.metrics.kmarginal``).
EXCLUDED_COLUMNS = ("PUMA", "INDP")
#: ``DENSITY.values.max`` of the NIST CRC data dictionary, used when no dictionary is given.
NIST_DENSITY_MAX = 52864.7
MISSING = -1


@dataclass(frozen=True)
class SdnistRules:
    """Which columns SDNist bins how; :data:`NIST_RULES` for the CRC excerpts."""

    group_column: str | None = "PUMA"
    percentile_columns: tuple[str, ...] = PERCENTILE_COLUMNS
    density_column: str | None = "DENSITY"
    density_max: float = NIST_DENSITY_MAX
    excluded: tuple[str, ...] = EXCLUDED_COLUMNS
    # The data dictionary (``data_dictionary.json``) checks deidentified values; None: no check.
    dictionary: Mapping[str, Any] | None = None


NIST_RULES = SdnistRules()


def nist_rules(dictionary: Mapping[str, Any]) -> SdnistRules:
    """SDNist's rules with the CRC data dictionary (value checks and DENSITY's maximum)."""
    density = dictionary.get("DENSITY", {}).get("values", {})
    return SdnistRules(
        density_max=float(density.get("max", NIST_DENSITY_MAX)), dictionary=dictionary
    )


def generic_rules(
    numeric: Sequence[str], *, group_column: str | None, excluded: Sequence[str] = ()
) -> SdnistRules:
    """SDNist's rules applied to any data: numeric columns in 20 percentile bins of the target,
    the area column in every marginal, no log-binned column and no dictionary check."""
    return SdnistRules(
        group_column=group_column,
        percentile_columns=tuple(numeric),
        density_column=None,
        excluded=tuple({*excluded, *([group_column] if group_column else [])}),
        dictionary=None,
    )


@dataclass(frozen=True)
class SdnistScore:
    """SDNist's headline 2-way k-marginal (0 to 1000) and its per-area scores."""

    score: float
    per_area: pd.Series  # area code -> score (empty without a group column)
    columns: tuple[str, ...]  # columns paired
    dropped: dict[str, str] = field(default_factory=dict)  # column -> why it was left out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "score": self.score,
            "per_area": {str(k): float(v) for k, v in self.per_area.items()},
            "columns": list(self.columns),
            "dropped": dict(self.dropped),
        }


def sdnist_kmarginal(
    target: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    rules: SdnistRules = NIST_RULES,
) -> SdnistScore:
    """Score ``synthetic`` against ``target`` as SDNist 2.4 does (see the module docstring).

    Missing values may be NaN or the string ``"N"``. Deterministic: there is nothing random.
    """
    shared = [c for c in target.columns if c in synthetic.columns and not c.startswith("IND_")]
    dropped: dict[str, str] = {}
    if rules.dictionary is not None:
        shared, dropped = nist_valid_columns(synthetic, shared, rules.dictionary)
    group = rules.group_column if rules.group_column in shared else None
    pair_columns = sorted(c for c in shared if c not in rules.excluded and c != group)
    if len(pair_columns) < 2:
        raise DataError(
            f"the SDNist k-marginal needs two columns besides the area; got {pair_columns}",
            fix="score files that share at least two columns",
        )
    target_codes, synth_codes = _binned(target, synthetic, [*pair_columns], rules)
    if group is not None:
        areas = pd.Index(sorted(set(target[group].astype(str))))
        target_area = areas.get_indexer(target[group].astype(str))
        synth_area = areas.get_indexer(synthetic[group].astype(str))
        synth_keep = synth_area >= 0  # an area the target lacks scores as all difference
    else:
        areas = pd.Index(["all"])
        target_area = np.zeros(len(target), dtype=np.int64)
        synth_area = np.zeros(len(synthetic), dtype=np.int64)
        synth_keep = np.ones(len(synthetic), dtype=bool)
    totals, per_area = _score(
        target_codes, synth_codes, target_area, synth_area, synth_keep, len(areas), pair_columns
    )
    score = (2.0 - totals) * 500.0
    area_scores = (
        pd.Series((1.0 - per_area) * 1000.0, index=areas, name="score", dtype=float)
        if group is not None
        else pd.Series(dtype=float, name="score")
    )
    return SdnistScore(float(score), area_scores, tuple(pair_columns), dropped)


def _binned(
    target: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str], rules: SdnistRules
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Integer codes (shared between the two files) of every paired column, binned as SDNist."""
    t_codes, s_codes = {}, {}
    for name in columns:
        if name in rules.percentile_columns:
            t_labels, maxima = percentile_bin_target(target[name])
            s_labels = percentile_bin_synthetic(synthetic[name], maxima)
        elif name == rules.density_column:
            t_labels = density_bins(target[name], rules.density_max)
            s_labels = density_bins(synthetic[name], rules.density_max)
        else:
            t_labels, s_labels = _category_labels(target[name]), _category_labels(synthetic[name])
        both = pd.Index(pd.unique(np.concatenate([t_labels, s_labels])))
        t_codes[name] = both.get_indexer(t_labels)
        s_codes[name] = both.get_indexer(s_labels)
    return t_codes, s_codes


def _category_labels(values: pd.Series) -> np.ndarray:
    """A category's codes, missing as −1; numbers cast to whole numbers as SDNist's
    ``astype(int)`` does (1.7 becomes 1), text (data not in the NIST format) kept as it is."""
    missing = is_missing(values)
    numbers = pd.to_numeric(values.where(~missing), errors="coerce")
    whole = numbers.map(lambda v: str(int(v)) if pd.notna(v) else None)
    labels = whole.where(numbers.notna(), values.astype(str))
    return np.where(missing, str(MISSING), labels.to_numpy(dtype=object)).astype(object)


def _score(
    target: dict[str, np.ndarray],
    synthetic: dict[str, np.ndarray],
    target_area: np.ndarray,
    synth_area: np.ndarray,
    synth_keep: np.ndarray,
    n_areas: int,
    columns: list[str],
) -> tuple[float, np.ndarray]:
    """Mean over pairs of the whole-file L1 distance, and of each area's scaled capped one."""
    n_target, n_synth = len(target_area), len(synth_area)
    area_share = np.bincount(target_area, minlength=n_areas) / n_target
    l1_sum = 0.0
    area_sum = np.zeros(n_areas)
    pairs = list(itertools.combinations(columns, 2))
    for a, b in pairs:
        size_b = int(max(target[b].max(initial=0), synthetic[b].max(initial=0))) + 1
        size = (int(max(target[a].max(initial=0), synthetic[a].max(initial=0))) + 1) * size_b
        t_cell = target_area * size + target[a] * size_b + target[b]
        s_cell = (synth_area * size + synthetic[a] * size_b + synthetic[b])[synth_keep]
        t_den = np.bincount(t_cell, minlength=n_areas * size) / n_target
        s_den = np.bincount(s_cell, minlength=n_areas * size) / max(n_synth, 1)
        diff = np.abs(t_den - s_den)
        # Synthetic rows in an area the target lacks still count against the whole file.
        outside = (n_synth - int(synth_keep.sum())) / max(n_synth, 1)
        l1_sum += float(diff.sum()) + outside
        by_area = diff.reshape(n_areas, size).sum(axis=1)
        area_sum += np.minimum(area_share, by_area) / np.where(area_share > 0, area_share, 1.0)
    return l1_sum / len(pairs), area_sum / len(pairs)
