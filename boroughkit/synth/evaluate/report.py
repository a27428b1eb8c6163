"""One call that scores a synthetic extract for fidelity, utility and privacy.

The real data is split before fitting (:func:`split_holdout`); the synthesiser sees only the
training part; everything here compares the synthetic data with the training part, and uses the
hold-out both as the fidelity ceiling (how close genuinely new people come) and as the control
set of the privacy attacks.

Like for like: wherever the synthetic data is set beside the hold-out (k-marginal scores, exact
matches, distance to closest record), it is scored as samples of the hold-out's size, the mean
over ``draws`` samples (a smaller sample scores lower and matches less, by chance alone). The
utility models train on as many synthetic as real records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from boroughkit.errors import DataError
from boroughkit.synth.evaluate.attacks import AttackResult, run_attacks
from boroughkit.synth.evaluate.kmarginal import KMarginalResult, kmarginal, mean_kmarginal
from boroughkit.synth.evaluate.privacy import (
    DistanceToClosest,
    ExactMatches,
    distance_to_closest,
    exact_matches,
    exact_matches_of_samples,
)
from boroughkit.synth.evaluate.sdnist_figures import SdnistFigures, sdnist_figures
from boroughkit.synth.evaluate.shapes import ShapesResult, sdmetrics_quality
from boroughkit.synth.evaluate.utility import UtilityResult, utility
from boroughkit.synth.rules import count_violations
from boroughkit.synth.schema import SynthSchema


def split_holdout(
    real: pd.DataFrame, frac: float = 0.2, seed: int = 0, *, group_column: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``real`` into (train, hold-out) at random; whole groups (households) stay together."""
    if not 0.0 < frac < 1.0:
        raise DataError(f"hold-out fraction must be in (0, 1), got {frac}", fix="use e.g. 0.2")
    rng = np.random.default_rng(seed)
    if group_column is None:
        order = rng.permutation(len(real))
        in_holdout = np.zeros(len(real), dtype=bool)
        in_holdout[order[: round(len(real) * frac)]] = True
    else:
        groups = real[group_column].unique()
        chosen = set(rng.permutation(groups)[: round(len(groups) * frac)])
        in_holdout = real[group_column].isin(chosen).to_numpy()
    if in_holdout.all() or not in_holdout.any():
        raise DataError(f"too few rows ({len(real)}) to keep a hold-out", fix="use more data")
    return (
        real[~in_holdout].reset_index(drop=True),
        real[in_holdout].reset_index(drop=True),
    )


@dataclass
class ExtractEvaluation:
    """Every score of one synthetic extract, ready for the report, the gate and the manifest."""

    method: str
    rows: dict[str, int]
    fidelity: KMarginalResult
    ceiling: KMarginalResult
    exact_all: ExactMatches
    exact_qi: ExactMatches | None
    # New people (the hold-out) matching unique training records by chance, and a synthetic
    # sample of the hold-out's size: the like-for-like comparison the gate makes.
    exact_holdout: ExactMatches
    dcr: DistanceToClosest
    attacks: list[AttackResult]
    rule_violations: dict[str, int]
    utility: UtilityResult | None = None
    shapes: ShapesResult | None = None
    marginals: dict[str, dict[str, list]] = field(default_factory=dict)
    synthesiser: dict[str, Any] = field(default_factory=dict)
    exact_same_size: ExactMatches | None = None
    # SDNist 2.4's own k-marginal (see evaluate.sdnist_figures); None when not computed.
    sdnist: SdnistFigures | None = None
    # The project's k-marginal of the whole synthetic file (not size-matched), for reference.
    fidelity_full_size: float | None = None
    # True for the rounded copy made to leave the council (see evaluate.sharing.for_recipient).
    shared: bool = False

    @property
    def exact_like_for_like(self) -> tuple[float, float]:
        """Shares of unique training records reproduced by as many synthetic records as there
        are hold-out people, and by the hold-out people themselves (chance for new people)."""
        synthetic = self.exact_same_size or self.exact_all
        return synthetic.share, self.exact_holdout.share

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (pair scores and per-area scores included)."""
        return {
            "method": self.method,
            "rows": self.rows,
            "kmarginal": {
                "definition": "boroughkit's own: schema bins, areas scored on their own rows",
                "synthetic": self.fidelity.score,
                "synthetic_size": "samples as large as the hold-out (mean)",
                "synthetic_full_size": self.fidelity_full_size,
                "holdout_ceiling": self.ceiling.score,
                "per_area": self.fidelity.per_area.to_dict(),
                "per_area_ceiling": self.ceiling.per_area.to_dict(),
                "sdnist": self.sdnist.to_dict() if self.sdnist else None,
            },
            "sdmetrics": self.shapes.to_dict() if self.shapes else None,
            "utility": self.utility.to_dict() if self.utility else None,
            "exact_matches": {
                "all_columns": _exact(self.exact_all),
                "quasi_identifiers": _exact(self.exact_qi) if self.exact_qi else None,
                "holdout_baseline": _exact(self.exact_holdout),
                "synthetic_sample_of_holdout_size": _exact(self.exact_same_size)
                if self.exact_same_size
                else None,
            },
            "dcr": self.dcr.to_dict(),
            "attacks": [attack.to_dict() for attack in self.attacks],
            "rule_violations": self.rule_violations,
            "synthesiser": self.synthesiser,
            "rounded_for_sharing": self.shared,
        }


def _exact(result: ExactMatches) -> dict[str, Any]:
    return {
        "unique_real": result.unique_real,
        "matched": result.matched / result.draws,  # per sample
        "share": result.share,
        "samples": result.draws,
    }


def _marginals(train: pd.DataFrame, synthetic: pd.DataFrame, schema: SynthSchema) -> dict:
    out: dict[str, dict[str, list]] = {}
    for spec in schema.synthesised:
        labels = spec.labels()
        size = len(labels)
        real = np.bincount(spec.encode(train[spec.name]), minlength=size) / max(len(train), 1)
        synth = np.bincount(spec.encode(synthetic[spec.name]), minlength=size) / max(
            len(synthetic), 1
        )
        out[spec.name] = {"labels": labels, "real": real.tolist(), "synthetic": synth.tolist()}
    return out


def same_size_samples(
    synthetic: pd.DataFrame, size: int, draws: int, seed: int
) -> list[pd.DataFrame]:
    """``draws`` samples of ``size`` synthetic rows (the file itself when not larger)."""
    if len(synthetic) <= size:
        return [synthetic]
    return [
        synthetic.sample(n=size, random_state=seed + draw).reset_index(drop=True)
        for draw in range(draws)
    ]


def evaluate_extract(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: SynthSchema,
    *,
    method: str = "synthetic",
    target: str | None = None,
    secrets: Sequence[str] | None = None,
    with_sdmetrics: bool = True,
    with_utility: bool = True,
    with_sdnist: bool = True,
    n_attack_targets: int = 200_000,
    draws: int = 5,
    seed: int = 0,
    synthesiser: dict[str, Any] | None = None,
) -> ExtractEvaluation:
    """Score ``synthetic`` (fitted on ``train``) against ``train`` with ``holdout`` as control;
    comparisons with the hold-out use ``draws`` synthetic samples of its size."""
    train = schema.validate(train, source="training data")
    holdout = schema.validate(holdout, source="hold-out data")
    synthetic = schema.validate(synthetic, source="synthetic data")
    qis = list(schema.quasi_identifiers)
    run_utility = with_utility and (target is not None or bool(schema.flags))
    samples = same_size_samples(synthetic, len(holdout), draws, seed)
    return ExtractEvaluation(
        method=method,
        rows={"train": len(train), "holdout": len(holdout), "synthetic": len(synthetic)},
        fidelity=mean_kmarginal([kmarginal(train, sample, schema) for sample in samples]),
        fidelity_full_size=kmarginal(train, synthetic, schema, by_area=False).score,
        ceiling=kmarginal(train, holdout, schema),
        sdnist=sdnist_figures(train, holdout, synthetic, samples, schema) if with_sdnist else None,
        exact_all=exact_matches(train, synthetic, schema),
        exact_qi=exact_matches(train, synthetic, schema, qis) if qis else None,
        exact_holdout=exact_matches(train, holdout, schema),
        exact_same_size=exact_matches_of_samples(train, samples, schema),
        dcr=distance_to_closest(train, holdout, synthetic, schema, draws=draws, seed=seed),
        attacks=run_attacks(
            train,
            holdout,
            synthetic,
            schema,
            secrets=secrets,
            n_targets=n_attack_targets,
            seed=seed,
        )
        if len(qis) >= 2
        else [],
        rule_violations=count_violations(synthetic, schema.rules),
        utility=utility(train, holdout, synthetic, schema, target, draws=draws, seed=seed)
        if run_utility
        else None,
        shapes=sdmetrics_quality(train, synthetic, schema, seed=seed) if with_sdmetrics else None,
        marginals=_marginals(train, synthetic, schema),
        synthesiser=synthesiser or {},
    )
