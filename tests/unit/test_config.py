"""Config loading: typed models, file:line errors, did-you-mean, duplicate keys, exact budgets."""

from __future__ import annotations

from fractions import Fraction

import pytest

from boroughkit import load_config
from boroughkit.errors import ConfigError
from tests.helpers.configs import minimal_config


def test_valid_config_loads_with_exact_budget(write_config):
    loaded = load_config(write_config(minimal_config()))
    assert loaded.config.release.budget.rho == Fraction(1, 2)
    assert loaded.resolve(loaded.config.source.path).name == "residents.parquet"
    assert loaded.resolve(loaded.config.source.path).parent == loaded.base_dir


def test_decimal_budget_is_exact_not_binary_float(write_config):
    config = minimal_config()
    config["release"]["budget"] = {"rho": 0.1}
    assert load_config(write_config(config)).config.release.budget.rho == Fraction(1, 10)


def test_unknown_key_names_line_allowed_keys_and_suggestion(write_config):
    text = (
        "name: x\nsource:\n  path: r.parquet\n  privacy_unt: person_id\n"
        "release:\n  method: dp-tables\n  budget: {rho: 0.5}\n  tables: [{name: t}]\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(text))
    message = str(caught.value)
    assert "pipeline.yaml" in message and "line 4" in message
    assert "source.privacy_unt" in message and "did you mean 'privacy_unit'" in message
    assert "allowed here" in message and "household" in message


def test_misspelt_value_gets_suggestion_and_line(write_config):
    config = minimal_config()
    config["release"]["tables"][0]["levels"] = ["oa", "wrd"]
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(config))
    assert "did you mean 'ward'" in str(caught.value)
    assert "release.tables[0].levels[1]" in str(caught.value)


def test_misspelt_method_suggests_the_right_one(write_config):
    config = minimal_config()
    config["release"]["method"] = "dp-table"
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(config))
    assert "dp-tables" in str(caught.value)


def test_wrong_type_is_reported_with_key(write_config):
    config = minimal_config()
    config["release"]["tables"][0]["max_categories_per_person"] = "several"
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(config))
    assert "max_categories_per_person" in str(caught.value)
    assert caught.value.exit_code == 2


def test_duplicate_key_rejected_with_both_lines(write_config):
    text = "name: a\nname: b\n"
    with pytest.raises(
        ConfigError, match=r"line|:2: duplicate key 'name' \(first given on line 1\)"
    ):
        load_config(write_config(text))


def test_negative_budget_rejected(write_config):
    config = minimal_config()
    config["release"]["budget"] = {"rho": -1}
    with pytest.raises(ConfigError, match=r"release.budget.rho: must be more than 0, not negative"):
        load_config(write_config(config))


def test_level_split_must_cover_levels(write_config):
    config = minimal_config()
    config["release"]["tables"][0]["level_split"] = {"oa": 0.8, "ward": 0.2}
    with pytest.raises(ConfigError, match="borough"):
        load_config(write_config(config))


def test_missing_config_file_is_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")


def test_invalid_yaml_names_line(write_config):
    with pytest.raises(ConfigError, match=r"pipeline.yaml:\d+: invalid YAML"):
        load_config(write_config("name: [unclosed\nsource: x\n"))
