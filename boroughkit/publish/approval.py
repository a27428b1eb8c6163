"""A named person signs a staged release off after reading its risk report.

The approval (``approval.json``) records who, when, and the SHA-256 of the manifest and of the
risk report they read. Publishing checks both again, and every file against the manifest, so
that what goes out is exactly what was approved. When the risk report lists inconclusive
findings (a synthetic extract whose evidence neither shows nor rules out a risk), the approver
must accept each by its id; the approval records the ids accepted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from boroughkit.errors import ConfigError, DisclosureError, PublishError
from boroughkit.publish.catalogue import (
    EXTRACTS,
    PRIVATE_FILES,
    list_staged,
    release_dir,
    staging_dir,
)
from boroughkit.publish.checksums import sha256_of

APPROVAL = "approval.json"
RISK_REPORT = "risk-report.json"
SCRATCH = f".{APPROVAL}.tmp"  # an approval being written (left behind only by a kill)


@dataclass(frozen=True)
class ApprovalRecord:
    """Who approved a release, when, and what exactly they approved."""

    release_id: str
    approved_by: str
    approved_at: str
    note: str | None
    manifest_sha256: str
    risk_report_sha256: str
    statement: str = "Approved for publication after reading the disclosure risk report."
    # Inconclusive findings of the risk report the approver accepted by name.
    accepted_findings: tuple[str, ...] = ()


def find_staged(catalogue: Path, release_id: str) -> Path:
    """The approval-area folder of ``release_id``, or a PublishError saying where it is."""
    folder = staging_dir(catalogue, release_id)
    if folder.is_dir():
        return folder
    if release_dir(catalogue, release_id).is_dir() or (catalogue / EXTRACTS / release_id).is_dir():
        raise PublishError(f"release {release_id} is already published in {catalogue}")
    waiting = list_staged(catalogue)
    listed = ", ".join(waiting) if waiting else "none"
    raise PublishError(
        f"no release {release_id} is waiting for approval in {catalogue / 'staging'} "
        f"(waiting: {listed})",
        fix="check the release id printed by `boroughkit run`, and --catalogue",
    )


def read_manifest(folder: Path) -> dict[str, Any]:
    """The release's manifest.json."""
    path = folder / "manifest.json"
    try:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PublishError(
            f"{path}: missing or unreadable ({error})",
            fix="build the release again with `boroughkit run`",
        ) from error
    return document


def check_gate_passed(folder: Path) -> None:
    """Refuse a release whose disclosure gate did not pass (or left no report)."""
    path = folder / RISK_REPORT
    try:
        passed = bool(json.loads(path.read_text(encoding="utf-8"))["passed"])
    except (OSError, ValueError, KeyError) as error:
        raise PublishError(
            f"{path}: the risk report is missing or unreadable ({error})",
            fix="build the release again with `boroughkit run`",
        ) from error
    if not passed:
        raise DisclosureError(
            f"{folder.name}: the disclosure gate failed for this release, so it cannot be "
            "approved or published",
            fix="read risk-report.md, change the config and run again",
            report_path=str(folder / "risk-report.md"),
        )


def inconclusive_ids(folder: Path) -> list[str]:
    """The ids of the risk report's inconclusive findings, in report order (none for reports
    written before such findings existed)."""
    report = json.loads((folder / RISK_REPORT).read_text(encoding="utf-8"))
    return [str(finding["id"]) for finding in report.get("inconclusive", [])]


def check_unchanged(folder: Path, manifest: dict[str, Any]) -> None:
    """Refuse a release whose files differ from its manifest (changed, missing or added)."""
    listed = {entry["path"]: entry["sha256"] for entry in manifest.get("files", [])}
    problems = []
    for relative, expected in sorted(listed.items()):
        path = folder / relative
        if not path.is_file():
            problems.append(f"{relative} is missing")
        elif sha256_of(path) != expected:
            problems.append(f"{relative} changed since the release was built")
    allowed = {*listed, "manifest.json", *PRIVATE_FILES, SCRATCH}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative not in allowed:
            problems.append(f"{relative} is not listed in the manifest")
    if problems:
        raise PublishError(
            f"{folder.name}: the release is not as it was built: " + "; ".join(problems[:10]),
            fix="build the release again with `boroughkit run` and approve the new one",
        )


def read_approval(folder: Path) -> ApprovalRecord | None:
    """The approval of a staged release, or None."""
    path = folder / APPROVAL
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    data["accepted_findings"] = tuple(data.get("accepted_findings", ()))
    return ApprovalRecord(**data)


def approve_release(
    catalogue: Path,
    release_id: str,
    *,
    by: str,
    note: str | None = None,
    accept: Sequence[str] = (),
    now: datetime | None = None,
) -> ApprovalRecord:
    """Record that ``by`` approved the staged release ``release_id`` after reading its report.

    Refuses a release whose gate failed, whose files changed, or that is already approved, and
    one whose inconclusive findings ``accept`` does not name exactly (a missing or unknown id);
    nothing is written then.
    """
    if not by or not by.strip():
        raise ConfigError("--by is empty", fix="give the approver's name, e.g. --by 'A. Smith'")
    folder = find_staged(catalogue, release_id)
    check_gate_passed(folder)
    manifest = read_manifest(folder)
    check_unchanged(folder, manifest)
    accepted = check_accepted(inconclusive_ids(folder), accept, release_id=release_id)
    existing = read_approval(folder)
    if existing is not None:
        raise PublishError(
            f"release {release_id} was already approved by {existing.approved_by} on "
            f"{existing.approved_at}",
            fix=f"publish it: boroughkit publish {release_id}",
        )
    record = ApprovalRecord(
        release_id=release_id,
        approved_by=by.strip(),
        approved_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
        note=note,
        manifest_sha256=sha256_of(folder / "manifest.json"),
        risk_report_sha256=sha256_of(folder / RISK_REPORT),
        accepted_findings=accepted,
    )
    scratch = folder / SCRATCH
    scratch.write_text(json.dumps(asdict(record), indent=2, ensure_ascii=False) + "\n", "utf-8")
    os.replace(scratch, folder / APPROVAL)
    return record


def check_approved(folder: Path) -> ApprovalRecord:
    """The approval of a staged release that is still exactly what was approved."""
    check_gate_passed(folder)
    approval = read_approval(folder)
    if approval is None:
        raise PublishError(
            f"release {folder.name} has not been approved",
            fix=f"read {folder / 'risk-report.md'}, then run: boroughkit approve {folder.name} "
            "--by 'Your Name'",
        )
    manifest = read_manifest(folder)
    if sha256_of(folder / "manifest.json") != approval.manifest_sha256:
        raise PublishError(
            f"release {folder.name}: manifest.json changed after {approval.approved_by} approved "
            "it",
            fix="build the release again with `boroughkit run` and approve the new one",
        )
    if sha256_of(folder / RISK_REPORT) != approval.risk_report_sha256:
        raise PublishError(
            f"release {folder.name}: the risk report changed after it was approved",
            fix="build the release again with `boroughkit run` and approve the new one",
        )
    check_unchanged(folder, manifest)
    check_accepted(inconclusive_ids(folder), approval.accepted_findings, release_id=folder.name)
    return approval


def check_accepted(
    required: Iterable[str], accepted: Iterable[str], *, release_id: str
) -> tuple[str, ...]:
    """The accepted ids, in the report's order, when they are exactly the inconclusive
    findings; otherwise a ConfigError naming the missing and unknown ones."""
    needed = list(dict.fromkeys(required))
    given = list(dict.fromkeys(accepted))
    missing = [finding for finding in needed if finding not in given]
    unknown = [finding for finding in given if finding not in needed]
    if not missing and not unknown:
        return tuple(needed)
    problems = []
    if missing:
        problems.append("not accepted: " + ", ".join(missing))
    if unknown:
        problems.append("not findings of this release: " + ", ".join(unknown))
    listed = " ".join(f"--accept {finding}" for finding in needed) or "no --accept"
    raise ConfigError(
        f"release {release_id} has {len(needed)} inconclusive finding(s) "
        f"({', '.join(needed) or 'none'}); " + "; ".join(problems),
        fix=f"read its risk-report.md, then approve with {listed}",
    )
