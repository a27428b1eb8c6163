"""Hold-out split, utility, the whole evaluation, the gate and the self-contained HTML report."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from test_synth_support import make_people, people_schema

from boroughkit.errors import ConfigError, DataError
from boroughkit.synth import SequentialCART
from boroughkit.synth.evaluate.gate import ExtractGate
from boroughkit.synth.evaluate.html import render_html
from boroughkit.synth.evaluate.report import evaluate_extract, split_holdout
from boroughkit.synth.evaluate.utility import utility


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
    copied = replace(
        evaluation,
        exact_all=replace(evaluation.exact_all, matched=evaluation.exact_all.unique_real),
    )
    checks = {check.name: check for check in ExtractGate().check(copied)}
    assert not checks["synthetic-unique-exact-matches"].passed
    assert "100.0000%" in checks["synthetic-unique-exact-matches"].summary
    broken = replace(evaluation, rule_violations={"when age < 16 then income is missing": 3})
    rules = {c.name: c for c in lenient.check(broken)}["synthetic-structural-rules"]
    assert not rules.passed and rules.findings[0].detail == "3 rows"


def test_exact_matches_are_judged_against_the_chance_matches_of_new_people(evaluation) -> None:
    unique = evaluation.exact_all.unique_real
    factor = evaluation.rows["synthetic"] / evaluation.rows["holdout"]
    # New people reproduce 10% of the unique training records (scaled to the extract's size).
    chance = replace(
        evaluation.exact_holdout, unique_real=unique, matched=round(0.10 * unique / factor)
    )
    near_chance = replace(
        evaluation,
        exact_holdout=chance,
        exact_all=replace(evaluation.exact_all, matched=round(0.09 * unique)),
    )
    relative = {c.name: c for c in ExtractGate().check(near_chance)}
    assert relative["synthetic-unique-exact-matches"].passed
    assert "by chance" in relative["synthetic-unique-exact-matches"].summary
    absolute = ExtractGate(exact_match_reference="none").check(near_chance)
    assert not {c.name: c for c in absolute}["synthetic-unique-exact-matches"].passed
    copier = replace(near_chance, exact_all=replace(evaluation.exact_all, matched=unique))
    assert not {c.name: c for c in ExtractGate().check(copier)}[
        "synthetic-unique-exact-matches"
    ].passed


def test_html_report_is_self_contained(evaluation) -> None:
    html = render_html(evaluation, ExtractGate().check(evaluation))
    assert html.startswith("<!doctype html>")
    assert "<svg" in html and "k-marginal by area" in html and "Pair scores" in html
    assert "<script" not in html.lower()
    assert not re.search(r"(src|href)\s*=\s*['\"]?https?:", html)
    assert "tenure" in html and "E02" in html
