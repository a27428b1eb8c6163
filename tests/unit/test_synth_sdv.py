"""SDV models behind the common interface, with metadata from the declared schema."""

from __future__ import annotations

import pandas as pd
import pytest

from boroughkit.synth import count_violations, make_synthesiser
from boroughkit.synth.sdv_models import sdv_metadata_dict
from tests.helpers.synth import make_people, people_schema


def test_metadata_comes_from_the_schema() -> None:
    metadata = sdv_metadata_dict(people_schema())
    columns = metadata["tables"]["extract"]["columns"]
    assert columns["tenure"] == {"sdtype": "categorical"}
    assert columns["age"] == {"sdtype": "numerical"}
    assert "person_id" not in columns


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
