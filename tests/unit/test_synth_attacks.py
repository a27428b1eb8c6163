"""Privacy measures on constructed cases whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from boroughkit.synth.evaluate.attacks import (
    AttackResult,
    inference_attack,
    linkage_attack,
    wilson_interval,
)
from boroughkit.synth.evaluate.privacy import distance_to_closest, exact_matches
from boroughkit.synth.schema import ColumnSpec, SynthSchema
from tests.helpers.synth import make_people, people_schema


@pytest.fixture(scope="module")
def people() -> tuple[pd.DataFrame, pd.DataFrame]:
    schema = people_schema()
    data = schema.validate(make_people(1600, seed=3))
    return data.iloc[:800].reset_index(drop=True), data.iloc[800:].reset_index(drop=True)


def test_wilson_interval_known_value() -> None:
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4)
    assert high == pytest.approx(0.7634, abs=1e-4)


def _measurements(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "height": rng.uniform(140, 200, n),
            "weight": rng.uniform(40, 120, n),
            "group": rng.choice(["a", "b"], n),
        }
    )


def test_copying_the_training_data_gives_linkage_advantage_near_one() -> None:
    schema = SynthSchema(
        columns=(
            ColumnSpec("height", "number", lower=140, upper=200),
            ColumnSpec("weight", "number", lower=40, upper=120),
            ColumnSpec("group", "category", values=("a", "b")),
        ),
        quasi_identifiers=("height", "weight"),
    )
    train, control = _measurements(600, 1), _measurements(600, 2)
    copied = linkage_attack(train, control, train, schema, n_targets=400)
    assert copied.train_rate == 1.0
    assert copied.control_rate < 0.05
    assert copied.advantage > 0.95
    independent = linkage_attack(train, control, _measurements(600, 3), schema, n_targets=400)
    assert abs(independent.advantage) < 0.05


def test_independent_synthetic_data_gives_no_advantage(people) -> None:
    train, control = people
    schema = people_schema()
    independent = schema.validate(make_people(800, seed=99))
    linkage = linkage_attack(
        train,
        control,
        independent,
        schema,
        quasi_identifiers=["area", "sex", "age", "income"],
        n_targets=400,
    )
    inference = inference_attack(
        train,
        control,
        independent,
        schema,
        "tenure",
        quasi_identifiers=["area", "age", "sex", "income"],
        n_targets=400,
    )
    for attack in (linkage, inference):
        low, _ = attack.advantage_interval
        assert abs(attack.advantage) < 0.15
        assert low <= 0.05


def test_copying_reveals_secrets_to_inference(people) -> None:
    train, control = people
    schema = people_schema()
    result = inference_attack(
        train,
        control,
        train,
        schema,
        "tenure",
        quasi_identifiers=["area", "age", "sex", "income"],
        n_targets=400,
    )
    # Children without income can tie on the quasi-identifiers, so not quite every guess is right.
    assert result.train_rate > 0.9
    assert result.advantage > 0.8
    assert result.advantage_interval[0] > 0.5


def test_advantage_interval_is_wide_for_common_secrets() -> None:
    common = AttackResult("inference:x", train_successes=930, control_successes=930, trials=1000)
    rare = AttackResult("inference:y", train_successes=100, control_successes=100, trials=1000)
    assert common.advantage == pytest.approx(0.0, abs=1e-9)
    assert common.advantage_interval[1] > rare.advantage_interval[1]
    assert AttackResult("x", 1000, 999, 1000).informative is False


def test_exact_matches_on_copies_and_on_fresh_data(people) -> None:
    train, _ = people
    schema = people_schema()
    copied = exact_matches(train, train.sample(frac=0.5, random_state=1), schema)
    assert 0.8 * len(train) < copied.unique_real <= len(train)
    assert copied.share == pytest.approx(0.5, abs=0.07)
    fresh = exact_matches(train, schema.validate(make_people(800, seed=42)), schema)
    # Only children (no income) can coincide by chance.
    assert fresh.share < 0.1
    adults = train["income"].notna()
    adult_fresh = exact_matches(train[adults], schema.validate(make_people(800, seed=42)), schema)
    assert adult_fresh.share == 0.0


def test_dcr_flags_copies_and_accepts_new_people(people) -> None:
    train, control = people
    schema = people_schema()
    copies = distance_to_closest(train, control, train, schema)
    assert copies.synthetic_zero_share == 1.0
    assert copies.closer_to_train_share > 0.6
    fresh = distance_to_closest(train, control, schema.validate(make_people(800, seed=7)), schema)
    # Children without income repeat exactly; new people do so as often as the hold-out does.
    assert abs(fresh.synthetic_zero_share - fresh.holdout_zero_share) < 0.05
    assert 0.3 < fresh.closer_to_train_share < 0.7
    assert fresh.synthetic_below_holdout_q05 < 0.12
    assert np.isfinite(fresh.holdout_median)


def test_nearest_on_distinct_records_equals_comparing_every_record() -> None:
    from boroughkit.synth.evaluate.distance import Encoded, _chunk_distances, nearest

    for seed in range(20):
        rng = np.random.default_rng(seed)  # fixed test data, not privacy noise

        def records(n: int, rng: np.random.Generator = rng) -> Encoded:
            # Few distinct values: many duplicates and ties; -0.0 and missing numbers too.
            numeric = rng.choice([0.0, -0.0, 0.25, 0.5, np.nan], size=(n, 2))
            blocks = [np.eye(k, dtype=np.float32)[rng.integers(0, k, n)] for k in (3, 9)]
            return Encoded(numeric, np.hstack(blocks), 2)

        query, reference = records(int(rng.integers(1, 300))), records(int(rng.integers(1, 500)))
        distances, indices = nearest(query, reference)
        full = _chunk_distances(query, 0, len(query), reference)
        assert np.array_equal(indices, full.argmin(axis=1))
        assert np.allclose(distances, full.min(axis=1))
