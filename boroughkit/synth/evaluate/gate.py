"""The gate a synthetic extract must pass before it leaves the council, decided on evidence.

Each measure is read with its 95 % interval (:mod:`boroughkit.synth.evaluate.evidence`):

- **attacks**: refused when the lower end of an attacker-advantage interval exceeds
  ``max_attack_advantage`` (0.05); passed when the upper end is within it; otherwise
  inconclusive. An advantage is called "shown" only when its interval excludes zero.
- **unique exact matches**: the share of unique training records that a synthetic sample as
  large as the hold-out reproduces (mean of several draws), against the share the hold-out's new
  people reproduce by chance. Passed when the excess is within ``max_exact_match_share``
  (0.05 %); refused when copying is shown (the interval of the excess lies beyond the margin);
  otherwise inconclusive.
- **distance to closest record**: synthetic records (samples as large as the hold-out) closer
  to the training data than the hold-out's 5th percentile, and identical to a training record,
  against the hold-out's own shares plus ``dcr_margin``; the same three outcomes.
- **structural rules**: refused when any is broken.

An inconclusive finding does not stop the release: it is built and staged, and the approver
must accept each finding by its id (``boroughkit approve --accept ID``).
"""

from __future__ import annotations

from dataclasses import dataclass

from boroughkit.disclosure.inconclusive import InconclusiveFinding
from boroughkit.disclosure.report import CheckResult, Finding
from boroughkit.synth.evaluate.evidence import (
    INCONCLUSIVE,
    REFUSE,
    SETTLE_DP,
    Estimate,
    decide,
    inconclusive,
    records_to_settle,
    share,
    share_difference,
)
from boroughkit.synth.evaluate.report import ExtractEvaluation
from boroughkit.synth.evaluate.sharing import count

SETTLE_COPIES = (
    "a larger hold-out (a tighter chance rate), coarser columns (fewer unique records), or "
    + SETTLE_DP
)
# Already differentially private: a smaller budget, not another synthesiser.
SETTLE_SMALLER_BUDGET = "a smaller privacy budget (ρ), which tightens the DP guarantee"


@dataclass(frozen=True)
class ExtractGate:
    """Configurable limits for record-level synthetic extracts."""

    max_exact_match_share: float = 0.0005
    max_attack_advantage: float = 0.05
    dcr_margin: float = 0.01
    # "holdout": the limit is a margin over the chance matches of new people, since a record
    # unique in the training sample is often common in the population; "none": absolute.
    exact_match_reference: str = "holdout"
    # The extract comes from a DP synthesiser (changes only the advice on settling findings).
    differentially_private: bool = False

    def _settle(self, text: str) -> str:
        return (
            text.replace(SETTLE_DP, SETTLE_SMALLER_BUDGET) if self.differentially_private else text
        )

    def check(self, evaluation: ExtractEvaluation) -> list[CheckResult]:
        """One :class:`CheckResult` per limit."""
        return [
            self._exact_matches(evaluation),
            self._attacks(evaluation),
            self._dcr(evaluation),
            self._rules(evaluation),
        ]

    def passed(self, evaluation: ExtractEvaluation) -> bool:
        """True when no check refuses (inconclusive findings still need an approver)."""
        return all(result.passed for result in self.check(evaluation))

    def _exact_matches(self, evaluation: ExtractEvaluation) -> CheckResult:
        exact = evaluation.exact_all
        sample = evaluation.exact_same_size or exact
        summary = (
            f"{exact.matched} of {exact.unique_real} unique training records "
            f"({exact.share:.4%}) appear verbatim in the synthetic data"
        )
        trials = max(sample.unique_real, 1)
        if self.exact_match_reference == "holdout":
            # Like for like: as many synthetic records as hold-out people, since more records
            # match more often; the mean over several samples.
            chance = evaluation.exact_holdout
            estimate = share_difference(
                sample.share * trials, chance.matched, trials, max(chance.unique_real, 1)
            )
            summary += (
                f"; {sample.share:.4%} in synthetic samples as large as the hold-out (mean of "
                f"{sample.draws}), against {chance.share:.4%} reproduced by chance by the "
                f"hold-out's new people: excess {estimate.value:.4%} (95% interval "
                f"{estimate.low:.4%} to {estimate.high:.4%}); margin "
                f"{self.max_exact_match_share:.4%}."
            )
            measure = "excess share of unique training records reproduced"
        else:
            estimate = share(sample.share * trials, trials)
            summary += f"; limit {self.max_exact_match_share:.4%}."
            measure = "share of unique training records reproduced"
        verdict = decide(estimate, self.max_exact_match_share, pass_on_upper=False)
        return _result(
            "synthetic-unique-exact-matches",
            verdict,
            summary + _copying_words(verdict),
            Finding({"columns": "all"}, "exact-match", f"share {sample.share:.4%}"),
            inconclusive(
                "exact-matches-unique-records",
                measure,
                estimate,
                self.max_exact_match_share,
                self._settle(SETTLE_COPIES),
            ),
            "A synthetic row identical to a unique real person reveals that person.",
        )

    def _attacks(self, evaluation: ExtractEvaluation) -> CheckResult:
        refused: list[Finding] = []
        open_: list[InconclusiveFinding] = []
        worst = 0.0
        limit = self.max_attack_advantage
        informative = [attack for attack in evaluation.attacks if attack.informative]
        for attack in informative:
            low, high = attack.advantage_interval
            worst = max(worst, high)
            estimate = Estimate(attack.advantage, low, high)
            verdict = decide(estimate, limit, pass_on_upper=True)
            detail = (
                f"advantage {attack.advantage:.3f} (95% interval {low:.3f} to {high:.3f}): "
                f"{estimate.shown_or_not()}; success {attack.train_rate:.1%} on {attack.trials} "
                f"training vs {attack.control_rate:.1%} on {attack.trials} hold-out records"
            )
            if verdict == REFUSE:
                refused.append(Finding({"attack": attack.name}, "attacker-advantage", detail))
            elif verdict == INCONCLUSIVE:
                open_.append(
                    inconclusive(
                        "attack-" + attack.name.replace(":", "-"),
                        f"{attack.name} attacker advantage ({estimate.shown_or_not()})",
                        estimate,
                        limit,
                        self._settle(_settle_attack(estimate, limit, attack.trials)),
                    )
                )
        skipped = len(evaluation.attacks) - len(informative)
        return CheckResult(
            id="synthetic-attacks",
            name="synthetic-attacks",
            passed=not refused,
            summary=(
                f"{len(informative)} linkage and inference attacks; highest upper bound of "
                f"attacker advantage {worst:.3f}; limit {limit:.3f} (refused when a whole "
                f"interval lies above it): {len(refused)} above, {len(open_)} inconclusive"
                + (
                    f"; {skipped} uninformative (the quasi-identifiers give the secret away for "
                    "hold-out people too)."
                    if skipped
                    else "."
                )
            ),
            findings=tuple(refused),
            rationale=(
                "An attacker who does better on people used to build the extract than on people "
                "it never saw is learning about those individuals."
            ),
            inconclusive=tuple(open_),
        )

    def _dcr(self, evaluation: ExtractEvaluation) -> CheckResult:
        dcr = evaluation.dcr
        queries = max(dcr.queries, 1)
        near = share(dcr.synthetic_below_holdout_q05 * queries, queries)
        near_limit = 0.05 + self.dcr_margin
        copies = share_difference(
            dcr.synthetic_zero_share * queries,
            round(dcr.holdout_zero_share * queries),
            queries,
            queries,
        )
        outcomes = [
            (
                decide(near, near_limit, pass_on_upper=False),
                Finding(
                    {"measure": "below hold-out 5th percentile"},
                    "dcr",
                    f"{dcr.synthetic_below_holdout_q05:.1%} of synthetic records (expected ≤ 5%)",
                ),
                inconclusive(
                    "dcr-closer-than-new-people",
                    "share of synthetic records closer to the training data than 95% of new people",
                    near,
                    near_limit,
                    self._settle(SETTLE_COPIES),
                ),
            ),
            (
                decide(copies, self.dcr_margin, pass_on_upper=False),
                Finding(
                    {"measure": "identical to a training record"},
                    "dcr",
                    f"{dcr.synthetic_zero_share:.1%} of synthetic vs "
                    f"{dcr.holdout_zero_share:.1%} of hold-out records",
                ),
                inconclusive(
                    "dcr-identical-records",
                    "excess share of synthetic records identical to a training record",
                    copies,
                    self.dcr_margin,
                    self._settle(SETTLE_COPIES),
                ),
            ),
        ]
        return CheckResult(
            id="synthetic-distance-to-closest-record",
            name="synthetic-distance-to-closest-record",
            passed=all(verdict != REFUSE for verdict, _, _ in outcomes),
            summary=(
                f"median distance to the closest training record: synthetic "
                f"{dcr.synthetic_median:.3f}, hold-out {dcr.holdout_median:.3f}; "
                f"{dcr.synthetic_below_holdout_q05:.1%} of synthetic records (samples as large "
                f"as the hold-out) are closer than the hold-out's 5th percentile."
            ),
            findings=tuple(finding for verdict, finding, _ in outcomes if verdict == REFUSE),
            rationale="Synthetic records should be no closer to real people than new people are.",
            inconclusive=tuple(open_ for verdict, _, open_ in outcomes if verdict == INCONCLUSIVE),
        )

    def _rules(self, evaluation: ExtractEvaluation) -> CheckResult:
        broken = {rule: count for rule, count in evaluation.rule_violations.items() if count}
        return CheckResult(
            id="synthetic-structural-rules",
            name="synthetic-structural-rules",
            passed=not broken,
            summary=f"{len(evaluation.rule_violations)} structural rules; {len(broken)} broken.",
            findings=tuple(
                Finding({"rule": rule}, "structural-rule", f"{count} rows")
                for rule, count in broken.items()
            ),
            rationale="Impossible records (a 10-year-old with an income) undermine trust and use.",
        )


def _result(
    check_id: str,
    verdict: str,
    summary: str,
    refused: Finding,
    open_: InconclusiveFinding,
    rationale: str,
) -> CheckResult:
    return CheckResult(
        id=check_id,
        name=check_id,
        passed=verdict != REFUSE,
        summary=summary,
        findings=(refused,) if verdict == REFUSE else (),
        rationale=rationale,
        inconclusive=(open_,) if verdict == INCONCLUSIVE else (),
    )


def _copying_words(verdict: str) -> str:
    if verdict == REFUSE:
        return " Copying is shown."
    if verdict == INCONCLUSIVE:
        return " Above the margin, but copying is not shown: inconclusive."
    return ""


def _settle_attack(estimate: Estimate, limit: float, trials: int) -> str:
    needed = records_to_settle(estimate, limit, trials)
    larger = (
        f"a larger hold-out (about {needed:,} records per side, against {count(trials):,} now, "
        "would "
        "bring the upper end within the limit if the estimate held)"
        if needed is not None
        else "a larger hold-out, to tell whether the advantage is really above the limit"
    )
    return f"{larger}; {SETTLE_DP}; or coarser quasi-identifiers or secret columns"
