"""Sequential CART synthesis (synthpop style) on scikit-learn decision trees.

Columns are drawn one after another: the first from its marginal, each later one from a tree fitted
on the columns before it. Safeguards against copying real records:

- every leaf holds at least ``min_leaf`` real rows (default 5);
- a synthetic value is a donor value drawn at random from its leaf, one column at a time, never
  a whole real record;
- numeric donor values are smoothed with a Gaussian kernel (Silverman bandwidth of the leaf),
  reflected back into the leaf's range; values shared by at least ``spike_share`` of the rows
  (top codes, zero incomes) are common, not identifying, and stay exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from boroughkit.errors import ConfigError
from boroughkit.synth.base import Synthesiser
from boroughkit.synth.schema import ColumnSpec, SynthSchema


@dataclass(frozen=True)
class _DonorPools:
    """Real values of one column grouped by the leaf they fell in."""

    leaf_ids: np.ndarray  # sorted node ids of the leaves
    starts: np.ndarray  # first donor of each leaf in ``values``
    counts: np.ndarray  # donors per leaf
    values: np.ndarray  # donor values, grouped by leaf
    bandwidth: np.ndarray  # smoothing bandwidth per leaf (0: no smoothing)
    low: np.ndarray  # leaf minimum (non-missing)
    high: np.ndarray  # leaf maximum (non-missing)


def _pools(
    leaves: np.ndarray, values: np.ndarray, smooth: bool, bounds: tuple[float, float] = (0, 0)
) -> _DonorPools:
    order = np.argsort(leaves, kind="stable")
    leaves, values = leaves[order], values[order]
    leaf_ids, starts, counts = np.unique(leaves, return_index=True, return_counts=True)
    n = len(leaf_ids)
    bandwidth, low, high = np.zeros(n), np.full(n, np.nan), np.full(n, np.nan)
    if smooth:
        present = values[~np.isnan(values)]
        # A leaf with fewer than two distinct values borrows the column's bandwidth and bounds,
        # so a lone donor value is never handed out exactly.
        fallback = _silverman(present) if len(np.unique(present)) >= 2 else 0.0
        for i, (start, count) in enumerate(zip(starts, counts, strict=True)):
            pool = values[start : start + count]
            pool = pool[~np.isnan(pool)]
            if len(np.unique(pool)) >= 2:
                bandwidth[i] = _silverman(pool)
                low[i], high[i] = pool.min(), pool.max()
            else:
                bandwidth[i], (low[i], high[i]) = fallback, bounds
    return _DonorPools(leaf_ids, starts, counts, values, bandwidth, low, high)


def _silverman(pool: np.ndarray) -> float:
    spread = np.std(pool, ddof=1)
    iqr = np.subtract(*np.percentile(pool, [75, 25])) / 1.34
    scale = min(spread, iqr) if iqr > 0 else spread
    return float(0.9 * scale * len(pool) ** -0.2)


class SequentialCART(Synthesiser):
    """Synthpop-style sequential CART; reproducible from ``seed``."""

    method = "cart"

    def __init__(
        self,
        schema: SynthSchema,
        *,
        seed: int | None = None,
        min_leaf: int = 5,
        smooth: bool = True,
        spike_share: float = 0.05,
        order: Sequence[str] | None = None,
        max_depth: int | None = None,
    ) -> None:
        super().__init__(schema, seed=seed)
        if min_leaf < 1:
            raise ConfigError(f"min_leaf must be at least 1 (got {min_leaf})", fix="use 5")
        self.min_leaf = min_leaf
        self.smooth = smooth
        self.spike_share = spike_share
        self.max_depth = max_depth
        self.order = list(order) if order is not None else schema.names
        unknown = sorted(set(self.order) ^ set(schema.names))
        if unknown:
            raise ConfigError(
                f"CART visit order must list each synthesised column once; differs on {unknown}",
                fix=f"use a permutation of {schema.names}",
            )
        self._trees: list[DecisionTreeClassifier] = []
        self._pools: list[_DonorPools] = []
        self._spikes: dict[str, np.ndarray] = {}

    def parameters(self) -> dict[str, Any]:
        """Settings recorded with the extract."""
        return {
            "min_leaf": self.min_leaf,
            "smooth": self.smooth,
            "spike_share": self.spike_share,
            "max_depth": self.max_depth,
            "order": self.order,
        }

    def _fit(self, data: pd.DataFrame) -> None:
        specs = [self.schema.column(name) for name in self.order]
        features = np.column_stack([_feature(spec, data[spec.name]) for spec in specs])
        self._spikes = {
            spec.name: _spike_values(data[spec.name], self.spike_share)
            for spec in specs
            if spec.is_numeric
        }
        first = specs[0]
        self._trees, self._pools = [], []
        self._first = _pools(
            np.zeros(len(data), dtype=np.int64),
            _donors(first, data),
            self._smooths(first),
            _bounds(first),
        )
        for j, spec in enumerate(specs[1:], start=1):
            tree = DecisionTreeClassifier(
                min_samples_leaf=self.min_leaf,
                max_depth=self.max_depth,
                random_state=int(self._rng.integers(2**31 - 1)),
            )
            tree.fit(features[:, :j], spec.encode(data[spec.name]))
            self._trees.append(tree)
            leaves = tree.apply(features[:, :j])
            self._pools.append(
                _pools(leaves, _donors(spec, data), self._smooths(spec), _bounds(spec))
            )

    def _smooths(self, spec: ColumnSpec) -> bool:
        return self.smooth and spec.is_numeric

    def _sample_batch(self, n: int) -> pd.DataFrame:
        return self.sample_given(pd.DataFrame(index=range(n)))

    def sample_given(self, fixed: pd.DataFrame) -> pd.DataFrame:
        """One row per row of ``fixed``, whose columns (the first of the visit order) are kept.

        Rules are not enforced here: callers conditioning on fixed values enforce them.
        """
        if list(fixed.columns) != self.order[: len(fixed.columns)]:
            raise ConfigError(
                f"fixed columns {list(fixed.columns)} must start the CART visit order",
                fix=f"pass the first columns of {self.order}",
            )
        n = len(fixed)
        specs = [self.schema.column(name) for name in self.order]
        columns: dict[str, np.ndarray] = {}
        features = np.empty((n, len(specs)))
        for j, spec in enumerate(specs):
            if spec.name in fixed.columns:
                values = fixed[spec.name].to_numpy()
                columns[spec.name] = values
                features[:, j] = _feature(spec, pd.Series(values))
                continue
            if j == 0:
                leaves = np.zeros(n, dtype=np.int64)
                pools = self._first
            else:
                leaves = self._trees[j - 1].apply(features[:, :j])
                pools = self._pools[j - 1]
            values = self._draw(spec, pools, leaves)
            columns[spec.name] = values
            features[:, j] = _feature(spec, pd.Series(values))
        return pd.DataFrame({name: _restore(columns[name]) for name in self.schema.names})

    def _draw(self, spec: ColumnSpec, pools: _DonorPools, leaves: np.ndarray) -> np.ndarray:
        position = np.searchsorted(pools.leaf_ids, leaves)
        pick = pools.starts[position] + np.floor(
            self._rng.random(len(leaves)) * pools.counts[position]
        ).astype(np.int64)
        values = pools.values[pick]
        if not (spec.is_numeric and self.smooth):
            return values
        numbers = values.astype(float)
        smooth = ~np.isnan(numbers) & (pools.bandwidth[position] > 0)
        smooth &= ~np.isin(numbers, self._spikes.get(spec.name, np.array([])))
        jitter = self._rng.normal(0.0, 1.0, len(numbers)) * pools.bandwidth[position]
        smoothed = _reflect(numbers + jitter, pools.low[position], pools.high[position])
        numbers = np.where(smooth, smoothed, numbers)
        return np.round(numbers) if spec.kind == "integer" else numbers


def _reflect(values: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Fold values back inside [low, high]: clipping would pile them on the real extremes."""
    values = np.where(values < low, 2 * low - values, values)
    values = np.where(values > high, 2 * high - values, values)
    return np.clip(values, low, high)


def _donors(spec: ColumnSpec, data: pd.DataFrame) -> np.ndarray:
    series = data[spec.name]
    if spec.is_numeric:
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    return series.to_numpy(dtype=object)


def _bounds(spec: ColumnSpec) -> tuple[float, float]:
    return (float(spec.lower or 0.0), float(spec.upper or 0.0)) if spec.is_numeric else (0.0, 0.0)


def _feature(spec: ColumnSpec, series: pd.Series) -> np.ndarray:
    """A numeric predictor: numbers as they are (NaN kept), categories as their code."""
    if spec.is_numeric:
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    return spec.encode(series).astype(float)


def _spike_values(series: pd.Series, share: float) -> np.ndarray:
    counts = pd.to_numeric(series, errors="coerce").dropna().value_counts(normalize=True)
    return counts[counts >= share].index.to_numpy(dtype=float)


def _restore(values: np.ndarray) -> pd.Series:
    """Object arrays of numbers back to numeric series (NaN for missing)."""
    series = pd.Series(values)
    if series.dtype == object:
        converted = pd.to_numeric(series, errors="coerce")
        if converted.notna().sum() == series.notna().sum():
            return converted
    return series
