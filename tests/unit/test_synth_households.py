"""Household synthesis keeps households whole and members consistent."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from boroughkit.errors import DataError
from boroughkit.synth import count_violations, schema_from_dict
from boroughkit.synth.households import HouseholdCART
from boroughkit.synth.schema import SynthSchema

SPEC: dict[str, dict[str, Any]] = {
    "person_id": {"type": "id"},
    "home": {"type": "id"},
    "tenure": {"type": "category", "values": ["owned", "rented"]},
    "age": {"type": "integer", "min": 0, "max": 99},
    "working": {"type": "boolean"},
}


def _households(n_homes: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for home in range(n_homes):
        tenure = rng.choice(["owned", "rented"], p=[0.6, 0.4])
        size = int(rng.choice([1, 2, 3, 4], p=[0.3, 0.3, 0.2, 0.2]))
        for member in range(size):
            age = int(rng.integers(30, 80) if member == 0 else rng.integers(0, 80))
            rows.append(
                {
                    "person_id": f"P{len(rows)}",
                    "home": f"U{home}",
                    "tenure": tenure,
                    "age": age,
                    "working": bool(age >= 18 and rng.random() < 0.6),
                }
            )
    return pd.DataFrame(rows)


def _schema() -> SynthSchema:
    return schema_from_dict(
        SPEC,
        person_column="person_id",
        household_column="home",
        household_attributes=["tenure"],
        rules=["when age < 18 then working == False"],
    )


def test_households_stay_whole_and_share_their_attributes() -> None:
    real = _households(400, seed=1)
    model = HouseholdCART(_schema(), seed=3).fit(real)
    synthetic = model.sample(600)
    assert 600 <= len(synthetic) < 600 + 10
    per_home = synthetic.groupby("home")
    assert (per_home["tenure"].nunique() == 1).all()
    sizes = per_home.size()
    assert sizes.max() <= 4 and set(sizes.unique()) <= {1, 2, 3, 4}
    # The mix of household sizes follows the real one.
    real_share = real.groupby("home").size().value_counts(normalize=True)
    synth_share = sizes.value_counts(normalize=True)
    assert abs(real_share.get(1, 0) - synth_share.get(1, 0)) < 0.12
    assert sum(count_violations(synthetic, _schema().rules).values()) == 0
    assert not set(synthetic["home"]) & set(real["home"])
    again = HouseholdCART(_schema(), seed=3).fit(real).sample(600)
    pd.testing.assert_frame_equal(synthetic, again)


def test_household_attributes_must_be_shared() -> None:
    real = _households(50, seed=2)
    first_home = real.loc[real["home"].duplicated(keep=False), "home"].iloc[0]
    members = real.index[real["home"] == first_home]
    real.loc[members[0], "tenure"], real.loc[members[1], "tenure"] = "owned", "rented"
    with pytest.raises(DataError, match="tenure"):
        HouseholdCART(_schema(), seed=1).fit(real)
