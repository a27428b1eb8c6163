"""SDV models behind the common interface, with metadata from the declared schema."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from boroughkit.synth import count_violations, make_synthesiser
from boroughkit.synth.schema import ColumnSpec, SynthSchema
from boroughkit.synth.sdv_models import MISSING, ORDERED_INTEGER_LIMIT, sdv_metadata_dict
from tests.helpers.synth import make_people, people_schema


def test_metadata_comes_from_the_schema() -> None:
    metadata = sdv_metadata_dict(people_schema())
    columns = metadata["tables"]["extract"]["columns"]
    assert columns["tenure"] == {"sdtype": "categorical"}
    assert columns["area"] == {"sdtype": "categorical"}
    # Flags in order: no, then yes (missing first when allowed), whatever order the data has.
    assert columns["benefit"] == {"sdtype": "ordinal", "range_values": ["False", "True"]}
    # Whole numbers over a small public range: every value of the range, in order.
    assert columns["age"] == {"sdtype": "ordinal", "range_values": [str(a) for a in range(100)]}
    assert columns["income"] == {"sdtype": "numerical"}
    assert "person_id" not in columns


def test_gaussian_copula_keeps_what_predicts_a_flag() -> None:
    schema = SynthSchema(
        columns=(
            ColumnSpec("age", "integer", lower=0, upper=99, bins=(0, 5, 65, 99)),
            ColumnSpec("difficulty", "flag", values=(1, 2), positive=1, nullable=True),
        ),
        name="difficulty",
    )
    rng = np.random.default_rng(6)
    age = rng.integers(0, 95, 4000)
    # ACS style: 1 = yes, 2 = no, missing under 5; a difficulty far more common with age.
    difficulty = np.where(rng.random(4000) < np.where(age >= 65, 0.45, 0.03), 1.0, 2.0)
    real = pd.DataFrame({"age": age, "difficulty": np.where(age < 5, np.nan, difficulty)})
    drawn = make_synthesiser("gaussian_copula", schema, seed=2).fit(real).sample(4000)
    old, adult = drawn["age"] >= 65, drawn["age"].between(5, 40)
    gap = (drawn.loc[old, "difficulty"] == 1).mean() - (drawn.loc[adult, "difficulty"] == 1).mean()
    assert gap > 0.15


def _children_schema(upper: int) -> SynthSchema:
    return SynthSchema(
        columns=(
            ColumnSpec("age", "integer", lower=0, upper=99, bins=(0, 18, 99)),
            ColumnSpec("children", "integer", lower=0, upper=upper, nullable=True),
        ),
        name="children",
    )


@pytest.mark.parametrize(
    ("upper", "expected"),
    [(19, "ordinal"), (ORDERED_INTEGER_LIMIT - 1, "ordinal"), (ORDERED_INTEGER_LIMIT, "numerical")],
)
def test_metadata_types_follow_the_declared_range(upper: int, expected: str) -> None:
    columns = sdv_metadata_dict(_children_schema(upper))["tables"]["extract"]["columns"]
    assert columns["children"]["sdtype"] == expected
    if expected == "ordinal":
        # A missing value is a label of its own, first in the order.
        assert columns["children"]["range_values"][:3] == [MISSING, "0", "1"]
        assert len(columns["children"]["range_values"]) == upper + 2


def _children(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(0, 90, n)
    # Spikes at 0-3 children; missing for the young, as the count of own children is in ACS.
    children = rng.choice([0, 1, 2, 3], n, p=[0.6, 0.2, 0.15, 0.05]).astype(float)
    children[age < 15] = np.nan
    return pd.DataFrame({"age": age, "children": children})


def test_gaussian_copula_keeps_a_spiky_count_and_its_missingness() -> None:
    real = _children(3000, seed=4)
    synthetic = make_synthesiser("gaussian_copula", _children_schema(19), seed=1).fit(real)
    drawn = synthetic.sample(3000)
    real_share = real["children"].value_counts(normalize=True, dropna=False)
    drawn_share = drawn["children"].value_counts(normalize=True, dropna=False)
    # A fitted curve rounded back to whole numbers moved about half the people between spikes;
    # three thousand draws from the observed shares stay within a few points of them.
    total_variation = 0.5 * real_share.subtract(drawn_share, fill_value=0).abs().sum()
    assert total_variation < 0.04
    # Missing goes with youth (first in the order, linked through the copula), not at random as
    # SDV's default numerical handling draws it.
    young = drawn["age"] < 15
    assert (
        drawn.loc[young, "children"].isna().mean() > 2 * drawn.loc[~young, "children"].isna().mean()
    )


@pytest.mark.parametrize("model", ["gaussian_copula", "ctgan", "tvae"])
def test_sdv_models_fit_and_sample_within_schema(model: str) -> None:
    schema = people_schema()
    real = make_people(300, seed=2)
    synthesiser = make_synthesiser(
        model, schema, seed=7, **({} if model == "gaussian_copula" else {"epochs": 2})
    )
    synthetic = synthesiser.fit(real).sample(200)
    assert len(synthetic) == 200
    schema.validate(synthetic, source="synthetic")
    assert sum(count_violations(synthetic, schema.rules).values()) == 0
    assert synthetic["age"].between(0, 99).all()
    assert synthesiser.describe()["method"] == f"sdv_{model}"


def test_gaussian_copula_is_reproducible_from_its_seed() -> None:
    schema = people_schema()
    real = make_people(300, seed=2)
    first = make_synthesiser("gaussian_copula", schema, seed=3).fit(real).sample(100)
    second = make_synthesiser("gaussian_copula", schema, seed=3).fit(real).sample(100)
    pd.testing.assert_frame_equal(first, second)
