"""Public files hold public facts, DP outputs or nothing: who made a release, the minimum
population check's figures, and a leak scan that cannot pass having searched nothing."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from types import SimpleNamespace

import pandas as pd
import pytest

from boroughkit import load_config
from boroughkit.disclosure.gate import check_min_population
from boroughkit.disclosure.leaks import scan_for_leaks
from boroughkit.errors import ConfigError
from boroughkit.release.context import RunContext
from boroughkit.release.manifest import identity_block
from boroughkit.release.plan import Plan
from boroughkit.release.populations import published_populations
from tests.helpers.configs import minimal_config


@dataclass
class _Bundle:
    """A geography bundle with wards whose populations may be unknown (NA)."""

    populations: list[int | None]

    @property
    def info(self) -> SimpleNamespace:
        return SimpleNamespace(name="Test Borough")

    def areas(self, level: str) -> pd.DataFrame:
        codes = [f"W{n}" for n in range(len(self.populations))]
        return pd.DataFrame(
            {
                "code": codes,
                "name": [f"Ward {c}" for c in codes],
                "population": pd.array(self.populations, dtype="Int64"),
            }
        )


def _loaded(write_config, **disclosure):
    config = minimal_config()
    config["disclosure"] = disclosure
    return load_config(write_config(config))


def test_created_by_is_the_stated_name_never_the_login(write_config):
    loaded = load_config(write_config(minimal_config()))
    plan = Plan(loaded, "dp-tables", (), loaded.config.release.budget.rho)
    unstated = identity_block(plan, "r-1", RunContext(), "residents", "0")
    assert unstated["created_by"] == "not stated"
    assert RunContext().user == getpass.getuser()  # the login stays available to the ledger
    named = identity_block(plan, "r-1", RunContext(by="Asha Patel"), "residents", "0")
    assert named["created_by"] == "Asha Patel"
    assert identity_block(plan, "r-1", RunContext(by="  "), "residents", "0")["created_by"] == (
        "not stated"
    )


def test_population_check_reads_the_bundles_public_figures(write_config):
    populations = published_populations(_loaded(write_config), _Bundle([150, 99]), ["ward"])
    assert populations["population"].tolist() == [150, 99]
    result = check_min_population(populations, 100)
    assert not result.passed and [f.where["area_code"] for f in result.findings] == ["W1"]
    assert "public population figures" in result.summary


def test_without_public_figures_the_run_is_refused_naming_the_fix(write_config):
    with pytest.raises(ConfigError) as caught:
        published_populations(_loaded(write_config), _Bundle([150, None]), ["ward"])
    assert caught.value.exit_code == 2
    message = caught.value.message
    assert "ward W1" in message and "never a count of the records" in message
    assert "disclosure.area_populations" in (caught.value.fix or "")
    assert "min_area_population_reason" in (caught.value.fix or "")


def test_the_analyst_supplies_figures_in_a_csv_beside_the_config(write_config, tmp_path):
    (tmp_path / "census.csv").write_text("level,area_code,population\nward,W1,420\nward,W0,1\n")
    loaded = _loaded(write_config, area_populations="census.csv")
    populations = published_populations(loaded, _Bundle([150, None]), ["ward"])
    # The bundle's figure stands; the CSV fills what the bundle lacks.
    assert populations["population"].tolist() == [150, 420]
    (tmp_path / "census.csv").write_text("level,area_code,population\nward,W1,many\n")
    with pytest.raises(ConfigError, match=r"census.csv:2: population 'many'"):
        published_populations(loaded, _Bundle([150, None]), ["ward"])
    (tmp_path / "census.csv").write_text("level,code,residents\n")
    with pytest.raises(ConfigError, match="no column"):
        published_populations(loaded, _Bundle([150, None]), ["ward"])


def test_the_check_is_switched_off_only_with_a_stated_reason(write_config):
    reason = "ward figures are published by ONS at this level already"
    loaded = _loaded(write_config, min_area_population=0, min_area_population_reason=reason)
    populations = published_populations(loaded, _Bundle([None, None]), ["ward"])
    result = check_min_population(populations, 0, reason=reason)
    assert result.passed and reason in result.summary and "Switched off" in result.summary
    with pytest.raises(ConfigError, match="min_area_population_reason"):
        _loaded(write_config, min_area_population=0)
    with pytest.raises(ConfigError, match="min_area_population: 0"):
        _loaded(write_config, min_area_population=50, min_area_population_reason=reason)


def test_a_leak_scan_that_searched_nothing_fails(tmp_path):
    (tmp_path / "table.csv").write_text("area_code,count\nW1,12\n")
    nothing = scan_for_leaks([tmp_path], {})
    assert not nothing.passed and "searched for nothing" in nothing.summary
    # Only values too short to search (small integer ids) leave nothing to search either.
    short = scan_for_leaks([tmp_path], {"person_id": [1, 2, 3]})
    assert not short.passed and short.metrics["skipped_too_short"] == {"person_id": 3}
    searched = scan_for_leaks([tmp_path], {"person_id": ["P-0000001"]})
    assert searched.passed and searched.metrics["searched"] == {"person_id": 1}
