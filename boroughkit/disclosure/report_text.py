"""The risk report's words: the sections of ``risk-report.md`` and phrases the page shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boroughkit.disclosure.intruder import scenario_for

if TYPE_CHECKING:
    from boroughkit.disclosure.report import CheckResult, GateReport

MAX_LISTED = 50

INTRO = [
    "## The motivated intruder test",
    "",
    "The Information Commissioner's Office asks whether a *motivated intruder* could identify "
    "someone from published data: a person with no specialist skills or inside access, but "
    "determined, able to search the internet, libraries and public records, and to ask around. "
    "Each check below takes one way such a person could try, and tests whether it would work "
    "on this release.",
    "",
]
NEXT_PASSED = (
    "A named approver reads this report and signs the release off; only then is it published. "
    "Passing the checks shows that the known ways of identifying residents were tested; the "
    "approver decides whether anything about the data or its context needs more care."
)
NEXT_FAILED = (
    "Fix the causes listed above (coarser areas, a higher threshold, fewer or broader "
    "categories, removing the leaked values) and run the release again. The full list of "
    "failing items, with where each one is, is in risk-report.json."
)


def verdict_inconclusive(report: GateReport) -> str:
    """The verdict of a report whose checks found no risk but left findings to accept."""
    found = report.inconclusive()
    return (
        f"**No check found evidence of risk, but {len(found)} finding(s) are inconclusive:** "
        "the evidence neither shows nor rules them out. The release was built and staged; a "
        "named approver must accept each finding by name (see *Inconclusive findings* below) "
        "or decline the release."
    )


def check_section(number: int, check: CheckResult) -> list[str]:
    """One check's section: the intruder scenario, what was found and what it means."""
    lines = [f"### {number}. {check.name}: {status_words(check)}", ""]
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
    lines.append(f"- **What it means:** {meaning(check)}")
    lines.append("")
    if check.findings:
        lines += ["Items that failed:" if not check.passed else "Items acted on:", ""]
        for finding in check.findings[:MAX_LISTED]:
            lines.append(f"- {finding.detail} ({where_text(finding.where)}; rule: {finding.rule})")
        if len(check.findings) > MAX_LISTED:
            lines.append(
                f"- … and {len(check.findings) - MAX_LISTED} more "
                "(all are listed in risk-report.json)"
            )
        lines.append("")
    return lines


def meaning(check: CheckResult) -> str:
    """What a check's outcome means for the release, in plain words."""
    if check.superseded_by_dp:
        return (
            "this risk is covered by the differential privacy guarantee, which holds "
            "whatever else an intruder knows or combines."
        )
    if check.inconclusive:
        return (
            "the evidence neither shows that this way of identifying residents works on this "
            "release nor rules it out; the approver must accept the findings listed under "
            "*Inconclusive findings* by name."
        )
    if check.passed:
        return "this way of identifying residents does not work on this release."
    return (
        "this way of identifying residents would work on this release, so it must not be "
        "published until the items below are fixed."
    )


def status_words(check: CheckResult) -> str:
    """A check's outcome as the Markdown report shows it."""
    if check.superseded_by_dp:
        return "covered by differential privacy"
    return {"passed": "passed", "failed": "**FAILED**", "inconclusive": "inconclusive"}[
        check.status
    ]


def where_text(where: dict[str, Any]) -> str:
    """Where a finding is, as ``key=value`` pairs."""
    return ", ".join(f"{key}={value}" for key, value in where.items())


def cell(text: str) -> str:
    """Text fit for a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")
