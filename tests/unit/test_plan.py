"""Planning is pure and exact: budgets split exactly, noise scale follows from rho and the bound."""

from __future__ import annotations

import math
from fractions import Fraction

from boroughkit import build_plan, load_config
from boroughkit.privacy.opendp_adapter import calibrated_sigma, certified_rho
from tests.helpers.configs import minimal_config


def test_plan_splits_budget_exactly_across_tables_and_levels(write_config):
    config = minimal_config()
    config["release"]["budget"] = {"rho": "1/3"}
    config["release"]["tables"].append(
        {"name": "second", "count_by": [], "weight": 2, "levels": ["ward", "borough"]}
    )
    plan = build_plan(load_config(write_config(config)))
    assert sum(level.rho for table in plan.tables for level in table.levels) == Fraction(1, 3)
    assert plan.tables[1].rho == 2 * plan.tables[0].rho


def test_plan_noise_scale_matches_zcdp_formula(write_config):
    config = minimal_config()
    config["release"]["tables"][0]["max_categories_per_person"] = 3
    config["release"]["tables"][0]["level_split"] = {"oa": 0.5, "ward": 0.25, "borough": 0.25}
    plan = build_plan(load_config(write_config(config)))
    oa = plan.tables[0].levels[0]
    assert oa.rho == Fraction(1, 4)
    assert math.isclose(oa.sigma, math.sqrt(3 / (2 * 0.25)))
    assert "expected moe95" in plan.describe() and "Nothing has been read" in plan.describe()


def test_calibrated_sigma_never_exceeds_planned_budget():
    for rho in (Fraction(1, 3), Fraction(1, 7), Fraction(5, 11), Fraction(1, 1000)):
        for bound in (1, 2, 5):
            sigma = calibrated_sigma(rho, bound)
            assert Fraction(certified_rho(sigma, bound)) <= rho
            assert certified_rho(sigma, bound) > float(rho) * (1 - 1e-9)
