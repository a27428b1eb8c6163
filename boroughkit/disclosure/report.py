"""The disclosure gate's report: every check, pass or fail, with the cells that failed.

`GateReport` is written as machine-readable ``risk-report.json``, a plain-English
``risk-report.md`` for the approver and the same as a page (``risk-report.html``), structured
around the ICO's motivated intruder test: for each check, who could try what with which public
information, and why the check answers it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from boroughkit.disclosure.intruder import scenario_for

SCHEMA = "boroughkit.risk-report/1"
#: The report as a page, written beside ``risk-report.md`` (private like it).
HTML_NAME = "risk-report.html"
_MAX_LISTED = 50


@dataclass(frozen=True)
class Finding:
    """One failing (or noteworthy) item of a check: a cell, an area, a file, a value."""

    where: dict[str, Any]
    rule: str
    detail: str


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check of the gate.

    ``id`` is the check's stable machine name (kebab-case, e.g. ``"leak-scan"``): code and tests
    find a check by it, never by ``name``, the sentence the approver reads. ``category`` names
    the kind of check (e.g. ``"geographic-differencing"``) so the report can explain the
    intruder scenario it answers; ``metrics`` holds the numbers it measured.
    """

    # Required and keyword-only: first in the JSON, while positional callers still work.
    id: str = field(kw_only=True)
    name: str
    passed: bool
    summary: str
    findings: tuple[Finding, ...] = ()
    # Why this check matters, in words an approver can read (motivated intruder framing).
    rationale: str = ""
    superseded_by_dp: bool = False
    category: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Adjustment:
    """Something changed in the release so that it could pass: cells suppressed, rounded…"""

    action: str
    count: int
    reason: str
    where: dict[str, Any] = field(default_factory=dict)


@dataclass
class GateReport:
    """All checks of one gate run, the changes made to pass them, and notes for the approver."""

    release_id: str
    method: str
    checks: list[CheckResult] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(check.passed for check in self.checks)

    def failures(self) -> list[CheckResult]:
        """The checks that failed."""
        return [check for check in self.checks if not check.passed]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: every check, every failing item with its coordinates and rule."""
        failing = [
            {
                "check": check.name,
                "check_id": check.id,
                "rule": finding.rule,
                "where": finding.where,
                "detail": finding.detail,
            }
            for check in self.failures()
            for finding in check.findings
        ]
        return {
            "schema": SCHEMA,
            "release_id": self.release_id,
            "method": self.method,
            "passed": self.passed,
            "counts": {
                "checks": len(self.checks),
                "failed": len(self.failures()),
                "failing_items": len(failing),
            },
            "checks": [_check_json(check) for check in self.checks],
            "failing_items": failing,
            "adjustments": [asdict(adjustment) for adjustment in self.adjustments],
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GateReport:
        """Rebuild a report from :meth:`to_json` output (e.g. an earlier release's report)."""
        checks = [
            CheckResult(
                **{key: value for key, value in check.items() if key in _CHECK_FIELDS},
                findings=tuple(Finding(**f) for f in check.get("findings", [])),
            )
            for check in data.get("checks", [])
        ]
        return cls(
            release_id=data["release_id"],
            method=data["method"],
            checks=checks,
            adjustments=[Adjustment(**item) for item in data.get("adjustments", [])],
            notes=list(data.get("notes", [])),
        )

    def to_markdown(self) -> str:
        """A plain-English report for a non-specialist approver."""
        failed = self.failures()
        if self.passed:
            verdict = (
                f"**All {len(self.checks)} checks passed.** The release can go to a named "
                "approver, who should read this report before signing it off."
            )
        else:
            verdict = (
                f"**{len(failed)} of {len(self.checks)} checks failed. This release must "
                "not be published as it stands;** nothing has been written to the "
                "catalogue."
            )
        lines = [
            f"# Disclosure risk report: {self.release_id}",
            "",
            verdict,
            "",
            f"Method: `{self.method}`.",
            "",
        ]
        lines += ["## In short", "", "| Check | Result | What it found |", "|---|---|---|"]
        lines += [f"| {_cell(c.name)} | {_status(c)} | {_cell(c.summary)} |" for c in self.checks]
        lines += ["", "## What was changed before publication", "", *self._changes(), ""]
        lines += _INTRO
        for number, check in enumerate(self.checks, start=1):
            lines += _check_section(number, check)
        lines += ["## What happens next", ""]
        lines.append(_NEXT_PASSED if self.passed else _NEXT_FAILED)
        if self.notes:
            lines += ["", "## Notes", "", *(f"- {note}" for note in self.notes)]
        return "\n".join(lines) + "\n"

    def _changes(self) -> list[str]:
        lines = []
        for item in self.adjustments:
            where = f" ({_where(item.where)})" if item.where else ""
            lines.append(f"- {item.action}: {item.count}{where}, because {item.reason}.")
        for check in self.checks:
            # Passing checks that list items acted on them (e.g. cells they suppressed).
            if check.passed and check.findings:
                lines.append(
                    f"- {check.name}: {len(check.findings)} item(s), e.g. "
                    f"{check.findings[0].detail} ({_where(check.findings[0].where)})."
                )
        return lines or ["Nothing was changed: the figures are as the method above produced them."]

    def to_console(self, *, max_findings: int = 3) -> str:
        """A short summary for the terminal: verdict, one line per check, first failing items."""
        verdict = "PASSED" if self.passed else "FAILED"
        lines = [
            f"Disclosure gate {verdict} for {self.release_id} "
            f"({len(self.failures())} of {len(self.checks)} checks failed)"
        ]
        for check in self.checks:
            lines.append(f"  {'ok  ' if check.passed else 'FAIL'}  {check.name}")
            if not check.passed:
                for finding in check.findings[:max_findings]:
                    lines.append(f"          - {finding.detail}")
                if len(check.findings) > max_findings:
                    lines.append(f"          - … {len(check.findings) - max_findings} more")
        for item in self.adjustments:
            lines.append(f"  changed: {item.action} {item.count} ({item.reason})")
        return "\n".join(lines)

    def to_html(self) -> str:
        """The report as a self-contained HTML page (inline CSS, no script, no request)."""
        from boroughkit.disclosure.report_html import report_html

        return report_html(self)

    def write(self, folder: Path) -> tuple[Path, Path]:
        """Write ``risk-report.json``, ``risk-report.md`` and ``risk-report.html`` into
        ``folder``; return the JSON's and the Markdown's paths (the HTML sits beside them)."""
        folder.mkdir(parents=True, exist_ok=True)
        json_path = folder / "risk-report.json"
        md_path = folder / "risk-report.md"
        json_path.write_text(json.dumps(self.to_json(), indent=2, default=str), encoding="utf-8")
        md_path.write_text(self.to_markdown(), encoding="utf-8")
        (folder / HTML_NAME).write_text(self.to_html(), encoding="utf-8")
        return json_path, md_path


_INTRO = [
    "## The motivated intruder test",
    "",
    "The Information Commissioner's Office asks whether a *motivated intruder* could identify "
    "someone from published data: a person with no specialist skills or inside access, but "
    "determined, able to search the internet, libraries and public records, and to ask around. "
    "Each check below takes one way such a person could try, and tests whether it would work "
    "on this release.",
    "",
]
_NEXT_PASSED = (
    "A named approver reads this report and signs the release off; only then is it published. "
    "Passing the checks shows that the known ways of identifying residents were tested; the "
    "approver decides whether anything about the data or its context needs more care."
)
_NEXT_FAILED = (
    "Fix the causes listed above (coarser areas, a higher threshold, fewer or broader "
    "categories, removing the leaked values) and run the release again. The full list of "
    "failing items, with where each one is, is in risk-report.json."
)


_CHECK_FIELDS = {f.name for f in fields(CheckResult)} - {"findings"}


def _check_json(check: CheckResult) -> dict[str, Any]:
    data = asdict(check)
    data["status"] = "passed" if check.passed else "failed"
    data["findings"] = [asdict(finding) for finding in check.findings]
    return data


def _check_section(number: int, check: CheckResult) -> list[str]:
    lines = [f"### {number}. {check.name}: {_status(check)}", ""]
    scenario = scenario_for(check)
    if scenario is not None:
        lines += [
            f"- **Who might try:** {scenario.who}.",
            f"- **What they could try:** {scenario.attempt}.",
            f"- **With which public information:** {scenario.public_information}.",
            f"- **Why this check answers it:** {scenario.answer}.",
        ]
    if check.rationale:
        lines.append(f"- **Why it matters here:** {check.rationale.rstrip('.')}.")
    lines.append(f"- **What we found:** {check.summary}")
    lines.append(f"- **What it means:** {_meaning(check)}")
    lines.append("")
    if check.findings:
        lines += ["Items that failed:" if not check.passed else "Items acted on:", ""]
        for finding in check.findings[:_MAX_LISTED]:
            lines.append(f"- {finding.detail} ({_where(finding.where)}; rule: {finding.rule})")
        if len(check.findings) > _MAX_LISTED:
            lines.append(
                f"- … and {len(check.findings) - _MAX_LISTED} more "
                "(all are listed in risk-report.json)"
            )
        lines.append("")
    return lines


def _meaning(check: CheckResult) -> str:
    if check.superseded_by_dp:
        return (
            "this risk is covered by the differential privacy guarantee, which holds "
            "whatever else an intruder knows or combines."
        )
    if check.passed:
        return "this way of identifying residents does not work on this release."
    return (
        "this way of identifying residents would work on this release, so it must not be "
        "published until the items below are fixed."
    )


def _status(check: CheckResult) -> str:
    if check.superseded_by_dp:
        return "covered by differential privacy"
    return "passed" if check.passed else "**FAILED**"


def _where(where: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in where.items())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
