"""How a run ends: a release staged for approval, a dry run's report, or a refusal."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from boroughkit.disclosure.report import GateReport
from boroughkit.errors import DisclosureError
from boroughkit.publish.files import WrittenFile


@dataclass(frozen=True)
class RunResult:
    """What a run published, where, and what the analyst should know."""

    release_id: str
    release_dir: Path
    files: list[WrittenFile]
    report: GateReport
    summary: str


def settle_gate(
    report: GateReport,
    staging: Path,
    reports_dir: Path,
    release_id: str,
    dry_run: bool,
    files: Sequence[WrittenFile],
) -> RunResult | None:
    """Refuse a failed gate (report kept for the analyst); for a dry run keep the report and
    return the run's result; otherwise return None and let the caller stage the release."""
    if dry_run:
        kept = _keep_report(staging, reports_dir, release_id)
        if not report.passed:
            raise DisclosureError(
                f"the disclosure gate would refuse this release "
                f"({len(report.failures())} check(s)). Report: {kept}",
                fix="read the report, change the config, check again",
                report_path=str(kept),
            )
        open_ = [finding.id for finding in report.inconclusive()]
        pending = (
            f" ({len(open_)} inconclusive finding(s) the approver would have to accept: "
            f"{', '.join(open_)})"
            if open_
            else ""
        )
        return RunResult(
            release_id,
            kept.parent,
            list(files),
            report,
            f"The gate passes for {release_id}{pending}; nothing was staged or charged. "
            f"Report: {kept}",
        )
    if not report.passed:
        kept = _keep_report(staging, reports_dir, release_id)
        raise DisclosureError(
            f"the disclosure gate failed ({len(report.failures())} check(s)); nothing was "
            f"published. Report: {kept}",
            fix="read the report, change the config, run again",
            report_path=str(kept),
        )
    return None


def _keep_report(staging: Path, reports_dir: Path, release_id: str) -> Path:
    target = reports_dir / release_id
    target.mkdir(parents=True, exist_ok=True)
    for name in ("risk-report.json", "risk-report.md", "risk-report.html"):
        shutil.copy2(staging / name, target / name)
    return target / "risk-report.md"
