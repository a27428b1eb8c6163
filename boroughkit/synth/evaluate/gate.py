"""The gate a synthetic extract must pass before it leaves the council: pass or fail, with reasons.

Defaults: unique exact matches ≤ 0.05 % of unique training records beyond the share that new
people (the real hold-out) match by chance, compared with a synthetic sample of the hold-out's
size; the upper end of every
attacker-advantage interval ≤ 0.05; synthetic records no closer to the training data than the
real hold-out (share below the hold-out's 5th percentile DCR, and share of exact copies, each at
most the hold-out's own plus ``dcr_margin``); no structural rule broken.
"""

from __future__ import annotations

from dataclasses import dataclass

from boroughkit.disclosure.report import CheckResult, Finding
from boroughkit.synth.evaluate.report import ExtractEvaluation


@dataclass(frozen=True)
class ExtractGate:
    """Configurable limits for record-level synthetic extracts."""

    max_exact_match_share: float = 0.0005
    max_attack_advantage: float = 0.05
    dcr_margin: float = 0.01
    # "holdout": the limit is a margin over the chance matches of new people, since a record
    # unique in the training sample is often common in the population; "none": absolute.
    exact_match_reference: str = "holdout"

    def check(self, evaluation: ExtractEvaluation) -> list[CheckResult]:
        """One :class:`CheckResult` per limit."""
        return [
            self._exact_matches(evaluation),
            self._attacks(evaluation),
            self._dcr(evaluation),
            self._rules(evaluation),
        ]

    def passed(self, evaluation: ExtractEvaluation) -> bool:
        """True when every check passes."""
        return all(result.passed for result in self.check(evaluation))

    def _exact_matches(self, evaluation: ExtractEvaluation) -> CheckResult:
        exact = evaluation.exact_all
        summary = (
            f"{exact.matched} of {exact.unique_real} unique training records "
            f"({exact.share:.4%}) appear verbatim in the synthetic data"
        )
        if self.exact_match_reference == "holdout":
            # Like for like: as many synthetic records as hold-out people, since more records
            # match more often.
            measured, chance = evaluation.exact_like_for_like
            limit = chance + self.max_exact_match_share
            summary += (
                f"; {measured:.4%} in a synthetic sample as large as the hold-out, against "
                f"{chance:.4%} reproduced by chance by the hold-out's new people; limit "
                f"{limit:.4%} (margin {self.max_exact_match_share:.4%})."
            )
        else:
            measured, limit = exact.share, self.max_exact_match_share
            summary += f"; limit {limit:.4%}."
        passed = measured <= limit
        return CheckResult(
            id="synthetic-unique-exact-matches",
            name="synthetic-unique-exact-matches",
            passed=passed,
            summary=summary,
            findings=()
            if passed
            else (Finding({"columns": "all"}, "exact-match", f"share {measured:.4%}"),),
            rationale="A synthetic row identical to a unique real person reveals that person.",
        )

    def _attacks(self, evaluation: ExtractEvaluation) -> CheckResult:
        findings = []
        worst = 0.0
        informative = [attack for attack in evaluation.attacks if attack.informative]
        for attack in informative:
            low, high = attack.advantage_interval
            worst = max(worst, high)
            if high <= self.max_attack_advantage:
                continue
            # Say whether the risk is shown (point estimate above the limit) or not ruled out.
            verdict = (
                "shown"
                if attack.advantage > self.max_attack_advantage
                else "not ruled out: too few hold-out records for a tighter interval"
            )
            findings.append(
                Finding(
                    {"attack": attack.name},
                    "attacker-advantage",
                    f"advantage {attack.advantage:.3f} (95% interval {low:.3f} to {high:.3f}), "
                    f"{verdict}; success {attack.train_rate:.1%} on {attack.trials} training vs "
                    f"{attack.control_rate:.1%} on {attack.trials} hold-out records",
                )
            )
        skipped = len(evaluation.attacks) - len(informative)
        return CheckResult(
            id="synthetic-attacks",
            name="synthetic-attacks",
            passed=not findings,
            summary=(
                f"{len(informative)} linkage and inference attacks; highest upper bound of "
                f"attacker advantage {worst:.3f}; limit {self.max_attack_advantage:.3f}"
                + (
                    f"; {skipped} uninformative (the quasi-identifiers give the secret away for "
                    "hold-out people too)."
                    if skipped
                    else "."
                )
            ),
            findings=tuple(findings),
            rationale=(
                "An attacker who does better on people used to build the extract than on people "
                "it never saw is learning about those individuals."
            ),
        )

    def _dcr(self, evaluation: ExtractEvaluation) -> CheckResult:
        dcr = evaluation.dcr
        near_ok = dcr.synthetic_below_holdout_q05 <= 0.05 + self.dcr_margin
        copy_ok = dcr.synthetic_zero_share <= dcr.holdout_zero_share + self.dcr_margin
        findings = []
        if not near_ok:
            findings.append(
                Finding(
                    {"measure": "below hold-out 5th percentile"},
                    "dcr",
                    f"{dcr.synthetic_below_holdout_q05:.1%} of synthetic records (expected ≤ 5%)",
                )
            )
        if not copy_ok:
            findings.append(
                Finding(
                    {"measure": "identical to a training record"},
                    "dcr",
                    f"{dcr.synthetic_zero_share:.1%} of synthetic vs "
                    f"{dcr.holdout_zero_share:.1%} of hold-out records",
                )
            )
        return CheckResult(
            id="synthetic-distance-to-closest-record",
            name="synthetic-distance-to-closest-record",
            passed=near_ok and copy_ok,
            summary=(
                f"median distance to the closest training record: synthetic "
                f"{dcr.synthetic_median:.3f}, hold-out {dcr.holdout_median:.3f}; "
                f"{dcr.synthetic_below_holdout_q05:.1%} of synthetic records are closer than the "
                f"hold-out's 5th percentile."
            ),
            findings=tuple(findings),
            rationale="Synthetic records should be no closer to real people than new people are.",
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
