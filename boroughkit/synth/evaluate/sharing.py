"""An evaluation fit to leave the council: rounded so that no small group can be counted.

The evaluation compares the extract with the real records; its figures describe real residents
and are not covered by a DP synthesiser's guarantee. Everything the recipient receives
(``evaluation.json``, ``evaluation.html``, the manifest, ``method-and-privacy.md``) is written
from the copy made here, in which every figure is rounded:

- counts of people to the nearest :data:`COUNT_BASE` (10);
- k-marginal scores (0 to 1000, overall, per pair, per area; the project's and SDNist's) to
  whole points;
- every other figure (shares of people, attack rates and advantages, accuracy, AUC, SDMetrics
  scores, distances to closest record) to :data:`DIGITS` decimals (a share to 0.1 %).

Derived figures (a share of matches, an attack's advantage) are computed from the exact counts
first and rounded after, so they agree with the gate's; the counts kept are the rounded ones.
The extract's own size is kept as it is (configured, or already rounded to 100). The
synthesiser's seed is left out unless the analyst set it in the config (a public value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from boroughkit.synth.evaluate.attacks import AttackResult
from boroughkit.synth.evaluate.kmarginal import KMarginalResult
from boroughkit.synth.evaluate.privacy import DistanceToClosest, ExactMatches
from boroughkit.synth.evaluate.report import ExtractEvaluation
from boroughkit.synth.evaluate.sdnist_figures import SdnistFigures

COUNT_BASE = 10
DIGITS = 3


def count(value: int) -> int:
    """A count of people, to the nearest ten."""
    return int(round(value / COUNT_BASE) * COUNT_BASE)


def figure(value: float) -> float:
    """A share, rate, score in [0, 1] or distance, to three decimals (NaN stays NaN)."""
    return value if math.isnan(value) else round(float(value), DIGITS)


def points(value: float) -> float:
    """A k-marginal score (0 to 1000), to whole points."""
    return value if math.isnan(value) else float(round(value))


@dataclass(frozen=True)
class RoundedMatches(ExactMatches):
    """Exact matches as shared: counts to 10, the share (from the exact counts) to 0.001."""

    rounded_share: float = 0.0

    @property
    def share(self) -> float:
        """The share of unique records matched, rounded."""
        return self.rounded_share


@dataclass(frozen=True)
class RoundedAttack(AttackResult):
    """An attack as shared: counts to 10; rates, advantage and interval (from the exact
    counts) to 0.001."""

    figures: dict[str, float] = field(default_factory=dict)
    is_informative: bool = True

    @property
    def train_rate(self) -> float:
        """Success rate on training records, rounded."""
        return self.figures["train_rate"]

    @property
    def control_rate(self) -> float:
        """Success rate on control records, rounded."""
        return self.figures["control_rate"]

    @property
    def advantage(self) -> float:
        """Attacker advantage, rounded."""
        return self.figures["advantage"]

    @property
    def advantage_interval(self) -> tuple[float, float]:
        """95 % interval of the advantage, rounded."""
        return self.figures["advantage_low"], self.figures["advantage_high"]

    @property
    def informative(self) -> bool:
        """As judged on the exact control rate."""
        return self.is_informative

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready rounded values."""
        return {
            "name": self.name,
            "train_successes": self.train_successes,
            "control_successes": self.control_successes,
            "trials": self.trials,
            **self.figures,
            "informative": self.informative,
        }


def _matches(found: ExactMatches | None) -> RoundedMatches | None:
    if found is None:
        return None
    return RoundedMatches(
        found.columns,
        count(found.unique_real),
        count(found.matched),
        found.draws,
        rounded_share=figure(found.share),
    )


def _attack(attack: AttackResult) -> RoundedAttack:
    low, high = attack.advantage_interval
    exact = {
        "train_rate": attack.train_rate,
        "control_rate": attack.control_rate,
        "advantage": attack.advantage,
        "advantage_low": low,
        "advantage_high": high,
    }
    return RoundedAttack(
        attack.name,
        count(attack.train_successes),
        count(attack.control_successes),
        count(attack.trials),
        figures={key: figure(value) for key, value in exact.items()},
        is_informative=attack.informative,
    )


def _dcr(dcr: DistanceToClosest) -> DistanceToClosest:
    rounded: dict[str, Any] = {key: figure(value) for key, value in dcr.to_dict().items()}
    return replace(dcr, **{**rounded, "queries": count(dcr.queries), "draws": dcr.draws})


def _sdnist(figures: SdnistFigures | None) -> SdnistFigures | None:
    if figures is None:
        return None
    return replace(
        figures,
        synthetic=points(figures.synthetic),
        synthetic_full_size=points(figures.synthetic_full_size),
        holdout_ceiling=points(figures.holdout_ceiling),
        per_area={area: points(score) for area, score in figures.per_area.items()},
        per_area_ceiling={area: points(score) for area, score in figures.per_area_ceiling.items()},
    )


def public_synthesiser(described: dict[str, Any], configured_seed: int | None) -> dict[str, Any]:
    """The synthesiser's description as shared: its seed only when the config set it (a
    drawn seed stays private), its rule acceptance rate to 0.001."""
    shared = dict(described)
    if configured_seed is None:
        shared.pop("seed", None)
    else:
        shared["seed"] = configured_seed
    rate = shared.get("rule_acceptance_rate")
    if isinstance(rate, float):
        shared["rule_acceptance_rate"] = figure(rate)
    return shared


def for_recipient(evaluation: ExtractEvaluation) -> ExtractEvaluation:
    """The evaluation as shared, every figure rounded (see the module docstring). Pass the
    synthesiser description through :func:`public_synthesiser` before evaluating."""
    usefulness, shapes = evaluation.utility, evaluation.shapes
    if usefulness is not None:
        usefulness = replace(
            usefulness,
            holdout_rows=count(usefulness.holdout_rows),
            positive_share=figure(usefulness.positive_share),
            synthetic_accuracy=figure(usefulness.synthetic_accuracy),
            synthetic_auc=figure(usefulness.synthetic_auc),
            real_accuracy=figure(usefulness.real_accuracy),
            real_auc=figure(usefulness.real_auc),
        )
    if shapes is not None:
        shapes = replace(
            shapes,
            column_shapes=figure(shapes.column_shapes),
            column_pair_trends=figure(shapes.column_pair_trends),
            rows_used=count(shapes.rows_used),
            per_column={name: figure(value) for name, value in shapes.per_column.items()},
        )
    exact_all, exact_holdout = _matches(evaluation.exact_all), _matches(evaluation.exact_holdout)
    assert exact_all is not None and exact_holdout is not None
    return replace(
        evaluation,
        # The extract's own size is public already (set in the config, or rounded to 100).
        rows={
            key: value if key == "synthetic" else count(value)
            for key, value in evaluation.rows.items()
        },
        fidelity=_kmarginal(evaluation.fidelity),
        fidelity_full_size=None
        if evaluation.fidelity_full_size is None
        else points(evaluation.fidelity_full_size),
        sdnist=_sdnist(evaluation.sdnist),
        ceiling=_kmarginal(evaluation.ceiling),
        exact_all=exact_all,
        exact_qi=_matches(evaluation.exact_qi),
        exact_holdout=exact_holdout,
        exact_same_size=_matches(evaluation.exact_same_size),
        dcr=_dcr(evaluation.dcr),
        attacks=[_attack(attack) for attack in evaluation.attacks],
        marginals={
            name: {
                **marginal,
                "real": [figure(v) for v in marginal["real"]],
                "synthetic": [figure(v) for v in marginal["synthetic"]],
            }
            for name, marginal in evaluation.marginals.items()
        },
        utility=usefulness,
        shapes=shapes,
        shared=True,
    )


def _kmarginal(result: KMarginalResult) -> KMarginalResult:
    pairs = result.pairs
    if len(pairs):
        pairs = pairs.assign(score=pairs["score"].map(points))
    return replace(
        result, score=points(result.score), pairs=pairs, per_area=result.per_area.map(points)
    )
