"""Utility: does a model trained on synthetic data predict as well as one trained on real data?

A gradient-boosted classifier predicts a flag column from every other column; one copy is trained
on the synthetic data, one on the real training data, and both are tested on the real hold-out
(train-synthetic-test-real against train-real-test-real). Rows whose flag is missing are left out.
Like for like, both models learn from as many records: the larger side is subsampled to the
smaller's size, and the scores of that side are the mean over several samples.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, roc_auc_score
from threadpoolctl import threadpool_limits

from boroughkit.errors import ConfigError, DataError
from boroughkit.synth.schema import SynthSchema


@dataclass(frozen=True)
class UtilityResult:
    """Accuracy and AUC on the real hold-out of models trained on synthetic and on real data."""

    target: str
    positive: str
    holdout_rows: int
    positive_share: float
    synthetic_accuracy: float
    synthetic_auc: float
    real_accuracy: float
    real_auc: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return asdict(self)


def _features(data: pd.DataFrame, schema: SynthSchema, target: str) -> pd.DataFrame:
    columns = {}
    for spec in schema.synthesised:
        if spec.name == target:
            continue
        if spec.is_numeric:
            columns[spec.name] = pd.to_numeric(data[spec.name], errors="coerce").to_numpy()
        else:
            # Codes as categories (missing is a category of its own).
            columns[spec.name] = spec.encode(data[spec.name])
    return pd.DataFrame(columns)


def _labelled(data: pd.DataFrame, target: str, positive: Any) -> tuple[pd.DataFrame, np.ndarray]:
    keep = data[target].notna().to_numpy()
    return data[keep].reset_index(drop=True), (data[target][keep] == positive).to_numpy()


def _fit_score(
    train: pd.DataFrame,
    y_train: np.ndarray,
    test: pd.DataFrame,
    y_test: np.ndarray,
    schema: SynthSchema,
    target: str,
) -> tuple[float, float]:
    if len(np.unique(y_train)) < 2:
        # A constant training label: predict it everywhere (AUC of a constant score is 0.5).
        constant = bool(y_train[0]) if len(y_train) else False
        return float(accuracy_score(y_test, np.full(len(y_test), constant))), 0.5
    # Long code lists (industry codes) stay ordinal: categorical splits over hundreds of codes
    # cost much and add little.
    categorical = [
        name
        for name in _features(train.head(1), schema, target).columns
        if not schema.column(name).is_numeric and schema.column(name).n_codes <= 64
    ]
    model = HistGradientBoostingClassifier(
        categorical_features=categorical or None,
        max_iter=100,
        early_stopping=True,
        n_iter_no_change=10,
        random_state=0,
    )
    x_train, x_test = _features(train, schema, target), _features(test, schema, target)
    # One thread: small tables gain nothing from more, and a busy machine loses a lot.
    with threadpool_limits(limits=1):
        model.fit(x_train, y_train)
        scores = model.predict_proba(x_test)[:, 1]
    auc = float(roc_auc_score(y_test, scores)) if len(np.unique(y_test)) > 1 else float("nan")
    return float(accuracy_score(y_test, scores >= 0.5)), auc


def utility(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: SynthSchema,
    target: str | None = None,
    *,
    draws: int = 5,
    seed: int = 0,
) -> UtilityResult:
    """Train-synthetic-test-real against train-real-test-real for one flag column, on
    training sets of equal size."""
    name = target or (schema.flags[0] if schema.flags else None)
    if name is None:
        raise ConfigError("no flag column to predict", fix="declare a flag or pass target=")
    spec = schema.column(name)
    if not spec.is_discrete:
        raise ConfigError(f"utility target {name!r} must be a flag or category")
    positive = spec.positive if spec.positive is not None else spec.values[-1]
    test, y_test = _labelled(holdout, name, positive)
    if len(test) == 0:
        raise DataError(f"the hold-out has no rows with {name!r} present", fix="pick another flag")
    size = min(len(train), len(synthetic))

    def mean_scores(data: pd.DataFrame) -> tuple[float, float]:
        samples = (
            [data]
            if len(data) <= size
            else [data.sample(n=size, random_state=seed + draw) for draw in range(draws)]
        )
        scores = [
            _fit_score(*_labelled(sample, name, positive), test, y_test, schema, name)
            for sample in samples
        ]
        return float(np.mean([s[0] for s in scores])), float(np.mean([s[1] for s in scores]))

    synthetic_accuracy, synthetic_auc = mean_scores(synthetic)
    real_accuracy, real_auc = mean_scores(train)
    return UtilityResult(
        target=name,
        positive=str(positive),
        holdout_rows=len(test),
        positive_share=float(y_test.mean()),
        synthetic_accuracy=synthetic_accuracy,
        synthetic_auc=synthetic_auc,
        real_accuracy=real_accuracy,
        real_auc=real_auc,
    )
