"""The extract gate's three outcomes on constructed evaluations: refuse on evidence of risk,
pass when the evidence keeps within the limit, otherwise an inconclusive finding to accept."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from boroughkit.disclosure.copies import ReproducedByPart, reproduced_by_part
from boroughkit.disclosure.report import CheckResult
from boroughkit.methods.synthetic_extract.gate import copying_on_evidence
from boroughkit.synth import SequentialCART
from boroughkit.synth.evaluate.attacks import AttackResult
from boroughkit.synth.evaluate.evidence import Estimate, decide, records_to_settle
from boroughkit.synth.evaluate.gate import ExtractGate
from boroughkit.synth.evaluate.report import evaluate_extract, split_holdout
from tests.helpers.synth import make_people, people_schema


@pytest.fixture(scope="module")
def evaluation():
    train, holdout = split_holdout(make_people(1200, seed=5), 0.2, seed=1)
    schema = people_schema()
    synthetic = SequentialCART(schema, seed=2).fit(train).sample(len(train))
    return evaluate_extract(
        train, holdout, synthetic, schema, target="benefit", with_sdmetrics=False
    )


def check(evaluation, check_id: str, gate: ExtractGate | None = None) -> CheckResult:
    return {c.id: c for c in (gate or ExtractGate()).check(evaluation)}[check_id]


def with_attack(evaluation, train: int, control: int, trials: int):
    return replace(evaluation, attacks=[AttackResult("linkage", train, control, trials)])


def test_an_attack_is_refused_only_when_its_whole_interval_is_above_the_limit(evaluation):
    shown = check(with_attack(evaluation, 5000, 3000, 10_000), "synthetic-attacks")
    assert not shown.passed and shown.status == "failed" and not shown.inconclusive
    assert "an effect above zero is shown" in shown.findings[0].detail


def test_an_attack_straddling_the_limit_is_inconclusive_with_a_way_to_settle_it(evaluation):
    result = check(with_attack(evaluation, 35, 30, 100), "synthetic-attacks")
    assert result.passed and result.status == "inconclusive" and not result.findings
    [finding] = result.inconclusive
    assert finding.id == "attack-linkage"
    low, high = finding.interval
    assert low <= 0.05 < high and finding.limit == 0.05
    assert "larger hold-out" in finding.settle and "differentially private" in finding.settle
    # The interval includes zero: no effect is shown, and the finding says so.
    assert low == 0.0 and "no effect is shown" in finding.measure
    stronger = check(with_attack(evaluation, 3250, 3000, 10_000), "synthetic-attacks")
    [finding] = stronger.inconclusive  # above 0 (shown), but not wholly above 0.05
    assert 0 < finding.interval[0] <= 0.05 < finding.interval[1]
    assert "an effect above zero is shown" in finding.measure


def test_an_attack_within_the_limit_at_its_upper_end_passes(evaluation):
    result = check(with_attack(evaluation, 30_000, 30_000, 100_000), "synthetic-attacks")
    assert result.status == "passed" and not result.inconclusive and not result.findings


def with_exact(evaluation, synthetic: int, holdout: int, unique: int = 1000):
    return replace(
        evaluation,
        exact_same_size=replace(
            evaluation.exact_all, unique_real=unique, matched=synthetic * 5, draws=5
        ),
        exact_holdout=replace(evaluation.exact_holdout, unique_real=unique, matched=holdout),
    )


@pytest.mark.parametrize(
    ("synthetic", "holdout", "status"),
    [(300, 100, "failed"), (5, 4, "inconclusive"), (4, 4, "passed"), (0, 3, "passed")],
)
def test_unique_exact_matches_refuse_only_shown_copying(evaluation, synthetic, holdout, status):
    result = check(with_exact(evaluation, synthetic, holdout), "synthetic-unique-exact-matches")
    assert result.status == status
    assert ("Copying is shown" in result.summary) == (status == "failed")
    if status == "inconclusive":
        assert [f.id for f in result.inconclusive] == ["exact-matches-unique-records"]


@pytest.mark.parametrize(
    ("below", "zero", "statuses"),
    [
        (0.05, 0.0, set()),
        (0.07, 0.0, {"dcr-closer-than-new-people"}),
        (0.5, 0.0, "failed"),
        (0.05, 0.03, {"dcr-identical-records"}),
        (0.05, 0.4, "failed"),
    ],
)
def test_distance_to_closest_record_three_ways(evaluation, below, zero, statuses):
    dcr = replace(
        evaluation.dcr,
        synthetic_below_holdout_q05=below,
        synthetic_zero_share=zero,
        holdout_zero_share=0.0,
        queries=300,
    )
    result = check(replace(evaluation, dcr=dcr), "synthetic-distance-to-closest-record")
    if statuses == "failed":
        assert not result.passed and result.findings
    else:
        assert result.passed and {f.id for f in result.inconclusive} == statuses


def test_decisions_and_the_records_that_would_settle_them() -> None:
    assert decide(Estimate(0.1, 0.06, 0.14), 0.05, pass_on_upper=True) == "refuse"
    assert decide(Estimate(0.03, 0.0, 0.08), 0.05, pass_on_upper=True) == "inconclusive"
    assert decide(Estimate(0.03, 0.0, 0.08), 0.05, pass_on_upper=False) == "pass"
    assert decide(Estimate(0.01, 0.0, 0.04), 0.05, pass_on_upper=True) == "pass"
    # Half-width 0.05 at 1,000 records; 0.02 of room to the limit needs (0.05/0.02)² times more.
    assert records_to_settle(Estimate(0.03, 0.0, 0.08), 0.05, 1000) == 6300
    assert records_to_settle(Estimate(0.06, 0.01, 0.11), 0.05, 1000) is None


def test_whole_copies_of_unique_residents_refuse_only_when_copying_is_shown() -> None:
    failed = CheckResult("exact copies", False, "2 reappear.", id="record-exact-matches")
    shown = copying_on_evidence(failed, ReproducedByPart(1000, 100, 250, 5))
    assert not shown.passed and "copying is shown" in shown.summary
    chance = copying_on_evidence(failed, ReproducedByPart(1000, 12, 250, 2))
    assert chance.passed and not chance.findings
    assert [f.id for f in chance.inconclusive] == ["record-exact-matches-unique-residents"]


def test_reproduced_by_part_splits_unique_residents_by_use() -> None:
    source = pd.DataFrame({"qi": [1, 2, 3, 4, 4], "x": ["a", "b", "c", "d", "e"]})
    used = source.iloc[[0, 1, 3]]
    output = pd.DataFrame({"qi": [1, 3, 4], "x": ["a", "c", "d"]})
    parts = reproduced_by_part(output, source, used, ["qi"], ["qi", "x"])
    # Unique on qi: rows 1, 2, 3 (values 1, 2, 3); used: 1 and 2; reproduced: 1 and 3.
    assert parts == ReproducedByPart(used=2, used_reproduced=1, control=1, control_reproduced=1)
