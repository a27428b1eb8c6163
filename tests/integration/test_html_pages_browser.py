"""The plan page and the risk report page in headless Chromium, opened from disk: they render
without an error, draw a bar per level and a row per check, and request nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from boroughkit import build_plan, load_config, preview_accuracy, run_pipeline
from boroughkit.disclosure.report import GateReport
from boroughkit.pipeline.plan_html import write_plan_page
from tests.helpers.browser import chromium
from tests.helpers.configs import minimal_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"

pytestmark = pytest.mark.browser


@pytest.fixture
def browser():
    with chromium() as launched:
        yield launched


def _open(browser, path: Path, screenshot: Path):
    """Open ``path`` from disk; return the page and what went wrong or left the page."""
    page = browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(("file://", "data:"))
            else problems.append(f"request: {request.url}")
        ),
    )
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    return page, problems


def test_plan_page_draws_a_bar_per_level(browser, tmp_path):
    plan = preview_accuracy(build_plan(load_config(CONFIGS / "demo-rent-arrears.yaml")))
    out = write_plan_page(plan, tmp_path / "plan.html")
    page, problems = _open(browser, out, tmp_path / "plan.png")
    expected = sum(len(measure.levels) for table in plan.tables for measure in table.measures)
    assert expected == 6
    bars = page.locator("svg.moe rect.bar")
    assert bars.count() == expected
    # Every bar is drawn: visible, and as long as its moe95 says (the largest per chart fills
    # the scale, so no bar is empty).
    for index in range(expected):
        box = bars.nth(index).bounding_box()
        assert box is not None and box["width"] > 1 and box["height"] > 5
    assert page.locator("svg.moe").count() == 3
    assert "±" in (page.locator("svg.moe").first.text_content() or "")
    assert page.title() == "Release plan: demo-rent-arrears"
    assert problems == []


def test_risk_report_of_a_cell_key_release_lists_checks_and_suppression(
    browser, tmp_path, demo_workspace
):
    config = minimal_config()
    config["release"] = {
        "method": "sdc-tables",
        "threshold": 10,
        "rounding_base": 5,
        "tables": [{"name": "tenure", "count_by": ["tenure"], "levels": ["lsoa", "borough"]}],
    }
    path = demo_workspace / "sdc.yaml"
    path.write_text(yaml.safe_dump(config))
    result = run_pipeline(build_plan(load_config(path)))
    report_page = result.release_dir / "risk-report.html"
    report = GateReport.from_json(result.report.to_json())
    page, problems = _open(browser, report_page, tmp_path / "report.png")
    rows = page.locator("#checks tbody tr")
    assert rows.count() == len(report.checks)
    ids = [rows.nth(i).get_attribute("data-check-id") for i in range(rows.count())]
    assert ids == [check.id for check in report.checks]
    assert page.locator("section.check").count() == len(report.checks)
    # The suppression pattern: the table's grid, with the cells withheld at LSOA.
    grid = page.locator("table.suppression[data-table='tenure']")
    assert grid.count() == 1
    lsoa = grid.locator("tbody tr[data-level='lsoa'] td")
    primary, secondary, total = (int(lsoa.nth(i).inner_text()) for i in range(3))
    assert primary > 0 and total == primary + secondary
    metrics = next(c for c in report.checks if c.id == "secondary-suppression").metrics
    assert secondary <= metrics["secondary"] and primary <= metrics["primary"]
    # Following a check's link shows its section.
    page.click("#checks tbody tr >> nth=0 >> a")
    assert page.locator("section.check >> nth=0").is_visible()
    assert problems == []
