"""The constructed people of ``tests/helpers/synth.py``, and repairing rule consequences."""

from __future__ import annotations

from tests.helpers.synth import make_people, people_schema


def test_constructed_people_satisfy_their_schema_and_rules() -> None:
    from boroughkit.synth.rules import count_violations

    schema = people_schema()
    data = schema.validate(make_people(400))
    assert list(data.columns) == schema.names
    assert sum(count_violations(data, schema.rules).values()) == 0
    assert data["income"].isna().sum() == (data["age"] < 16).sum()


def test_repair_sets_consequences_without_breaking_dtypes() -> None:
    import pandas as pd

    from boroughkit.synth.base import repair
    from boroughkit.synth.rules import parse_rules

    rules = parse_rules(
        ["when age < 16 then paid is missing", "when age < 16 then band == 'child'"]
    )
    batch = pd.DataFrame(
        {"age": [10, 30], "paid": [True, True], "band": pd.Categorical(["adult", "adult"])}
    )
    fixed = repair(batch, rules)
    assert fixed["paid"].tolist()[1] is True and pd.isna(fixed["paid"][0])
    assert fixed["band"].tolist() == ["child", "adult"]
