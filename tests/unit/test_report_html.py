"""The risk report as a page: every check, its scenario and findings, the suppression pattern,
nothing fetched; written beside the Markdown, kept for refused runs, private on publish."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from boroughkit.disclosure.report import Adjustment, CheckResult, Finding, GateReport
from boroughkit.disclosure.report_html import report_html, suppression_pattern
from boroughkit.errors import DisclosureError
from boroughkit.publish.catalogue import PRIVATE_FILES
from boroughkit.release.outcome import settle_gate
from tests.helpers.html import assert_self_contained


def _cell(level: str, area: str, category: str = "yes") -> dict[str, str]:
    return {"table": "fsm", "level": level, "area_code": area, "category": category}


def sdc_report(*, audit_passed: bool = True) -> GateReport:
    """A cell-key report: two primary rules (one cell flagged by both), secondary
    suppression, the attack audit, a DP-superseded rule and a failing leak scan."""
    threshold = tuple(
        Finding(_cell("oa", f"E0{i}"), "threshold", "suppressed (primary)") for i in range(3)
    )
    zeros = (
        Finding(_cell("oa", "E00"), "zero", "suppressed (primary)"),  # also below threshold
        Finding(_cell("ward", "W1", "no"), "zero", "suppressed (primary)"),
    )
    secondary = tuple(
        Finding(_cell(level, area), "secondary", "suppressed so that <others> stay safe")
        for level, area in (("oa", "E07"), ("oa", "E08"), ("ward", "W2"))
    )
    audit = tuple(
        Finding(finding.where, finding.rule, "an intruder can only narrow it to [0, 11]")
        for finding in (*threshold, *zeros, *secondary)
    )
    return GateReport(
        release_id="fsm-2026",
        method="sdc-tables",
        checks=[
            CheckResult(
                "Threshold rule",
                True,
                "3 cells suppressed.",
                threshold,
                "a count of 1–9 people can point to neighbours",
                id="threshold",
                category="small-cells",
            ),
            CheckResult("Disclosive zeros", True, "2 cells suppressed.", zeros, id="zeros"),
            CheckResult(
                "Secondary suppression",
                audit_passed,
                "3 further cells suppressed to protect 4 primary suppressions.",
                secondary,
                id="secondary-suppression",
                category="suppression-audit",
                metrics={"primary": 4, "secondary": 3},
            ),
            CheckResult(
                "Attack on suppressed cells",
                audit_passed,
                "7 suppressed cells attacked.",
                audit,
                id="suppression-audit",
                metrics={"suppressed_cells": 7},
            ),
            CheckResult(
                "Dominance rule", True, "Not applied.", id="dominance", superseded_by_dp=True
            ),
            CheckResult(
                "No input value leaks into a published file",
                False,
                "1 leak <found> & listed.",
                (Finding({"file": "fsm_oa.csv", "line": 3}, "leak", "person_id <P1> found"),),
                id="leak-scan",
                category="leak-scan",
            ),
        ],
        adjustments=[Adjustment("suppressed", 3, "complementary suppression", {"table": "fsm"})],
        notes=["Checked against <the 2025 release>."],
    )


def _parse(page: str) -> ET.Element:
    assert page.startswith("<!DOCTYPE html>\n")
    # The page is written as well-formed XML (void elements closed), so a strict parser reads it.
    return ET.fromstring(page.removeprefix("<!DOCTYPE html>\n"))


def test_every_check_is_a_row_with_its_status():
    report = sdc_report()
    page = report.to_html()
    root = _parse(page)
    assert_self_contained(page)
    rows = root.findall(".//table[@id='checks']/tbody/tr")
    assert [row.get("data-check-id") for row in rows] == [check.id for check in report.checks]
    assert [row.get("data-status") for row in rows] == [
        "passed",
        "passed",
        "passed",
        "passed",
        "superseded",
        "failed",
    ]
    # Each check has its own section, linked from its row.
    sections = root.findall(".//section[@class]")
    assert [s.get("data-check-id") for s in sections] == [c.id for c in report.checks]
    links = [row.find(".//a").get("href") for row in rows]
    assert links == [f"#{section.get('id')}" for section in sections]
    assert "2 of 6" not in page and "1 of 6 checks failed" in page


def test_sections_carry_the_scenario_rationale_metrics_and_findings():
    page = sdc_report().to_html()
    root = _parse(page)
    threshold = root.find(".//section[@data-check-id='threshold']")
    text = "".join(threshold.itertext())
    assert "Who might try" in text and "a count of 1–9 people can point to neighbours" in text
    findings = threshold.findall(".//table[@class='findings']/tbody/tr")
    assert len(findings) == 3
    header = [th.text for th in threshold.findall(".//table[@class='findings']/thead/tr/th")]
    assert header == ["table", "level", "area_code", "category", "Rule", "Detail"]
    secondary = "".join(root.find(".//section[@data-check-id='secondary-suppression']").itertext())
    assert "primary = 4, secondary = 3" in secondary
    # Text from the report is escaped, never markup.
    assert "1 leak &lt;found&gt; &amp; listed." in page and "<found>" not in page
    assert "person_id &lt;P1&gt; found" in page
    assert "Checked against &lt;the 2025 release&gt;." in page
    superseded = "".join(root.find(".//section[@data-check-id='dominance']").itertext())
    assert "differential privacy" in superseded


def test_long_findings_are_cut_with_a_pointer_to_the_json():
    many = tuple(Finding(_cell("oa", f"E{i}"), "threshold", "x") for i in range(60))
    report = GateReport(
        "r", "sdc-tables", [CheckResult("Threshold rule", False, "60", many, id="threshold")]
    )
    root = _parse(report.to_html())
    assert len(root.findall(".//table[@class='findings']/tbody/tr")) == 50
    assert "and 10 more (all are listed in risk-report.json)" in "".join(root.itertext())


def test_suppression_pattern_counts_each_cell_once_per_table_and_level():
    report = sdc_report()
    assert suppression_pattern(report) == {
        "fsm": {
            "oa": {"primary": 3, "secondary": 2},
            "ward": {"primary": 1, "secondary": 1},
        }
    }
    root = _parse(report.to_html())
    (grid,) = root.findall(".//table[@class='suppression']")
    assert grid.get("data-table") == "fsm"
    rows = {
        row.get("data-level"): [td.text for td in row.findall("td")][:3]
        for row in grid.findall("tbody/tr")
    }
    assert rows == {"oa": ["3", "2", "5"], "ward": ["1", "1", "2"]}


def test_a_refused_release_still_shows_what_was_suppressed():
    # The audit failed: the suppression checks fail, but their cells were still withheld.
    pattern = suppression_pattern(sdc_report(audit_passed=False))
    assert pattern["fsm"]["oa"] == {"primary": 3, "secondary": 2}


def test_reports_without_suppression_have_no_pattern_unless_the_method_suppresses():
    plain = GateReport("r", "dp-tables", [CheckResult("Leak scan", True, "none", id="leak-scan")])
    assert "Suppression pattern" not in plain.to_html()
    nothing = GateReport(
        "r",
        "sdc-tables",
        [CheckResult("Suppression that holds", True, "none", id="secondary-suppression")],
    )
    page = nothing.to_html()
    assert "Suppression pattern" in page and "No cell was suppressed." in page


def test_write_puts_the_page_beside_the_markdown(tmp_path):
    json_path, md_path = sdc_report().write(tmp_path / "out")
    page = md_path.with_name("risk-report.html")
    assert json_path.exists() and md_path.exists() and page.exists()
    assert page.read_text(encoding="utf-8") == sdc_report().to_html()
    assert report_html(sdc_report()) == sdc_report().to_html()


def test_the_page_is_private_and_kept_for_refused_runs(tmp_path):
    assert "risk-report.html" in PRIVATE_FILES and "risk-report.md" in PRIVATE_FILES
    staging = tmp_path / "staging"
    report = sdc_report()
    report.write(staging)
    with pytest.raises(DisclosureError):
        settle_gate(report, staging, tmp_path / "reports", "fsm-2026", False, [])
    kept = tmp_path / "reports" / "fsm-2026"
    assert {p.name for p in kept.iterdir()} == {
        "risk-report.json",
        "risk-report.md",
        "risk-report.html",
    }
