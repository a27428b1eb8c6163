"""The plan as a page: steps, budget, a bar per level of the expected moe95 for DP tables, the
method's own words for the others, nothing fetched; and ``boroughkit plan --html``."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from boroughkit import build_plan, describe_plan, load_config, preview_accuracy
from boroughkit.cli import main
from boroughkit.pipeline.plan_html import plan_page, write_plan_page
from boroughkit.release.plan import Plan, show
from tests.helpers.html import assert_self_contained

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def previewed(name: str) -> Plan:
    return preview_accuracy(build_plan(load_config(CONFIGS / name)))


def _parse(page: str) -> ET.Element:
    assert page.startswith("<!DOCTYPE html>\n")
    return ET.fromstring(page.removeprefix("<!DOCTYPE html>\n"))


@pytest.fixture(scope="module")
def arrears() -> Plan:
    # Two tables: sums (one measure), means (counts and sums), each at ward and borough.
    return previewed("demo-rent-arrears.yaml")


def test_a_bar_per_measure_and_level_labelled_with_moe_and_noise(arrears):
    page = plan_page(arrears)
    root = _parse(page)
    assert_self_contained(page)
    charts = root.findall(".//svg[@class='moe']")
    assert [(c.get("data-table"), c.get("data-measure")) for c in charts] == [
        (table.name, measure.kind) for table in arrears.tables for measure in table.measures
    ]
    measures = [measure for table in arrears.tables for measure in table.measures]
    for chart, measure in zip(charts, measures, strict=True):
        bars = chart.findall("rect")
        assert [bar.get("data-level") for bar in bars] == [lv.level for lv in measure.levels]
        assert all(bar.get("class") == f"bar {measure.kind}" for bar in bars)
        widths = [float(bar.get("width")) for bar in bars]
        moes = [lv.expected_moe95 for lv in measure.levels]
        assert all(math.isfinite(m) and m > 0 for m in moes)
        # Lengths are proportional to the moe95 within a chart; the largest fills the scale.
        assert max(widths) == pytest.approx(330.0)
        for width, moe in zip(widths, moes, strict=True):
            assert width == pytest.approx(330.0 * moe / max(moes), abs=0.06)
        labels = " ".join("".join(t.itertext()) for t in chart.findall("text"))
        for level in measure.levels:
            assert level.level in labels
            assert f"±{level.expected_moe95:.1f} (noise sd {level.sigma:.2f})" in labels
        assert chart.find("title").text.startswith("Expected 95% margin of error")
    text = "".join(root.itertext())
    assert f"ρ = {show(arrears.rho)}" in text
    assert [li.text for li in root.findall(".//ol[@class='steps']/li")] == list(arrears.steps)
    assert root.find(".//pre[@id='description']").text == describe_plan(arrears)


def test_a_level_not_previewed_gets_no_bar_but_says_so(arrears):
    table = arrears.tables[0]
    measure = table.measures[0]
    blank = replace(measure.levels[0], expected_moe95=math.nan)
    plan = replace(
        arrears,
        tables=(replace(table, measures=(replace(measure, levels=(blank,)),)),),
    )
    root = _parse(plan_page(plan))
    (bar,) = root.findall(".//svg/rect")
    assert bar.get("width") == "0.0"
    assert "not previewed" in "".join(root.itertext())


def test_cell_key_plan_shows_its_threshold_rounding_and_words():
    plan = previewed("demo-tenure-cell-key.yaml")
    page = plan_page(plan)
    root = _parse(page)
    assert_self_contained(page)
    assert root.findall(".//svg") == []
    settings = "".join(root.find(".//dl[@id='settings']").itertext())
    assert "Counts suppressed below10" in settings
    assert "Counts rounded to a multiple of5" in settings
    assert "uses no privacy budget" in root.find(".//p[@id='budget']").text
    assert root.find(".//pre[@id='description']").text == describe_plan(plan)


def test_extract_plan_shows_its_words_and_budget():
    plan = previewed("demo-extract-dp.yaml")
    page = plan_page(plan)
    root = _parse(page)
    assert_self_contained(page)
    assert root.find(".//pre[@id='description']").text == describe_plan(plan)
    assert root.find(".//dl[@id='settings']") is None


def test_cli_plan_writes_the_page(tmp_path):
    out = tmp_path / "pages" / "plan.html"
    result = CliRunner().invoke(main, ["plan", str(CONFIGS / "demo-services.yaml"), "--html", out])
    assert result.exit_code == 0, result.output
    assert "expected moe95" in result.output and str(out) in result.output
    root = _parse(out.read_text(encoding="utf-8"))
    plan = previewed("demo-services.yaml")
    assert len(root.findall(".//svg/rect")) == sum(len(t.levels) for t in plan.tables)
    assert write_plan_page(plan, tmp_path / "again.html").read_text(encoding="utf-8") == (
        out.read_text(encoding="utf-8")
    )
