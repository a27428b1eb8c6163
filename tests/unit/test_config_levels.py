"""Levels in configs: ``lad`` reads as ``borough``, and the levels a release asks for are found
wherever its section names them."""

from __future__ import annotations

import pytest

from boroughkit import load_config
from boroughkit.errors import ConfigError
from boroughkit.pipeline.geography_levels import open_geography, requested_levels
from tests.helpers.configs import minimal_config


def test_lad_is_read_as_borough_in_levels_and_level_split(write_config) -> None:
    config = minimal_config()
    config["release"]["tables"][0]["levels"] = ["lad", "oa", "region"]
    config["release"]["tables"][0]["level_split"] = {"oa": 0.6, "LAD": 0.2, "region": 0.2}
    table = load_config(write_config(config)).config.release.tables[0]
    assert table.levels == ["oa", "borough", "region"]
    assert set(table.level_split) == {"oa", "borough", "region"}


def test_lad_and_borough_together_are_one_level_listed_twice(write_config) -> None:
    config = minimal_config()
    config["release"]["tables"][0]["levels"] = ["oa", "borough", "lad"]
    with pytest.raises(ConfigError, match="listed twice"):
        load_config(write_config(config))


def test_requested_levels_name_the_config_key(write_config) -> None:
    config = minimal_config()
    config["release"]["tables"].append({"name": "people", "levels": ["ward", "region"]})
    loaded = load_config(write_config(config))
    assert requested_levels(loaded.config.release) == {
        "oa": "release.tables[0].levels",
        "ward": "release.tables[0].levels",
        "borough": "release.tables[0].levels",
        "region": "release.tables[1].levels",
    }
    # The demo borough lies in a (demo) region: the check passes.
    assert "region" in open_geography(loaded).levels


def test_an_unknown_level_names_the_choices(write_config) -> None:
    config = minimal_config()
    config["release"]["tables"][0]["levels"] = ["oa", "county"]
    with pytest.raises(ConfigError, match="region"):
        load_config(write_config(config))
