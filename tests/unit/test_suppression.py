"""Secondary suppression: primary suppression alone leaks; after it, the audit passes."""

from __future__ import annotations

import pandas as pd

from boroughkit.disclosure.audit import audit_suppression
from boroughkit.disclosure.rules import RuleSettings, apply_rules
from boroughkit.disclosure.suppression import SECONDARY, secondary_suppression
from boroughkit.disclosure.tables import TOTAL_CATEGORY, CellTable
from tests.helpers.cells import TINY, release
from tests.helpers.shared_data import GEO, ons_lookup


def protect(
    frame: pd.DataFrame, lookup: pd.DataFrame, settings: RuleSettings | None = None
) -> tuple[CellTable, CellTable]:
    """Primary then secondary suppression; returns (after primary, after secondary)."""
    rules = settings or RuleSettings()
    primary, _ = apply_rules(CellTable.from_frame(frame), rules)
    result = secondary_suppression(primary, lookup, rules)
    assert result.audit.passed, result.audit.intervals[~result.audit.intervals["safe"]]
    return primary, result.cells


def assert_protected(cells: CellTable, lookup: pd.DataFrame, width: float = 10) -> None:
    """An independent exact audit finds every suppressed cell at least ``width`` wide."""
    audit = audit_suppression(
        cells, lookup, RuleSettings(protection_width=width), exact_intervals=True
    )
    assert audit.passed
    assert (audit.intervals["width"] >= width).all()


def test_a_single_suppressed_cell_in_a_row_with_its_total() -> None:
    counts = pd.DataFrame({"a": [3], "b": [20], "c": [40], "d": [17]}, index=["o1"])
    frame = release(TINY, counts, ("oa",))
    primary, protected = protect(frame, TINY)
    assert not audit_suppression(primary, TINY, RuleSettings()).passed
    assert_protected(protected, TINY)
    extra = protected.frame[protected.frame["rule"] == SECONDARY]
    # One partner is enough, and the cheapest one that can hide 10 is chosen.
    assert extra["category"].tolist() == ["d"]


def test_an_oa_recoverable_from_its_ward_total() -> None:
    counts = pd.DataFrame({"a": [4, 15, 11, 14]}, index=["o1", "o2", "o3", "o4"])
    frame = release(TINY, counts, ("oa", "ward"), total=False)
    primary, protected = protect(frame, TINY)
    assert not audit_suppression(primary, TINY, RuleSettings()).passed
    assert_protected(protected, TINY)
    extra = protected.frame.loc[protected.frame["rule"] == SECONDARY, "area_code"].tolist()
    assert extra == ["o3"]  # the smallest sibling in ward w1 that can hide 10


def test_a_parent_child_chain_and_its_totals() -> None:
    counts = pd.DataFrame(
        {"a": [3, 15, 11, 14], "b": [20, 12, 30, 16], "c": [40, 33, 25, 22]},
        index=["o1", "o2", "o3", "o4"],
    )
    frame = release(TINY, counts, ("oa", "lsoa", "msoa", "ward", "borough"))
    primary, protected = protect(frame, TINY)
    assert not audit_suppression(primary, TINY, RuleSettings()).passed
    assert_protected(protected, TINY)
    added = int((protected.frame["rule"] == SECONDARY).sum())
    # A rectangle within one LSOA and ward closes the hole: three partners.
    assert added == 3


def test_linked_tables_sharing_their_totals() -> None:
    counts = pd.DataFrame(
        {"a": [3, 15, 11, 14], "b": [20, 12, 30, 16]}, index=["o1", "o2", "o3", "o4"]
    )
    by_age = pd.DataFrame({"young": [12, 14, 19, 2], "old": [11, 13, 22, 28]}, index=counts.index)
    frame = pd.concat(
        [release(TINY, counts, ("oa", "ward")), release(TINY, by_age, ("oa", "ward"), table="u")],
        ignore_index=True,
    )
    primary, _ = apply_rules(CellTable.from_frame(frame), RuleSettings())
    linked = [["t", "u"]]
    result = secondary_suppression(primary, TINY, RuleSettings(), linked_totals=linked)
    assert result.audit.passed
    audit = audit_suppression(
        result.cells, TINY, RuleSettings(), linked_totals=linked, exact_intervals=True
    )
    assert audit.passed
    # Withholding a total in one table is useless if the other publishes it.
    totals = result.cells.frame[result.cells.frame["category"] == TOTAL_CATEGORY]
    hidden = totals[result.cells.suppressed[totals.index]]
    for area in hidden["area_code"]:
        same = totals[(totals["area_code"] == area)]
        assert result.cells.suppressed[same.index].all()


def test_real_census_table_at_every_level_is_protected_with_a_report() -> None:
    lookup = ons_lookup()
    census = pd.read_csv(GEO / "census2021_oa_counts_lbbd.csv").set_index("oa21cd")
    # Residence type: most OAs have no-one, or a handful, in a communal establishment.
    counts = census[
        [
            "ts001_residence__Lives in a household",
            "ts001_residence__Lives in a communal establishment",
        ]
    ]
    frame = release(lookup, counts, ("oa", "ward", "borough"))
    primary, _ = apply_rules(CellTable.from_frame(frame), RuleSettings())
    result = secondary_suppression(primary, lookup, RuleSettings())
    assert result.audit.passed and result.check.passed
    n_primary, n_added = int(primary.suppressed.sum()), int(result.check.metrics["secondary"])
    assert n_primary > 500
    # Each area with a single suppressed category needs a partner in its row: a lower bound.
    alone = primary.frame[primary.suppressed].groupby(["level", "area_code"]).size().eq(1).sum()
    assert alone <= n_added <= 1.1 * alone + 19  # near the bound: at most ~one per ward more
    assert len(result.check.findings) == n_added
    assert all(
        f.rule == SECONDARY and "cannot be worked out" in f.detail for f in result.check.findings
    )
    assert sum(a.count for a in result.adjustments) == n_added
    # Primary suppressions are kept as they were.
    kept = primary.suppressed
    assert (result.cells.suppressed[kept]).all()
    assert (result.cells.frame["rule"][kept] == primary.frame["rule"][kept]).all()
