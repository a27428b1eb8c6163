"""Hold-out split, utility, the whole evaluation, the gate and the self-contained HTML report."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from boroughkit.errors import ConfigError, DataError
from boroughkit.synth import SequentialCART
from boroughkit.synth.evaluate.gate import ExtractGate
from boroughkit.synth.evaluate.html import render_html
from boroughkit.synth.evaluate.report import evaluate_extract, split_holdout
from boroughkit.synth.evaluate.utility import utility
from tests.helpers.synth import make_people, people_schema


@pytest.fixture(scope="module")
def split() -> tuple[pd.DataFrame, pd.DataFrame]:
    return split_holdout(make_people(1500, seed=21), 0.2, seed=3)


def test_split_holdout_sizes_and_groups() -> None:
    data = make_people(1000)
    train, holdout = split_holdout(data, 0.2, seed=1)
    assert (len(train), len(holdout)) == (800, 200)
    assert not set(train["person_id"]) & set(holdout["person_id"])
    data["household"] = np.arange(1000) // 4
    train, holdout = split_holdout(data, 0.25, seed=1, group_column="household")
    assert not set(train["household"]) & set(holdout["household"])
    with pytest.raises(DataError):
        split_holdout(data, 1.5)


def test_utility_real_beats_noise_and_copies_match_real(split) -> None:
    train, holdout = split
    schema = people_schema()
    copied = utility(train, holdout, train, schema, target="benefit")
    assert copied.synthetic_auc == pytest.approx(copied.real_auc)
    assert copied.real_auc > 0.75  # benefit follows tenure
    shuffled = train.copy()
    shuffled["benefit"] = shuffled["benefit"].sample(frac=1, random_state=0).to_numpy()
    noise = utility(train, holdout, shuffled, schema, target="benefit")
    assert noise.synthetic_auc < copied.real_auc - 0.15
    with pytest.raises(ConfigError):
        utility(train, holdout, train, schema, target="income")


@pytest.fixture(scope="module")
def evaluation(split):
    train, holdout = split
    schema = people_schema()
    synthetic = SequentialCART(schema, seed=2).fit(train).sample(len(train))
    return evaluate_extract(train, holdout, synthetic, schema, method="cart", target="benefit")


def test_evaluation_covers_fidelity_utility_and_privacy(evaluation) -> None:
    summary = evaluation.to_dict()
    assert 800 < summary["kmarginal"]["synthetic"] <= 1000
    assert set(summary["kmarginal"]["per_area"]) == {"E01", "E02", "E03"}
    assert 0 < summary["sdmetrics"]["column_shapes"] <= 1
    assert summary["utility"]["target"] == "benefit"
    assert {attack["name"] for attack in summary["attacks"]} == {"linkage", "inference:benefit"}
    assert sum(summary["rule_violations"].values()) == 0


def test_gate_passes_and_fails_on_its_limits(evaluation) -> None:
    lenient = ExtractGate(max_exact_match_share=1.0, max_attack_advantage=1.0, dcr_margin=1.0)
    assert lenient.passed(evaluation)
    assert evaluation.exact_same_size is not None
    copied = replace(
        evaluation,
        exact_all=replace(evaluation.exact_all, matched=evaluation.exact_all.unique_real),
        exact_same_size=replace(
            evaluation.exact_same_size, matched=evaluation.exact_same_size.unique_real, draws=1
        ),
    )
    checks = {check.id: check for check in ExtractGate().check(copied)}
    assert not checks["synthetic-unique-exact-matches"].passed
    assert "100.0000%" in checks["synthetic-unique-exact-matches"].summary
    broken = replace(evaluation, rule_violations={"when age < 16 then income is missing": 3})
    rules = {c.id: c for c in lenient.check(broken)}["synthetic-structural-rules"]
    assert not rules.passed and rules.findings[0].detail == "3 rows"


def test_exact_matches_are_judged_against_the_chance_matches_of_new_people(evaluation) -> None:
    unique = evaluation.exact_all.unique_real
    assert evaluation.exact_same_size is not None
    assert evaluation.rows["holdout"] <= evaluation.rows["synthetic"]

    def with_shares(synthetic: float, holdout: float, whole: float):
        return replace(
            evaluation,
            exact_holdout=replace(
                evaluation.exact_holdout, unique_real=unique, matched=round(holdout * unique)
            ),
            exact_same_size=replace(
                evaluation.exact_same_size,
                unique_real=unique,
                matched=round(synthetic * unique),
                draws=1,
            ),
            exact_all=replace(evaluation.exact_all, matched=round(whole * unique)),
        )

    def verdict(evaluation, gate=None):
        checks = (gate or ExtractGate()).check(evaluation)
        return {c.id: c for c in checks}["synthetic-unique-exact-matches"]

    # New people reproduce 10%; a same-sized synthetic sample 9% (the whole extract more).
    near_chance = with_shares(0.09, 0.10, 0.20)
    assert verdict(near_chance).passed
    assert "by chance" in verdict(near_chance).summary
    assert not verdict(near_chance, ExtractGate(exact_match_reference="none")).passed
    # A synthesiser that copies: more than new people reproduce, like for like.
    assert not verdict(with_shares(0.30, 0.10, 0.40)).passed


def test_html_report_is_self_contained(evaluation) -> None:
    html = render_html(evaluation, ExtractGate().check(evaluation))
    assert html.startswith("<!doctype html>")
    assert "<svg" in html and "k-marginal by area" in html and "Pair scores" in html
    assert "<script" not in html.lower()
    assert not re.search(r"(src|href)\s*=\s*['\"]?https?:", html)
    assert "tenure" in html and "E02" in html


def test_recipient_copy_counts_no_small_group_of_real_residents(evaluation) -> None:
    from boroughkit.synth.evaluate.sharing import for_recipient

    shared = for_recipient(evaluation)
    assert all(value % 10 == 0 for value in shared.rows.values())
    for marginal in shared.marginals.values():
        assert all(round(share, 3) == share for share in marginal["real"])
        assert all(round(share, 3) == share for share in marginal["synthetic"])
    for attack, exact in zip(shared.attacks, evaluation.attacks, strict=True):
        assert attack.trials % 10 == 0 and attack.train_successes % 10 == 0
        # Rates and advantages come from the exact counts, rounded after.
        assert attack.advantage == round(exact.advantage, 3)
        assert attack.train_rate == round(exact.train_rate, 3)
    assert shared.exact_all.unique_real % 10 == 0
    assert shared.exact_all.share == round(evaluation.exact_all.share, 3)
    assert shared.utility is not None and shared.utility.holdout_rows % 10 == 0
    assert shared.utility.real_accuracy == round(evaluation.utility.real_accuracy, 3)
    # k-marginal scores to whole points, overall and per area.
    assert shared.fidelity.score == round(evaluation.fidelity.score)
    assert all(score == round(score) for score in shared.fidelity.per_area)
