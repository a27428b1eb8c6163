"""Primary disclosure rules: threshold, zeros, dominance, p%, contributors, area population."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boroughkit.disclosure.rules import (
    RuleSettings,
    apply_rules,
    area_populations,
    check_rules,
    dp_superseded_results,
    sensitive_cells,
)
from boroughkit.disclosure.tables import PUBLISHED, SUPPRESSED, CellTable
from boroughkit.errors import ConfigError, DataError
from tests.helpers.shared_data import ons_lookup


def cells(rows: list[dict[str, object]]) -> CellTable:
    """A CellTable of one table at OA level; each row gives at least a value."""
    base = {"table": "t", "level": "oa"}
    frame = pd.DataFrame(
        [{**base, "area_code": f"o{i}", "category": "c", **row} for i, row in enumerate(rows)]
    )
    return CellTable.from_frame(frame)


def suppressed_by(
    table: CellTable,
    rule: str,
    settings_: RuleSettings | None = None,
    populations: pd.DataFrame | None = None,
) -> list[bool]:
    protected, _ = apply_rules(table, settings_ or RuleSettings(), area_populations=populations)
    return [
        status == SUPPRESSED and rule in why.split(",")
        for status, why in zip(protected.frame["status"], protected.frame["rule"], strict=True)
    ]


def test_threshold_suppresses_counts_of_one_to_nine_only() -> None:
    table = cells([{"value": v} for v in (1, 5, 9, 10, 250)])
    assert suppressed_by(table, "threshold") == [True, True, True, False, False]
    assert suppressed_by(table, "threshold", RuleSettings(min_cell=6)) == [
        True,
        True,
        False,
        False,
        False,
    ]


def test_zeros_are_disclosive_unless_structural_or_allowed() -> None:
    table = cells(
        [
            {"value": 0, "structural_zero": False},
            {"value": 0, "structural_zero": True},
            {"value": 12, "structural_zero": False},
        ]
    )
    assert suppressed_by(table, "zero") == [True, False, False]
    assert suppressed_by(table, "zero", RuleSettings(zeros_disclosive=False)) == [
        False,
        False,
        False,
    ]


def test_dominance_rule_flags_cells_two_contributors_dominate() -> None:
    # Top two make 95 %, 90 % exactly (not more than k) and 60 % of the cell.
    table = cells(
        [
            {"value": 1000, "contributors": 20, "top1": 900, "top2": 50},
            {"value": 1000, "contributors": 20, "top1": 600, "top2": 300},
            {"value": 1000, "contributors": 20, "top1": 400, "top2": 200},
        ]
    )
    assert suppressed_by(table, "dominance") == [True, False, False]
    # With n=1 only the largest counts: 90 % > 85 % but 60 % is not.
    assert suppressed_by(table, "dominance", RuleSettings(dominance_n=1, dominance_k=85)) == [
        True,
        False,
        False,
    ]


def test_p_percent_rule_flags_cells_whose_largest_contributor_can_be_estimated() -> None:
    # Remainder after the top two: 20 (< 50 % of 60 = 30) and 40 (not < 30).
    table = cells(
        [
            {"value": 100, "contributors": 12, "top1": 60, "top2": 20},
            {"value": 100, "contributors": 12, "top1": 60, "top2": 0},
        ]
    )
    rules = RuleSettings(p_percent=50)
    assert suppressed_by(table, "p-percent", rules) == [True, False]
    assert suppressed_by(table, "dominance", rules) == [False, False]


def test_unknown_largest_contributions_are_treated_as_the_worst_case() -> None:
    table = cells(
        [
            {"value": 500, "contributors": 30, "top1": 100},
            {"value": 500, "contributors": 1, "top1": 500},
        ]
    )
    masks = sensitive_cells(table, RuleSettings())
    assert masks["p-percent"].tolist() == [True, True]
    assert masks["dominance"].tolist() == [True, True]


def test_magnitude_cells_are_thresholded_on_their_contributors() -> None:
    table = cells(
        [
            {"value": 4000, "contributors": 4, "top1": 1100, "top2": 1000},
            {"value": 4000, "contributors": 40, "top1": 200, "top2": 150},
        ]
    )
    assert suppressed_by(table, "threshold") == [True, False]


def test_means_and_rates_need_enough_contributors() -> None:
    table = cells(
        [
            {"value": 12.5, "contributors": 9, "measure": "mean"},
            {"value": 0.4, "contributors": 10, "measure": "rate"},
            {"value": 3.0, "measure": "mean"},
        ]
    )
    assert suppressed_by(table, "min-contributors") == [True, False, True]


def test_small_areas_lose_every_cell() -> None:
    table = cells([{"value": 40}, {"value": 40}, {"value": 40}, {"value": 40}])
    populations = pd.DataFrame(
        {
            "level": "oa",
            "area_code": ["o0", "o1", "o2", "o3"],
            "population": [99, 100, 250, None],
            "households": [45, 40, 39, 50],
        }
    )
    assert suppressed_by(table, "min-area-population", populations=populations) == [
        True,
        False,
        True,
        False,
    ]


def test_area_populations_sum_the_real_lookup() -> None:
    lookup = ons_lookup()
    areas = area_populations(lookup)
    assert areas.groupby("level").size().to_dict() == {
        "borough": 1,
        "lsoa": 115,
        "msoa": 22,
        "oa": 581,
        "ward": 19,
    }
    for level in ("lsoa", "ward", "borough"):
        assert areas.loc[areas["level"] == level, "population"].sum() == 218_887
    lookup.loc[0, "population"] = None
    unknown = area_populations(lookup)
    assert unknown.loc[unknown["level"] == "borough", "population"].isna().all()


def test_results_are_one_per_rule_and_name_cells_not_values() -> None:
    table = cells([{"value": 3}, {"value": 0}, {"value": 45}])
    protected, results = apply_rules(table, RuleSettings())
    assert [r.passed for r in results] == [True] * 6
    assert {r.category for r in results} == {"small-cells", "dominance", "area-population"}
    threshold = next(r for r in results if r.id == "threshold")
    assert threshold.summary.startswith("1 cells suppressed")
    assert threshold.findings[0].where == {
        "table": "t",
        "level": "oa",
        "area_code": "o0",
        "category": "c",
    }
    assert "3" not in threshold.findings[0].detail
    assert protected.frame["status"].tolist() == [SUPPRESSED, SUPPRESSED, PUBLISHED]


def test_check_rules_fails_on_a_published_disclosive_cell() -> None:
    table = cells([{"value": 3}, {"value": 45}])
    failed = [r.id for r in check_rules(table, RuleSettings()) if not r.passed]
    assert failed == ["threshold"]
    protected, _ = apply_rules(table, RuleSettings())
    assert all(r.passed for r in check_rules(protected, RuleSettings()))


def test_dp_tables_record_every_rule_as_superseded_with_a_reason() -> None:
    results = dp_superseded_results(RuleSettings())
    assert len(results) == 6
    for result in results:
        assert result.superseded_by_dp and result.passed
        assert "differentially private" in result.summary
        assert "suppression" in result.summary


def test_bad_settings_and_cells_are_reported_with_a_fix() -> None:
    with pytest.raises(ConfigError, match="dominance n"):
        RuleSettings(dominance_n=3)
    with pytest.raises(ConfigError, match="percentage"):
        RuleSettings(p_percent=120)
    with pytest.raises(DataError, match="missing columns"):
        CellTable.from_frame(pd.DataFrame({"table": ["t"], "value": [1]}))
    duplicate = pd.DataFrame(
        {"table": "t", "level": "oa", "area_code": ["o1", "o1"], "category": "c", "value": [1, 2]}
    )
    with pytest.raises(DataError, match="repeat"):
        CellTable.from_frame(duplicate)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=30),
    min_cell=st.integers(min_value=1, max_value=20),
)
def test_count_cells_are_suppressed_exactly_when_small_or_zero(
    values: list[int], min_cell: int
) -> None:
    table = cells([{"value": v} for v in values])
    protected, _ = apply_rules(table, RuleSettings(min_cell=min_cell))
    expected = np.array([v < min_cell for v in values])
    assert (protected.suppressed == expected).all()
    # Applying the rules twice changes nothing more.
    again, _ = apply_rules(protected, RuleSettings(min_cell=min_cell))
    assert (again.suppressed == protected.suppressed).all()
