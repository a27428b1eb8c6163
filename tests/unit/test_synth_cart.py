"""Sequential CART: reproducible, rule-abiding, faithful and not copying records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from boroughkit.errors import ConfigError, DataError
from boroughkit.synth import SequentialCART, count_violations, make_synthesiser
from boroughkit.synth.evaluate.kmarginal import kmarginal
from boroughkit.synth.evaluate.privacy import exact_matches
from tests.helpers.synth import make_people, people_schema


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return make_people(1500, seed=11)


def test_cart_samples_valid_rows_with_zero_rule_violations(real: pd.DataFrame) -> None:
    schema = people_schema()
    synthetic = SequentialCART(schema, seed=5).fit(real).sample(2000)
    assert list(synthetic.columns) == schema.names
    assert len(synthetic) == 2000
    schema.validate(synthetic, source="synthetic")
    assert sum(count_violations(synthetic, schema.rules).values()) == 0
    assert "person_id" not in synthetic.columns


def test_cart_is_reproducible_from_its_seed(real: pd.DataFrame) -> None:
    schema = people_schema()
    first = SequentialCART(schema, seed=42).fit(real).sample(300)
    second = SequentialCART(schema, seed=42).fit(real).sample(300)
    other = SequentialCART(schema, seed=43).fit(real).sample(300)
    pd.testing.assert_frame_equal(first, second)
    assert not first.equals(other)
    unseeded = SequentialCART(schema)
    assert unseeded.describe()["seed"] is not None


def test_cart_keeps_dependencies(real: pd.DataFrame) -> None:
    schema = people_schema()
    synthetic = SequentialCART(schema, seed=1).fit(real).sample(len(real))
    score = kmarginal(schema.validate(real), synthetic, schema).score
    independent = pd.DataFrame(
        {c: real[c].sample(frac=1, random_state=i).to_numpy() for i, c in enumerate(schema.names)}
    )
    assert score > kmarginal(schema.validate(real), independent, schema).score + 20
    e01 = synthetic[synthetic["area"] == "E01"]["tenure"].value_counts(normalize=True)
    assert e01["owned"] > 0.5  # area -> tenure dependence survives


def test_cart_does_not_copy_records_and_smooths_numbers(real: pd.DataFrame) -> None:
    schema = people_schema()
    synthetic = SequentialCART(schema, seed=3).fit(real).sample(len(real))
    adults = real[real["income"].notna()]
    assert exact_matches(schema.validate(adults), synthetic, schema).share == 0.0
    shared = np.isin(synthetic["income"].dropna().round(2), real["income"].dropna().round(2))
    assert shared.mean() < 0.05


def test_cart_settings_are_checked() -> None:
    schema = people_schema()
    with pytest.raises(ConfigError, match="min_leaf"):
        SequentialCART(schema, min_leaf=0)
    with pytest.raises(ConfigError, match="order"):
        SequentialCART(schema, order=["area", "age"])
    with pytest.raises(DataError, match="fit"):
        SequentialCART(schema).sample(10)
    assert make_synthesiser("cart", schema, seed=1).parameters()["min_leaf"] == 5
    with pytest.raises(ConfigError, match="unknown synthesis method"):
        make_synthesiser("magic", schema)


def test_one_row_per_person_is_required() -> None:
    schema = people_schema()
    real = make_people(100)
    real["person_id"] = real["person_id"].replace({"P000005": "P000004"})
    with pytest.raises(DataError, match="one row per person"):
        SequentialCART(schema, seed=1).fit(real)
