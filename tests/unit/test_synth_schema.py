"""Declared schemas: encoding by public bins, rules, dict schemas and the ma2019 dictionary."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from boroughkit.errors import ConfigError, DataError
from boroughkit.synth import schema_for_ma2019, schema_from_dict, to_one_row_per_person
from boroughkit.synth.rules import StructuralRule, count_violations
from boroughkit.synth.schema import ColumnSpec
from tests.helpers.shared_data import SHARED_DATA
from tests.helpers.synth import make_people, people_schema

NIST = SHARED_DATA / "nist_crc"


def test_numbers_are_binned_left_closed_with_missing_last() -> None:
    spec = ColumnSpec("age", "integer", lower=0, upper=99, bins=(0, 15, 16, 99), nullable=True)
    codes = spec.encode(pd.Series([0, 14, 15, 16, 99, np.nan]))
    assert codes.tolist() == [0, 0, 1, 2, 2, 3]
    assert spec.labels() == ["[0, 15)", "[15, 16)", "[16, 99]", "missing"]


def test_decode_draws_inside_the_bin() -> None:
    spec = ColumnSpec("age", "integer", lower=0, upper=99, bins=(0, 3, 5, 15, 99))
    rng = np.random.default_rng(1)
    codes = np.repeat(np.arange(4), 500)
    values = spec.decode(codes, rng).to_numpy()
    assert np.array_equal(spec.encode(pd.Series(values)), codes)
    assert set(values[codes == 1]) == {3, 4}
    assert values.max() <= 99


def test_values_outside_the_declaration_name_column_and_rows() -> None:
    schema = people_schema()
    data = make_people(50)
    data.loc[7, "tenure"] = "caravan"
    with pytest.raises(DataError, match=r"'tenure'.*rows \[7\]"):
        schema.validate(data)
    data = make_people(50)
    data.loc[3, "age"] = 140
    with pytest.raises(DataError, match="'age'"):
        schema.validate(data)


def test_numeric_columns_need_public_bounds() -> None:
    with pytest.raises(ConfigError, match="bounds"):
        ColumnSpec("income", "number")
    with pytest.raises(ConfigError, match="outside"):
        ColumnSpec("income", "number", lower=0, upper=10, bins=(0, 20))


def test_unknown_column_suggests_a_name() -> None:
    with pytest.raises(ConfigError, match="did you mean 'tenure'"):
        people_schema().column("tenur")


def test_rules_parse_and_find_violations() -> None:
    rule = StructuralRule.parse("when age < 16 and sex == 'F' then income is missing")
    frame = pd.DataFrame(
        {"age": [10, 10, 30, np.nan], "sex": ["F", "M", "F", "F"], "income": [5.0, 5.0, 5.0, 5.0]}
    )
    assert rule.violations(frame).tolist() == [True, False, False, False]
    listed = StructuralRule.parse("when tenure in ['social', 'private'] then benefit != 7")
    assert listed.when[0].value == ("social", "private")
    with pytest.raises(ConfigError, match=r"when \.\.\. then"):
        StructuralRule.parse("age < 16 implies income is missing")
    with pytest.raises(ConfigError, match="cannot read"):
        StructuralRule.parse("when age is about 16 then income is missing")


def test_dict_schema_in_the_demo_shape() -> None:
    spec: dict[str, dict[str, Any]] = {
        "person_id": {"type": "id"},
        "oa_code": {"type": "string"},
        "postcode": {"type": "string", "optional": True},
        "age": {"type": "integer", "min": 0, "max": 100},
        "sex": {"type": "category", "values": ["F", "M"]},
        "housing_benefit": {"type": "boolean"},
        "arrears": {"type": "number", "min": 0.0, "max": 25000.0},
        "service": {"type": "category", "values": ["none", "hb"]},
    }
    schema = schema_from_dict(
        spec,
        area_column="oa_code",
        areas=["E001", "E002"],
        person_column="person_id",
        drop=["service"],
        quasi_identifiers=["oa_code", "age"],
        rules=["when age < 18 then housing_benefit == False"],
    )
    assert schema.names == ["oa_code", "age", "sex", "housing_benefit", "arrears"]
    assert schema.area_column == "oa_code"
    assert schema.column("postcode").kind == "id"
    assert schema.column("housing_benefit").kind == "flag"
    assert len(schema.column("arrears").bins) == 11
    with pytest.raises(ConfigError, match="min and max"):
        schema_from_dict({"x": {"type": "number"}})


def test_one_row_per_person_checks_person_level_columns() -> None:
    schema = schema_from_dict(
        {
            "pid": {"type": "id"},
            "age": {"type": "integer", "min": 0, "max": 100},
            "service": {"type": "category", "values": ["a", "b"]},
        },
        person_column="pid",
    )
    long = pd.DataFrame(
        {"pid": ["p1", "p1", "p2"], "age": [30, 30, 40], "service": ["a", "b", "a"]}
    )
    with pytest.raises(DataError, match="service"):
        to_one_row_per_person(long, schema)
    dropped = schema_from_dict(
        {
            "pid": {"type": "id"},
            "age": {"type": "integer", "min": 0, "max": 100},
            "service": {"type": "category", "values": ["a", "b"]},
        },
        person_column="pid",
        drop=["service"],
    )
    assert len(to_one_row_per_person(long, dropped)) == 2


def test_ma2019_schema_comes_from_the_dictionary_and_its_rules_hold_on_the_data() -> None:
    schema = schema_for_ma2019(NIST / "data_dictionary.json", code_list_path=NIST / "ma2019.json")
    data = schema.validate(pd.read_csv(NIST / "ma2019.csv", na_values="N"))
    assert schema.column("PUMA").values == (
        "25-00503",
        "25-00703",
        "25-01000",
        "25-01300",
        "25-02800",
    )
    assert schema.column("MSP").nullable and schema.column("DEYE").kind == "flag"
    assert 15 in schema.column("AGEP").bins and 3 in schema.column("AGEP").bins
    assert len(schema.rules) > 30
    assert sum(count_violations(data, schema.rules).values()) == 0
    without_codes = schema_for_ma2019(NIST / "data_dictionary.json")
    assert without_codes.column("INDP").kind == "id"
    assert "INDP" not in without_codes.names
