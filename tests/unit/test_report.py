"""The gate report: JSON for machines, Markdown for the approver, a console summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from boroughkit.disclosure.intruder import SCENARIOS, scenario_for
from boroughkit.disclosure.report import Adjustment, CheckResult, Finding, GateReport


def _report() -> GateReport:
    cells = tuple(
        Finding(
            {"table": "fsm", "level": "oa", "area_code": f"E00{i:06d}", "category": "yes"},
            "threshold",
            "published but disclosive",
        )
        for i in range(60)
    )
    return GateReport(
        release_id="fsm-2026",
        method="sdc-tables",
        checks=[
            # Positional construction, as older callers do.
            CheckResult(
                "Threshold rule",
                False,
                "60 published cells break this rule.",
                cells,
                "a count of 1–9 people can point to neighbours",
                id="threshold",
            ),
            CheckResult(
                "geographic differencing between overlapping areas",
                True,
                "12 sliver(s) | none small.",
                id="geographic-differencing",
                category="geographic-differencing",
                metrics={"slivers": 12},
            ),
            CheckResult(
                "Dominance rule", True, "Not applied.", id="dominance", superseded_by_dp=True
            ),
            CheckResult(
                "p% rule",
                True,
                "2 cells suppressed.",
                (
                    Finding(
                        {"table": "debt", "area_code": "E05014053"},
                        "p-percent",
                        "suppressed (primary)",
                    ),
                ),
                id="p-percent",
            ),
        ],
        adjustments=[Adjustment("cells suppressed", 14, "counts below 10", {"table": "fsm"})],
        notes=["Census counts were already perturbed by ONS."],
    )


def test_json_lists_every_check_and_every_failing_cell() -> None:
    data = _report().to_json()
    assert data["passed"] is False
    assert data["counts"] == {"checks": 4, "failed": 1, "failing_items": 60}
    assert [check["name"] for check in data["checks"]] == [
        "Threshold rule",
        "geographic differencing between overlapping areas",
        "Dominance rule",
        "p% rule",
    ]
    # The id comes first: machines find a check by it, not by its sentence.
    assert [next(iter(check)) for check in data["checks"]] == ["id"] * 4
    assert [check["id"] for check in data["checks"]] == [
        "threshold",
        "geographic-differencing",
        "dominance",
        "p-percent",
    ]
    first = data["failing_items"][0]
    assert first == {
        "check": "Threshold rule",
        "check_id": "threshold",
        "rule": "threshold",
        "where": {"table": "fsm", "level": "oa", "area_code": "E00000000", "category": "yes"},
        "detail": "published but disclosive",
    }
    assert data["checks"][1]["metrics"] == {"slivers": 12}
    assert json.loads(json.dumps(data)) == data


def test_json_round_trips() -> None:
    report = _report()
    again = GateReport.from_json(json.loads(json.dumps(report.to_json())))
    assert again == report


def test_markdown_reads_as_a_decision_for_the_approver() -> None:
    text = _report().to_markdown()
    assert "**1 of 4 checks failed. This release must not be published" in text
    assert "## The motivated intruder test" in text
    assert "Information Commissioner's Office" in text
    # Each check explains who could try what, with which information, and why the check answers.
    scenario = SCENARIOS["geographic-differencing"]
    assert f"**Who might try:** {scenario.who}." in text
    assert f"**Why this check answers it:** {scenario.answer}." in text
    assert "covered by differential privacy" in text
    # Failing items are listed up to 50, and the rest are pointed to in the JSON.
    assert text.count("published but disclosive (table=fsm") == 50
    assert "and 10 more (all are listed in risk-report.json)" in text
    # What was changed: explicit adjustments and cells suppressed by passing checks.
    assert "- cells suppressed: 14 (table=fsm), because counts below 10." in text
    assert "- p% rule: 1 item(s), e.g. suppressed (primary)" in text
    assert "12 sliver(s) \\| none small." in text  # table cells stay one cell
    assert "Census counts were already perturbed by ONS." in text


def test_markdown_of_a_passing_release() -> None:
    report = GateReport(
        "r",
        "dp-tables",
        [CheckResult("leaks", True, "0 leak(s).", id="leak-scan", category="leaks")],
    )
    text = report.to_markdown()
    assert "**All 1 checks passed.**" in text
    assert "Nothing was changed" in text
    assert "signs the release off" in text


def test_console_summary_is_short_and_flags_failures() -> None:
    lines = _report().to_console(max_findings=2).splitlines()
    assert lines[0] == "Disclosure gate FAILED for fsm-2026 (1 of 4 checks failed)"
    assert lines[1] == "  FAIL  Threshold rule"
    assert lines[2:4] == ["          - published but disclosive"] * 2
    assert lines[4] == "          - … 58 more"
    assert "  ok    Dominance rule" in lines
    assert lines[-1] == "  changed: cells suppressed 14 (counts below 10)"


def test_write_creates_both_files(tmp_path: Path) -> None:
    json_path, md_path = _report().write(tmp_path / "out")
    assert json.loads(json_path.read_text())["release_id"] == "fsm-2026"
    assert md_path.read_text().startswith("# Disclosure risk report: fsm-2026")


@pytest.mark.parametrize(
    ("check_id", "category", "expected"),
    [
        ("threshold", "small-cells", "small-cells"),
        ("p-percent", "dominance", "dominance"),
        ("output-columns", "", "declared-outputs"),
        ("min-area-population", "", "area-population"),
        ("leak-scan", "", "leaks"),
        ("geographic-differencing", "", "geographic-differencing"),
        ("secondary-suppression", "", "suppression-audit"),
        ("anything", "record-households", "record-households"),
    ],
)
def test_scenarios_by_category_or_id(check_id: str, category: str, expected: str) -> None:
    # The name is a sentence for people: it plays no part in finding the scenario.
    check = CheckResult("Whatever it is called", True, "", id=check_id, category=category)
    assert scenario_for(check) is SCENARIOS[expected]


def test_unknown_checks_have_no_scenario_but_still_render() -> None:
    check = CheckResult("Budget reconciled", True, "ok", id="budget-reconciled")
    assert scenario_for(check) is None
    assert "### 1. Budget reconciled: passed" in GateReport("r", "m", [check]).to_markdown()
