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

from boroughkit.disclosure.inconclusive import InconclusiveFinding, markdown_section
from boroughkit.disclosure.report_text import (
    INTRO,
    NEXT_FAILED,
    NEXT_PASSED,
    cell,
    check_section,
    status_words,
    verdict_inconclusive,
    where_text,
)

SCHEMA = "boroughkit.risk-report/1"
#: The report as a page, written beside ``risk-report.md`` (private like it).
HTML_NAME = "risk-report.html"


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
    # Measures whose interval straddles the limit: the check does not refuse (``passed``), and
    # the approver must accept each by id.
    inconclusive: tuple[InconclusiveFinding, ...] = ()

    @property
    def status(self) -> str:
        """``failed``, ``inconclusive`` (passed, with findings to accept) or ``passed``."""
        if not self.passed:
            return "failed"
        return "inconclusive" if self.inconclusive else "passed"


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

    def inconclusive(self) -> list[InconclusiveFinding]:
        """Every inconclusive finding, in check order: the approver must accept each."""
        return [finding for check in self.checks for finding in check.inconclusive]

    @property
    def outcome(self) -> str:
        """``failed`` (refused), ``inconclusive`` (staged; findings to accept) or ``passed``."""
        if not self.passed:
            return "failed"
        return "inconclusive" if self.inconclusive() else "passed"

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
            "outcome": self.outcome,
            "inconclusive": [finding.to_json() for finding in self.inconclusive()],
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
                inconclusive=tuple(
                    InconclusiveFinding.from_json(f) for f in check.get("inconclusive", [])
                ),
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
        if self.inconclusive() and self.passed:
            verdict = verdict_inconclusive(self)
        elif self.passed:
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
        lines += [
            f"| {cell(c.name)} | {status_words(c)} | {cell(c.summary)} |" for c in self.checks
        ]
        lines += ["", "## What was changed before publication", "", *self._changes(), ""]
        lines += markdown_section(self.inconclusive(), self.release_id)
        lines += INTRO
        for number, check in enumerate(self.checks, start=1):
            lines += check_section(number, check)
        lines += ["## What happens next", ""]
        lines.append(NEXT_PASSED if self.passed else NEXT_FAILED)
        if self.notes:
            lines += ["", "## Notes", "", *(f"- {note}" for note in self.notes)]
        return "\n".join(lines) + "\n"

    def _changes(self) -> list[str]:
        lines = []
        for item in self.adjustments:
            where = f" ({where_text(item.where)})" if item.where else ""
            lines.append(f"- {item.action}: {item.count}{where}, because {item.reason}.")
        for check in self.checks:
            # Passing checks that list items acted on them (e.g. cells they suppressed).
            if check.passed and check.findings:
                lines.append(
                    f"- {check.name}: {len(check.findings)} item(s), e.g. "
                    f"{check.findings[0].detail} ({where_text(check.findings[0].where)})."
                )
        return lines or ["Nothing was changed: the figures are as the method above produced them."]

    def to_console(self, *, max_findings: int = 3) -> str:
        """A short summary for the terminal: verdict, one line per check, first failing items."""
        verdict = {"passed": "PASSED", "failed": "FAILED", "inconclusive": "INCONCLUSIVE"}[
            self.outcome
        ]
        lines = [
            f"Disclosure gate {verdict} for {self.release_id} "
            f"({len(self.failures())} of {len(self.checks)} checks failed)"
        ]
        for check in self.checks:
            mark = {"passed": "ok  ", "failed": "FAIL", "inconclusive": "?   "}[check.status]
            lines.append(f"  {mark}  {check.name}")
            lines += [f"          - to accept: {open_.id}" for open_ in check.inconclusive]
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


_CHECK_FIELDS = {f.name for f in fields(CheckResult)} - {"findings", "inconclusive"}


def _check_json(check: CheckResult) -> dict[str, Any]:
    data = asdict(check)
    data["status"] = check.status
    data["findings"] = [asdict(finding) for finding in check.findings]
    data["inconclusive"] = [finding.to_json() for finding in check.inconclusive]
    return data
