"""The intruder's relations and the attack audit on suppressed cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from boroughkit.disclosure.audit import audit_suppression, intruder_intervals
from boroughkit.disclosure.relations import build_relations
from boroughkit.disclosure.rules import RuleSettings, apply_rules
from boroughkit.disclosure.tables import SUPPRESSED, TOTAL_CATEGORY, CellTable
from boroughkit.errors import DataError
from tests.helpers.cells import TINY, release
from tests.helpers.shared_data import GEO, ons_lookup


def suppress(frame: pd.DataFrame, *keys: tuple[str, str, str]) -> CellTable:
    """Cells with the (level, area, category) ``keys`` suppressed by the threshold rule."""
    cells = CellTable.from_frame(frame)
    index = pd.MultiIndex.from_frame(cells.frame[["level", "area_code", "category"]])
    return cells.suppress(index.isin(list(keys)), "threshold")


def tiny_counts() -> pd.DataFrame:
    return pd.DataFrame(
        {"a": [3, 15, 11, 14], "b": [20, 12, 30, 16], "c": [40, 33, 25, 22]},
        index=pd.Index(["o1", "o2", "o3", "o4"], name="oa_code"),
    )


def real_lookup() -> pd.DataFrame:
    return ons_lookup()


# --- relations -----------------------------------------------------------------------------


def test_relations_hold_for_true_values_and_follow_the_nesting() -> None:
    lookup = real_lookup()
    census = pd.read_csv(GEO / "census2021_oa_counts_lbbd.csv").set_index("oa21cd")
    counts = census[["ts008_sex__Female", "ts008_sex__Male"]].rename_axis("oa_code")
    frame = release(lookup, counts, ("oa", "lsoa", "msoa", "ward", "borough"))
    cells = CellTable.from_frame(frame)
    relations = build_relations(cells, lookup)
    matrix, rhs = relations
    assert matrix.shape[1] == len(cells)  # a complete release has no hidden cells
    assert np.abs(matrix @ cells.frame["value"].to_numpy() - rhs).max() == 0
    kinds = set(relations.kind)
    assert kinds == {
        "total",
        "hierarchy:oa>lsoa",
        "hierarchy:lsoa>msoa",
        "hierarchy:msoa>borough",
        "hierarchy:oa>ward",
        "hierarchy:ward>borough",
    }
    # One relation per parent area and category: 115 LSOAs × 3 categories from OAs.
    assert (relations.kind == "hierarchy:oa>lsoa").sum() == 115 * 3
    # A changed value breaks exactly the relations the cell is in (its total, LSOA, ward).
    changed = cells.frame["value"].to_numpy().copy()
    changed[0] += 1
    assert np.count_nonzero(matrix @ changed) == 3


def test_a_national_lookup_gives_the_same_relations_as_the_borough_one() -> None:
    national = ons_lookup("lookup_oa21_lsoa21_msoa21_wd22_lad22_ew.csv.gz")
    counts = pd.DataFrame({"a": 1, "b": 2}, index=real_lookup()["oa_code"].rename("oa_code"))
    cells = CellTable.from_frame(release(real_lookup(), counts, ("oa", "ward", "borough")))
    borough = build_relations(cells, real_lookup())
    assert len(national) > 100 * len(counts)
    from_national = build_relations(cells, national)
    assert from_national.hidden.empty
    assert (borough.matrix != from_national.matrix).nnz == 0


def test_unpublished_levels_are_skipped_and_missing_cells_become_hidden_unknowns() -> None:
    frame = release(TINY, tiny_counts(), ("oa", "borough"))
    frame = frame[~((frame["area_code"] == "o4") & (frame["category"] == "a"))]
    relations = build_relations(CellTable.from_frame(frame), TINY)
    assert set(relations.kind) == {"total", "hierarchy:oa>borough"}
    assert relations.hidden.to_dict("records") == [
        {"table": "t", "level": "oa", "area_code": "o4", "category": "a"}
    ]
    assert relations.matrix.shape[1] == len(frame) + 1


def test_custom_levels_and_linked_totals_add_relations() -> None:
    by_type = tiny_counts()  # OA totals 63, 60, 66, 52
    by_age = pd.DataFrame({"young": [10, 30, 40, 20], "old": [53, 30, 26, 32]}, index=by_type.index)
    estate = pd.Series({"o1": "estate", "o2": "estate"})
    lookup = TINY.assign(estate_code=TINY["oa_code"].map(estate))
    frame = pd.concat(
        [
            release(lookup, by_type, ("oa", "borough")),
            release(lookup.dropna(), by_type.loc[["o1", "o2"]], ("estate",)),
            release(lookup, by_age, ("oa",), table="u"),
        ],
        ignore_index=True,
    )
    cells = CellTable.from_frame(frame)
    relations = build_relations(
        cells, TINY, custom_levels={"estate": estate}, linked_totals=[["t", "u"]]
    )
    kinds = pd.Series(relations.kind).value_counts().to_dict()
    assert kinds["linked-total"] == 4  # one per OA
    # The estate covers two OAs: it sums them, but nests in nothing.
    assert kinds["hierarchy:oa>estate"] == 4  # one per category, total included
    assert not any(str(kind).startswith("hierarchy:estate") for kind in kinds)
    assert np.abs(relations.matrix @ cells.frame["value"].to_numpy()).max() == 0


def test_unknown_area_codes_and_levels_are_data_errors() -> None:
    frame = release(TINY, tiny_counts(), ("oa",))
    frame.loc[0, "area_code"] = "nowhere"
    with pytest.raises(DataError, match="nowhere"):
        build_relations(CellTable.from_frame(frame), TINY)
    frame = release(TINY, tiny_counts(), ("oa",)).assign(level="parish")
    with pytest.raises(DataError, match="custom_levels"):
        build_relations(CellTable.from_frame(frame), TINY)


# --- the audit -----------------------------------------------------------------------------


def test_one_suppressed_cell_in_a_row_with_its_total_is_recovered() -> None:
    frame = release(TINY, tiny_counts(), ("oa",))
    cells = suppress(frame, ("oa", "o1", "a"))
    result = audit_suppression(cells, TINY, RuleSettings())
    assert not result.passed
    row = result.intervals.iloc[0]
    assert (row["lower"], row["upper"]) == (3.0, 3.0)
    assert "recovered exactly" in result.check.findings[0].detail
    assert result.check.metrics["recovered_exactly"] == 1


def test_an_oa_cell_is_recovered_from_its_ward_total_and_sibling_oas() -> None:
    counts = tiny_counts()[["a"]]
    frame = release(TINY, counts, ("oa", "ward"), total=False)
    cells = suppress(frame, ("oa", "o2", "a"))
    result = audit_suppression(cells, TINY, RuleSettings())
    assert not result.passed
    assert result.intervals[["lower", "upper"]].iloc[0].tolist() == [15.0, 15.0]
    # Without the ward level there is nothing to subtract from.
    alone = suppress(release(TINY, counts, ("oa",), total=False), ("oa", "o2", "a"))
    assert audit_suppression(alone, TINY, RuleSettings()).passed


def test_a_rectangle_of_suppressed_cells_gets_its_exact_interval() -> None:
    # o1 and o3 share ward w1 but not LSOA; only OA, ward and borough are published.
    frame = release(TINY, tiny_counts(), ("oa", "ward", "borough"))
    keys = [("oa", "o1", "a"), ("oa", "o1", "b"), ("oa", "o3", "a"), ("oa", "o3", "b")]
    result = audit_suppression(suppress(frame, *keys), TINY, RuleSettings())
    assert result.passed
    intervals = result.intervals.set_index(["area_code", "category"])
    # o1a can rise by min(o1b, o3a) = 11 and fall by min(o1a, o3b) = 3.
    assert list(intervals.loc[("o1", "a"), ["lower", "upper"]]) == [0.0, 14.0]
    assert list(intervals.loc[("o3", "b"), ["lower", "upper"]]) == [27.0, 41.0]
    assert intervals["exact"].all()
    # The same release fails a wider protection requirement.
    strict = audit_suppression(suppress(frame, *keys), TINY, RuleSettings(protection_width=15))
    assert not strict.passed and strict.check.metrics["below_protection"] == 4


def test_structural_zeros_are_known_and_never_flagged() -> None:
    frame = release(TINY, tiny_counts(), ("oa",))
    frame["structural_zero"] = False
    frame.loc[len(frame)] = {
        "area_code": "o1",
        "category": "z",
        "value": 0,
        "table": "t",
        "level": "oa",
        "structural_zero": True,
    }
    cells = suppress(frame, ("oa", "o1", "z"))
    result = audit_suppression(cells, TINY, RuleSettings())
    assert result.passed
    assert result.intervals["method"].tolist() == ["structural-zero"]


def test_values_that_do_not_add_up_are_refused() -> None:
    frame = release(TINY, tiny_counts(), ("oa",))
    frame.loc[frame["category"] == TOTAL_CATEGORY, "value"] += 1
    with pytest.raises(DataError, match="do not add up"):
        audit_suppression(suppress(frame, ("oa", "o1", "a")), TINY, RuleSettings())


def test_integer_programmes_never_widen_the_lp_interval() -> None:
    frame = release(TINY, tiny_counts(), ("oa", "ward", "borough"))
    keys = [("oa", "o1", "a"), ("oa", "o1", "b"), ("oa", "o3", "a"), ("oa", "o3", "b")]
    cells = suppress(frame, *keys)
    lp = audit_suppression(cells, TINY, RuleSettings()).intervals
    ip = audit_suppression(cells, TINY, RuleSettings(), integer_programs=True).intervals
    assert (ip["lower"] >= lp["lower"]).all() and (ip["upper"] <= lp["upper"]).all()


@pytest.fixture(scope="module")
def census_release() -> tuple[CellTable, pd.DataFrame]:
    """Census 2021 residence type (many small communal counts) at every level, thresholded."""
    lookup = real_lookup()
    census = pd.read_csv(GEO / "census2021_oa_counts_lbbd.csv").set_index("oa21cd")
    columns = [
        "ts001_residence__Lives in a household",
        "ts001_residence__Lives in a communal establishment",
        "ts038_disability3__Disabled under the Equality Act",
    ]
    counts = census[columns].rename_axis("oa_code")
    frame = release(lookup, counts, ("oa", "lsoa", "msoa", "ward", "borough"))
    cells, _ = apply_rules(CellTable.from_frame(frame), RuleSettings())
    return cells, lookup


def test_screening_agrees_with_exact_lp() -> None:
    # Real geography (the OAs of three wards), counts of a service split over five categories.
    lookup = real_lookup()
    lookup = lookup[lookup["ward_code"].isin(sorted(set(lookup["ward_code"]))[:3])]
    rng = np.random.default_rng(5)  # fixed test data, not privacy noise
    reached = rng.binomial(lookup["population"].to_numpy(), 0.25)
    counts = pd.DataFrame(
        [rng.multinomial(n, [0.4, 0.3, 0.15, 0.1, 0.05]) for n in reached],
        columns=list("abcde"),
        index=lookup["oa_code"].rename("oa_code"),
    )
    frame = release(lookup, counts, ("oa", "lsoa", "ward", "borough"))
    cells, _ = apply_rules(CellTable.from_frame(frame), RuleSettings())
    relations = build_relations(cells, lookup)
    settings = RuleSettings()
    exact = intruder_intervals(cells, relations, settings, exact_intervals=True)
    screened = intruder_intervals(cells, relations, settings, exact_intervals=False, workers=2)
    assert len(exact) == int(cells.suppressed.sum()) > 50
    assert (~exact["safe"]).any() and exact["safe"].any()
    assert (exact["safe"] == screened["safe"]).all()
    # Screened intervals are outer bounds of the exact ones.
    assert (screened["lower"] <= exact["lower"] + 1e-6).all()
    assert (screened["upper"] >= exact["upper"] - 1e-6).all()


def test_every_suppressed_cell_is_reported_failures_first(
    census_release: tuple[CellTable, pd.DataFrame],
) -> None:
    cells, lookup = census_release
    result = audit_suppression(cells, lookup, RuleSettings(), exact_intervals=False)
    assert len(result.check.findings) == int((cells.frame["status"] == SUPPRESSED).sum())
    failing = int((~result.intervals["safe"]).sum())
    assert failing > 0 and not result.passed
    assert all(
        f.detail.startswith(("recovered", "an intruder can narrow"))
        for f in result.check.findings[:failing]
    )
    assert result.check.category == "suppression-audit"


@settings(max_examples=25, deadline=None)
@given(
    counts=st.lists(st.integers(0, 30), min_size=12, max_size=12),
    hidden=st.lists(st.booleans(), min_size=12, max_size=12),
    screened=st.booleans(),
)
def test_intervals_match_an_independent_lp_over_the_whole_table(
    counts: list[int], hidden: list[bool], screened: bool
) -> None:
    oa_counts = pd.DataFrame(
        np.array(counts).reshape(4, 3), columns=list("abc"), index=["o1", "o2", "o3", "o4"]
    )
    frame = release(TINY, oa_counts, ("oa", "lsoa", "ward", "borough"))
    keys = [("oa", oa, c) for (oa, c), h in zip(oa_counts.stack().index, hidden, strict=True) if h]
    cells = suppress(frame, *keys)
    if not keys:
        return
    intervals = audit_suppression(
        cells, TINY, RuleSettings(), exact_intervals=not screened
    ).intervals
    # Independently: every cell a variable, published ones fixed, the sums written by hand.
    values = cells.frame["value"].to_numpy()
    index = {
        tuple(k): i
        for i, k in enumerate(cells.frame[["level", "area_code", "category"]].to_numpy())
    }
    parents = {"lsoa": "lsoa_code", "ward": "ward_code", "borough": "borough_code"}
    rows = []
    for level, column in parents.items():
        for code, group in TINY.groupby(column):
            for category in ["a", "b", "c", TOTAL_CATEGORY]:
                row = np.zeros(len(values))
                row[index[(level, code, category)]] = 1
                for oa in group["oa_code"]:
                    row[index[("oa", oa, category)]] = -1
                rows.append(row)
    for level, code in {(k[0], k[1]) for k in index}:
        row = np.zeros(len(values))
        row[index[(level, code, TOTAL_CATEGORY)]] = 1
        for category in "abc":
            row[index[(level, code, category)]] = -1
        rows.append(row)
    published = ~cells.suppressed
    bounds = [(v, v) if p else (0, None) for v, p in zip(values, published, strict=True)]
    for record in intervals.to_dict("records"):
        cell = int(record["cell"])
        cost = np.zeros(len(values))
        cost[cell] = 1
        low = linprog(cost, A_eq=np.array(rows), b_eq=np.zeros(len(rows)), bounds=bounds)
        high = linprog(-cost, A_eq=np.array(rows), b_eq=np.zeros(len(rows)), bounds=bounds)
        true_low, true_high = np.ceil(low.fun - 1e-6), np.floor(-high.fun + 1e-6)
        assert record["lower"] <= values[cell] <= record["upper"]
        if record["exact"]:
            assert (record["lower"], record["upper"]) == (true_low, true_high)
        else:  # an outer bound, and the verdict must still be right
            assert record["lower"] <= true_low and record["upper"] >= true_high
        assert record["safe"] == (true_high - true_low >= 10)


def test_magnitudes_can_require_a_width_relative_to_the_cell() -> None:
    # A rectangle in ward w1: o1x can rise by min(o1y, o3x) = 200 and fall by 4000.
    amounts = pd.DataFrame(
        {"x": [5000.0, 100.0, 200.0], "y": [300.0, 100.0, 4000.0]}, index=["o1", "o2", "o3"]
    )
    frame = release(TINY, amounts, ("oa", "ward")).assign(measure="magnitude")
    keys = [("oa", "o1", "x"), ("oa", "o1", "y"), ("oa", "o3", "x"), ("oa", "o3", "y")]
    cells = suppress(frame, *keys)
    loose = audit_suppression(cells, TINY, RuleSettings(protection_percent=50))
    assert loose.passed
    assert loose.intervals["width"].tolist() == [4200.0] * 4
    strict = audit_suppression(cells, TINY, RuleSettings(protection_percent=100))
    assert strict.intervals["safe"].tolist() == [False, True, True, True]


def test_means_and_rates_are_outside_the_sums() -> None:
    frame = release(TINY, tiny_counts(), ("oa",))
    means = frame.assign(table="mean_age", measure="mean", value=frame["value"] / 3)
    cells = suppress(pd.concat([frame, means], ignore_index=True), ("oa", "o1", "a"))
    intervals = audit_suppression(cells, TINY, RuleSettings()).intervals
    by_table = intervals.set_index("table")["method"].to_dict()
    assert by_table == {"t": "single-relation", "mean_age": "unrelated"}
