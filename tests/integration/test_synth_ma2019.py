"""Synthetic extracts of NIST's real Massachusetts 2019 excerpt (7,634 people, 24 columns)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from boroughkit.privacy.dp_budget import DPBudget
from boroughkit.synth import count_violations, make_synthesiser, schema_for_ma2019
from boroughkit.synth.evaluate.kmarginal import kmarginal
from boroughkit.synth.evaluate.privacy import exact_matches
from boroughkit.synth.evaluate.report import split_holdout
from tests.helpers.shared_data import SHARED_DATA

NIST = SHARED_DATA / "nist_crc"


@pytest.fixture(scope="module")
def ma2019():
    schema = schema_for_ma2019(NIST / "data_dictionary.json", code_list_path=NIST / "ma2019.json")
    real = pd.read_csv(NIST / "ma2019.csv", na_values="N")
    train, holdout = split_holdout(real, 0.2, seed=0)
    return schema, schema.validate(train), schema.validate(holdout)


def test_cart_scores_above_900_without_copying_anyone(ma2019) -> None:
    schema, train, holdout = ma2019
    synthetic = make_synthesiser("cart", schema, seed=2019).fit(train).sample(len(train))
    score = kmarginal(train, synthetic, schema).score
    assert score >= 900
    assert score > kmarginal(train, holdout, schema).score - 20  # near the hold-out ceiling
    assert exact_matches(train, synthetic, schema).share <= 0.0005
    violations = count_violations(synthetic, schema.rules)
    assert sum(violations.values()) == 0
    # The data has no marital status or income under 15: neither has the extract.
    children = synthetic[synthetic["AGEP"] < 15]
    assert len(children) > 100
    assert children["MSP"].isna().all() and children["PINCP"].isna().all()


@pytest.mark.slow
def test_dp_mst_at_epsilon_one_scores_above_880(ma2019) -> None:
    schema, train, _ = ma2019
    budget = DPBudget.epsilon_delta(1, 1e-9)
    scores = []
    for _ in range(3):
        synthetic = make_synthesiser("dp_mst", schema, budget=budget).fit(train).sample(len(train))
        assert sum(count_violations(synthetic, schema.rules).values()) == 0
        scores.append(kmarginal(train, synthetic, schema, by_area=False).score)
    assert np.mean(scores) >= 880
    assert min(scores) >= 860
