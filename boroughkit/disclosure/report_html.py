"""The disclosure gate's report as one self-contained HTML page (``risk-report.html``).

The page says what ``risk-report.md`` says, for an approver who would rather look than read:
a table of every check, each check's intruder scenario and findings, and, where the gate
suppressed cells, the suppression pattern per table and level (primary and secondary). Inline
CSS only: no script, no font, no image or style from anywhere, so it opens from disk anywhere
and sends no request. Like the Markdown it is private evidence: it goes to ``audit/``.
"""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Any

from boroughkit.disclosure.intruder import scenario_for

# report.py imports this module only when it writes the page, so there is no cycle.
from boroughkit.disclosure.report import CheckResult, GateReport
from boroughkit.disclosure.report_text import MAX_LISTED as _MAX_LISTED
from boroughkit.disclosure.report_text import NEXT_FAILED as _NEXT_FAILED
from boroughkit.disclosure.report_text import NEXT_PASSED as _NEXT_PASSED
from boroughkit.disclosure.report_text import meaning as _meaning
from boroughkit.disclosure.report_text import verdict_inconclusive
from boroughkit.disclosure.report_text import where_text as _where
from boroughkit.publish.html_page import PAGE_END, page_start

# The rule name secondary (complementary) suppression gives its findings.
_SECONDARY = "secondary"
_SUPPRESSION_CHECK = "secondary-suppression"
# Checks whose findings are suppressed cells whether they pass or fail.
_SUPPRESSION_CHECKS = {_SUPPRESSION_CHECK, "suppression-audit"}

# Beside the shared frame's style (publish/html_page.py).
_STYLE = """
.verdict { padding: .8rem 1rem; border-left: .4rem solid; }
.verdict.passed { border-color: #00703c; background: #e8f5ec; }
.verdict.failed { border-color: #d4351c; background: #fbe9e6; }
.verdict.inconclusive { border-color: #f47738; background: #fef4ec; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .92rem; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #f0f0f0; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
.status { font-weight: 600; white-space: nowrap; }
.status.passed { color: #00703c; }
.status.failed { color: #d4351c; }
.status.inconclusive { color: #b45309; }
.status.superseded { color: #505a5f; }
section.check { border: 1px solid #ddd; padding: 0 1rem .5rem; margin: 1rem 0; }
section.check.failed { border-color: #d4351c; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
.bar { display: inline-block; height: .8rem; vertical-align: middle; }
.bar.primary { background: #d4351c; }
.bar.secondary { background: #f47738; }
.key span { margin-right: 1rem; }
code { background: #f3f2f1; padding: 0 .2rem; }
#checks code { white-space: nowrap; }
"""


def report_html(report: GateReport) -> str:
    """The report as a self-contained HTML page."""
    title = f"Disclosure risk report: {report.release_id}"
    failed = report.failures()
    if report.outcome == "inconclusive":
        verdict = escape(verdict_inconclusive(report).replace("**", ""))
    elif report.passed:
        verdict = (
            f"<strong>All {len(report.checks)} checks passed.</strong> The release can go to "
            "a named approver, who should read this report before signing it off."
        )
    else:
        verdict = (
            f"<strong>{len(failed)} of {len(report.checks)} checks failed. This release must "
            "not be published as it stands;</strong> nothing has been written to the catalogue."
        )
    parts = [
        *page_start(title, _STYLE),
        f'<p class="verdict {report.outcome}">{verdict}</p>',
        *_inconclusive_list(report),
        f"<p>Method: <code>{escape(report.method)}</code>.</p>",
        *_checks_table(report.checks),
        *_suppression_pattern(report),
        *_changes(report),
        *_intro(),
        *(_check_section(number, check) for number, check in enumerate(report.checks, 1)),
        "<h2>What happens next</h2>",
        f"<p>{escape(_NEXT_PASSED if report.passed else _NEXT_FAILED)}</p>",
    ]
    if report.notes:
        parts += ["<h2>Notes</h2>", "<ul>", *(f"<li>{escape(n)}</li>" for n in report.notes)]
        parts.append("</ul>")
    parts += PAGE_END
    return "\n".join(parts) + "\n"


def status_of(check: CheckResult) -> str:
    """``passed``, ``failed``, ``inconclusive`` or ``superseded`` (covered by differential
    privacy)."""
    if check.superseded_by_dp:
        return "superseded"
    return check.status


def _inconclusive_list(report: GateReport) -> list[str]:
    found = report.inconclusive()
    if not found:
        return []
    accepts = " ".join(f"--accept {finding.id}" for finding in found)
    return [
        "<h2>Inconclusive findings: the approver decides</h2>",
        "<ul>",
        *(f"<li>{escape(finding.describe().replace('`', ''))}</li>" for finding in found),
        "</ul>",
        f"<p>To accept them: <code>boroughkit approve {escape(report.release_id)} "
        f'--by "NAME" {escape(accepts)}</code></p>',
    ]


_STATUS_WORDS = {
    "passed": "passed",
    "failed": "FAILED",
    "superseded": "covered by differential privacy",
    "inconclusive": "inconclusive: to accept",
}


def _status_cell(check: CheckResult) -> str:
    status = status_of(check)
    return f'<span class="status {status}">{escape(_STATUS_WORDS[status])}</span>'


def _checks_table(checks: list[CheckResult]) -> list[str]:
    rows = [
        f'<tr class="check-row" data-check-id="{escape(check.id)}" '
        f'data-status="{status_of(check)}">'
        f'<td class="number">{number}</td>'
        f'<td><a href="#check-{number}"><code>{escape(check.id)}</code></a></td>'
        f"<td>{escape(check.name)}</td>"
        f"<td>{_status_cell(check)}</td>"
        f"<td>{escape(check.summary)}</td></tr>"
        for number, check in enumerate(checks, 1)
    ]
    return [
        "<h2>In short</h2>",
        '<table id="checks">',
        "<caption>Every check of the disclosure gate</caption>",
        '<thead><tr><th class="number">#</th><th>Check</th><th>What it tests</th>'
        "<th>Result</th><th>What it found</th></tr></thead>",
        "<tbody>",
        *rows,
        "</tbody>",
        "</table>",
    ]


def suppression_pattern(report: GateReport) -> dict[str, dict[str, Counter[str]]]:
    """Suppressed cells per table and level, counted as ``primary`` and ``secondary``.

    Read from the findings that name a table and a level of the checks that acted on cells
    (passing rules, secondary suppression, the attack audit, which lists every suppressed
    cell): a cell is counted once, as secondary only if no primary rule flagged it.
    """
    primary: set[tuple[str, str, str, str]] = set()
    secondary: set[tuple[str, str, str, str]] = set()
    for check in report.checks:
        # A failing rule lists published cells; the suppression checks list withheld ones.
        acted = check.passed or check.id in _SUPPRESSION_CHECKS
        if not acted or check.superseded_by_dp:
            continue
        for finding in check.findings:
            where = finding.where
            if "table" not in where or "level" not in where:
                continue
            key = (
                str(where["table"]),
                str(where["level"]),
                str(where.get("area_code", "")),
                str(where.get("category", "")),
            )
            (secondary if finding.rule == _SECONDARY else primary).add(key)
    pattern: dict[str, dict[str, Counter[str]]] = {}
    for kind, cells in (("primary", primary), ("secondary", secondary - primary)):
        for table, level, _area, _category in cells:
            pattern.setdefault(table, {}).setdefault(level, Counter())[kind] += 1
    return pattern


def _suppression_pattern(report: GateReport) -> list[str]:
    pattern = suppression_pattern(report)
    if not pattern and not any(check.id == _SUPPRESSION_CHECK for check in report.checks):
        return []
    lines = ["<h2>Suppression pattern</h2>"]
    if not pattern:
        return [*lines, "<p>No cell was suppressed.</p>"]
    lines.append(
        "<p>How many cells of each table and level were withheld: <em>primary</em> cells break "
        "a table rule themselves; <em>secondary</em> cells were withheld so that the primary "
        "ones cannot be worked out from totals and neighbouring areas.</p>"
    )
    lines.append(
        '<p class="key"><span><span class="bar primary" style="width:1rem"></span> primary'
        '</span><span><span class="bar secondary" style="width:1rem"></span> secondary'
        "</span></p>"
    )
    largest = max(sum(c.values()) for levels in pattern.values() for c in levels.values())
    for table in sorted(pattern):
        lines += [
            f'<table class="suppression" data-table="{escape(table)}">',
            f"<caption>Table <code>{escape(table)}</code>: suppressed cells</caption>",
            '<thead><tr><th>Level</th><th class="number">Primary</th>'
            '<th class="number">Secondary</th><th class="number">Total</th><th>Pattern</th>'
            "</tr></thead>",
            "<tbody>",
        ]
        for level, counts in pattern[table].items():
            total = counts["primary"] + counts["secondary"]
            bars = "".join(
                f'<span class="bar {kind}" style="width:{12 * counts[kind] / largest:.2f}rem" '
                f'title="{counts[kind]} {kind}"></span>'
                for kind in ("primary", "secondary")
                if counts[kind]
            )
            lines.append(
                f'<tr data-level="{escape(level)}"><th scope="row">{escape(level)}</th>'
                f'<td class="number">{counts["primary"]}</td>'
                f'<td class="number">{counts["secondary"]}</td>'
                f'<td class="number">{total}</td><td>{bars}</td></tr>'
            )
        lines += ["</tbody>", "</table>"]
    return lines


def _changes(report: GateReport) -> list[str]:
    items = []
    for item in report.adjustments:
        where = f" ({escape(_where(item.where))})" if item.where else ""
        items.append(
            f"<li>{escape(item.action)}: {item.count}{where}, because {escape(item.reason)}.</li>"
        )
    for check in report.checks:
        if check.passed and check.findings:
            first = check.findings[0]
            items.append(
                f"<li>{escape(check.name)}: {len(check.findings)} item(s), e.g. "
                f"{escape(first.detail)} ({escape(_where(first.where))}).</li>"
            )
    body = (
        ["<ul>", *items, "</ul>"]
        if items
        else ["<p>Nothing was changed: the figures are as the method above produced them.</p>"]
    )
    return ["<h2>What was changed before publication</h2>", *body]


def _intro() -> list[str]:
    return [
        "<h2>The motivated intruder test</h2>",
        "<p>The Information Commissioner's Office asks whether a <em>motivated intruder</em> "
        "could identify someone from published data: a person with no specialist skills or "
        "inside access, but determined, able to search the internet, libraries and public "
        "records, and to ask around. Each check below takes one way such a person could try, "
        "and tests whether it would work on this release.</p>",
    ]


def _check_section(number: int, check: CheckResult) -> str:
    status = status_of(check)
    lines = [
        f'<section class="check {status}" id="check-{number}" data-check-id="{escape(check.id)}">',
        f"<h3>{number}. {escape(check.name)}: {_status_cell(check)}</h3>",
        f"<p>Check <code>{escape(check.id)}</code></p>",
        "<dl>",
    ]
    scenario = scenario_for(check)
    if scenario is not None:
        lines += [
            _term("Who might try", scenario.who),
            _term("What they could try", scenario.attempt),
            _term("With which public information", scenario.public_information),
            _term("Why this check answers it", scenario.answer),
        ]
    if check.rationale:
        lines.append(_term("Why it matters here", check.rationale.rstrip(".")))
    lines.append(_term("What we found", check.summary))
    lines.append(_term("What it means", _meaning(check)))
    if check.metrics:
        measured = ", ".join(f"{key} = {value}" for key, value in check.metrics.items())
        lines.append(_term("Measured", measured))
    lines.append("</dl>")
    if check.findings:
        lines += _findings_table(check)
    lines.append("</section>")
    return "\n".join(lines)


def _findings_table(check: CheckResult) -> list[str]:
    shown = check.findings[:_MAX_LISTED]
    keys: list[str] = []
    for finding in shown:
        keys += [key for key in finding.where if key not in keys]
    head = "".join(f"<th>{escape(key)}</th>" for key in keys)
    rows = [
        "<tr>"
        + "".join(f"<td>{escape(_text(finding.where.get(key, '')))}</td>" for key in keys)
        + f"<td>{escape(finding.rule)}</td><td>{escape(finding.detail)}</td></tr>"
        for finding in shown
    ]
    caption = "Items that failed" if not check.passed else "Items acted on"
    lines = [
        '<table class="findings">',
        f"<caption>{caption} ({len(check.findings)})</caption>",
        f"<thead><tr>{head}<th>Rule</th><th>Detail</th></tr></thead>",
        "<tbody>",
        *rows,
        "</tbody>",
        "</table>",
    ]
    if len(check.findings) > _MAX_LISTED:
        lines.append(
            f"<p>… and {len(check.findings) - _MAX_LISTED} more (all are listed in "
            "risk-report.json).</p>"
        )
    return lines


def _term(term: str, text: str) -> str:
    return f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>"


def _text(value: Any) -> str:
    return "" if value is None else str(value)
