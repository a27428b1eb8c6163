"""A plan as one self-contained HTML page, for ``boroughkit plan CONFIG --html OUT.html``.

The page shows the plan's steps and budget and, for plans with differentially private tables,
a chart per table of the expected 95% margin of error (``moe95``) at each level, labelled with
the level's share of the budget and its noise sd, beside the same numbers as a table. Every
plan also shows its method's own description (for ``sdc-tables`` the threshold and rounding).
Inline CSS and inline SVG only: no script, no font, nothing fetched from anywhere.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path
from typing import Any

from boroughkit.anonymise.measures import MeasurePlan, TablePlan
from boroughkit.pipeline.plan import describe_plan
from boroughkit.publish.html_page import PAGE_END, page_start
from boroughkit.release.plan import Plan, show

# Beside the shared frame's style (publish/html_page.py).
_STYLE = """
main { max-width: 60rem; }
h4 { font-size: .95rem; margin: .8rem 0 .2rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .92rem; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; }
thead th { background: #f0f0f0; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
ol.steps li { margin: .2rem 0; }
pre { background: #f3f2f1; padding: .8rem; overflow-x: auto; font-size: .85rem; }
svg.moe { max-width: 100%; height: auto; }
svg.moe text { font-family: inherit; font-size: 13px; fill: #1b1b1b; }
svg.moe .bar { fill: #1d70b8; }
svg.moe .bar.sum { fill: #4c2c92; }
svg.moe .axis { stroke: #505a5f; }
.note { color: #505a5f; }
"""

# Chart geometry (SVG user units).
_LABEL = 190
_BAR = 330
_VALUE = 230
_ROW = 30


def plan_page(plan: Plan) -> str:
    """The plan (after :func:`~boroughkit.pipeline.plan.preview_accuracy`) as a page."""
    config = plan.loaded.config
    title = f"Release plan: {config.name}"
    budget = (
        f"This release spends ρ = {escape(show(plan.rho))} (zero-concentrated differential "
        "privacy) of the dataset's lifetime privacy budget."
        if plan.spends_budget
        else "This release uses no privacy budget."
    )
    parts = [
        *page_start(title, _STYLE),
        f"<p>Method: <code>{escape(plan.method)}</code>.</p>",
        "<h2>Budget</h2>",
        f'<p id="budget">{budget}</p>',
        "<h2>Steps</h2>",
        '<ol class="steps">',
        *(f"<li>{escape(step)}</li>" for step in plan.steps),
        "</ol>",
        *_settings(config.release),
    ]
    if plan.tables:
        parts += [
            "<h2>Expected margin of error</h2>",
            '<p class="note">The expected moe95 is the typical 95% margin of error of a '
            "published cell after the levels are made consistent: a published count is "
            "within this many of the true count 19 times in 20. Smaller areas get a larger "
            "share of the budget; the noise sd is that of the noise drawn at each level.</p>",
        ]
        for number, table in enumerate(plan.tables, 1):
            parts += _table_section(number, table)
    parts += [
        "<h2>The plan in words</h2>",
        f'<pre id="description">{escape(describe_plan(plan))}</pre>',
        '<p class="note">Nothing has been read, drawn or spent to make this page.</p>',
        *PAGE_END,
    ]
    return "\n".join(parts) + "\n"


def write_plan_page(plan: Plan, path: Path) -> Path:
    """Write :func:`plan_page` to ``path`` (its folder is made); return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(plan_page(plan), encoding="utf-8")
    return path


def _settings(release: Any) -> list[str]:
    # Disclosure settings a method's release section declares (sdc-tables: threshold and
    # rounding), read by name so that no method is named here.
    words = {
        "threshold": "Counts suppressed below",
        "rounding_base": "Counts rounded to a multiple of",
    }
    rows = [
        f"<dt>{escape(label)}</dt><dd>{escape(str(getattr(release, key)))}</dd>"
        for key, label in words.items()
        if getattr(release, key, None) is not None
    ]
    return ["<h2>Disclosure settings</h2>", '<dl id="settings">', *rows, "</dl>"] if rows else []


def _table_section(number: int, table: TablePlan) -> list[str]:
    by = ", ".join(table.count_by) or "area only"
    what = f"{table.statistic}"
    if table.value:
        what += f" of {table.value} clipped to {list(table.bounds or ())}"
    rows = [
        f"<tr><td>{escape(measure.kind)}</td><td>{escape(level.level)}</td>"
        f'<td class="number">{escape(show(level.rho))}</td>'
        f'<td class="number">{level.sigma:.3f}</td>'
        f'<td class="number">{_moe(level.expected_moe95)}</td></tr>'
        for measure in table.measures
        for level in measure.levels
    ]
    return [
        f'<section class="plan-table" data-table="{escape(table.name)}">',
        f"<h3>Table <code>{escape(table.name)}</code></h3>",
        f"<p>{escape(what)} by area × {escape(by)}; ρ = {escape(show(table.rho))}; at most "
        f"{table.max_categories_per_person} cell(s) and {table.max_rows_per_person} row(s) "
        "per person.</p>",
        *(
            (f"<h4>{escape(measure.kind)}s</h4>" if len(table.measures) > 1 else "")
            + _chart(f"chart-{number}-{measure.kind}", table, measure)
            for measure in table.measures
        ),
        "<table>",
        f"<caption>{escape(table.name)}: budget, noise and expected margin of error</caption>",
        "<thead><tr><th>Measure</th><th>Level</th><th>ρ</th><th>Noise sd</th>"
        "<th>Expected moe95</th></tr></thead>",
        "<tbody>",
        *rows,
        "</tbody>",
        "</table>",
        "</section>",
    ]


def _chart(title_id: str, table: TablePlan, measure: MeasurePlan) -> str:
    """One horizontal bar per level, its length the level's expected moe95 (one scale per
    measure: sums and counts differ by orders of magnitude)."""
    levels = measure.levels
    finite = [level.expected_moe95 for level in levels if math.isfinite(level.expected_moe95)]
    largest = max(finite, default=0.0) or 1.0
    width = _LABEL + _BAR + _VALUE
    height = _ROW * len(levels) + 30
    what = "counts" if measure.kind == "count" else f"{measure.kind}s"
    lines = [
        f'<svg class="moe" role="img" aria-labelledby="{title_id}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'data-table="{escape(table.name)}" data-measure="{escape(measure.kind)}">',
        f'<title id="{title_id}">Expected 95% margin of error of the {escape(what)} of table '
        f"{escape(table.name)}, per level</title>",
    ]
    for row, level in enumerate(levels):
        y = 10 + row * _ROW
        moe = level.expected_moe95
        length = _BAR * moe / largest if math.isfinite(moe) else 0.0
        value = f"{_moe(moe)} (noise sd {level.sigma:.2f})"
        lines += [
            f'<text x="{_LABEL - 8}" y="{y + 15}" text-anchor="end">{escape(level.level)}</text>',
            f'<rect class="bar {escape(measure.kind)}" data-level="{escape(level.level)}" '
            f'data-measure="{escape(measure.kind)}" x="{_LABEL}" y="{y + 2}" '
            f'width="{length:.1f}" height="{_ROW - 10}"><title>{escape(level.level)}: '
            f"expected moe95 {_moe(moe)}, noise sd {level.sigma:.3f}, "
            f"ρ = {escape(show(level.rho))}</title></rect>",
            f'<text x="{_LABEL + length + 6:.1f}" y="{y + 15}">{escape(value)}</text>',
        ]
    bottom = 10 + len(levels) * _ROW
    lines += [
        f'<line class="axis" x1="{_LABEL}" y1="6" x2="{_LABEL}" y2="{bottom}" />',
        f'<text x="{_LABEL}" y="{bottom + 16}">0</text>',
        f'<text x="{_LABEL + _BAR}" y="{bottom + 16}" text-anchor="end">±{largest:.1f}</text>',
        "</svg>",
    ]
    return "\n".join(lines)


def _moe(value: float) -> str:
    return f"±{value:.1f}" if math.isfinite(value) else "not previewed"
