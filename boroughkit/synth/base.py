"""The one interface every synthesiser shares: ``fit(real)`` then ``sample(n)``.

Sampling enforces the schema: values are kept within public bounds and every structural rule
holds on every returned row. Rules whose consequences can be set (``is missing``, ``== value``)
are repaired in declared order; rows still breaking a rule are rejected and more are drawn.
"""

from __future__ import annotations

import math
import secrets
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from boroughkit.errors import DataError
from boroughkit.synth.rules import StructuralRule, violating_rows
from boroughkit.synth.schema import SynthSchema

_MAX_ROUNDS = 30
_REPAIRABLE = ("is missing", "==")


class Synthesiser(ABC):
    """Fit on real person-level rows, then sample synthetic rows of the declared schema.

    Non-DP methods are reproducible from ``seed`` (a fresh one is drawn and recorded when none is
    given); DP methods are never seeded.
    """

    method: str = "synthesiser"
    differentially_private: ClassVar[bool] = False

    def __init__(self, schema: SynthSchema, *, seed: int | None = None) -> None:
        self.schema = schema
        if self.differentially_private:
            self.seed: int | None = None
        else:
            self.seed = seed if seed is not None else secrets.randbits(32)
        self._rng = np.random.default_rng(self.seed)
        self._fitted = False
        self.last_acceptance: float | None = None

    def fit(self, real: pd.DataFrame) -> Self:
        """Learn from ``real``: one row per person, validated against the schema, ids dropped."""
        key = self.schema.person_column
        if key is not None and key in real.columns and not real[key].is_unique:
            # DP bounds each person's contribution by one row; the other methods assume it too.
            repeated = list(real[key][real[key].duplicated()].head(3))
            raise DataError(
                f"column {key!r} repeats (e.g. {repeated}): a synthesiser takes one row per person",
                fix="reduce the input with boroughkit.synth.to_one_row_per_person first",
            )
        data = self.schema.validate(real, source="real data")
        if len(data) < 10:
            raise DataError(
                f"only {len(data)} real rows to fit {self.method} on",
                fix="synthesise from at least a few dozen rows",
            )
        self._fit(data)
        self._fitted = True
        return self

    def sample(self, n: int) -> pd.DataFrame:
        """``n`` synthetic rows with every structural rule holding on every row."""
        if not self._fitted:
            raise DataError(f"{self.method} has not been fitted", fix="call fit(real) first")
        kept: list[pd.DataFrame] = []
        have, drawn, accepted = 0, 0, 0
        acceptance = 1.0
        for _ in range(_MAX_ROUNDS):
            if have >= n:
                break
            batch_size = max(64, math.ceil((n - have) / max(acceptance, 0.02) * 1.1))
            batch = self._enforce_bounds(self._sample_batch(batch_size))
            batch = repair(batch, self.schema.rules)
            good = batch[~violating_rows(batch, self.schema.rules)]
            drawn, accepted = drawn + len(batch), accepted + len(good)
            acceptance = max(accepted / drawn, 1e-3)
            kept.append(good)
            have += len(good)
        if have < n:
            raise DataError(
                f"{self.method}: only {have} of {n} sampled rows satisfy the structural rules",
                fix="check the rules against the data, or fit on more data",
            )
        self.last_acceptance = accepted / drawn if drawn else None
        out = pd.concat(kept, ignore_index=True).iloc[:n]
        return out[self.schema.names].reset_index(drop=True)

    def describe(self) -> dict[str, Any]:
        """What was run, for the manifest: method, seed, parameters, acceptance of sampling."""
        return {
            "method": self.method,
            "differentially_private": self.differentially_private,
            "seed": self.seed,
            "parameters": self.parameters(),
            "rule_acceptance_rate": self.last_acceptance,
        }

    def parameters(self) -> dict[str, Any]:
        """The method's settings (override to add more)."""
        return {}

    @abstractmethod
    def _fit(self, data: pd.DataFrame) -> None:
        """Learn from validated real rows."""

    @abstractmethod
    def _sample_batch(self, n: int) -> pd.DataFrame:
        """About ``n`` raw rows (rules not yet enforced)."""

    def _enforce_bounds(self, batch: pd.DataFrame) -> pd.DataFrame:
        batch = batch.reset_index(drop=True).copy()
        for spec in self.schema.synthesised:
            if spec.is_numeric:
                values = pd.to_numeric(batch[spec.name], errors="coerce")
                values = values.clip(spec.lower, spec.upper)
                batch[spec.name] = values.round() if spec.kind == "integer" else values
            else:
                # A value outside the public list becomes missing (and the row is dropped
                # below when the column may not be missing).
                inside = batch[spec.name].isin(list(spec.values))
                if not inside.all():
                    batch[spec.name] = batch[spec.name].where(inside)
        required = [spec.name for spec in self.schema.synthesised if not spec.nullable]
        return batch.dropna(subset=required).reset_index(drop=True)


def repair(batch: pd.DataFrame, rules: tuple[StructuralRule, ...]) -> pd.DataFrame:
    """Set the consequence of every repairable rule (``is missing`` / ``== v``) where it fires."""
    if not any(_repairable(rule) for rule in rules):
        return batch
    batch = batch.copy()
    for rule in rules:
        if not _repairable(rule):
            continue
        broken = rule.violations(batch)
        if not broken.any():
            continue
        for condition in rule.then:
            column = batch[condition.column]
            if condition.op == "is missing":
                # Missing needs a dtype that can hold it: floats for numbers, objects for flags.
                if column.dtype.kind in "iu":
                    batch[condition.column] = column.astype(float)
                elif column.dtype.kind == "b" or isinstance(column.dtype, pd.CategoricalDtype):
                    batch[condition.column] = column.astype(object)
                batch.loc[broken, condition.column] = np.nan
            else:
                if isinstance(column.dtype, pd.CategoricalDtype):
                    batch[condition.column] = column.astype(object)
                batch.loc[broken, condition.column] = condition.value
    return batch


def _repairable(rule: StructuralRule) -> bool:
    return all(condition.op in _REPAIRABLE for condition in rule.then)
