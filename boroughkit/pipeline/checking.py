"""``boroughkit check``: the disclosure gate alone, on a config or on a built release."""

from __future__ import annotations

import json
from pathlib import Path

from boroughkit.disclosure import gate
from boroughkit.disclosure.report import CheckResult, Finding, GateReport
from boroughkit.errors import ConfigError, DisclosureError
from boroughkit.publish.columns import GEOMETRY_COLUMNS
from boroughkit.publish.files import sha256_of
from boroughkit.release.gating import PUBLISHED_COLUMNS
from boroughkit.release.progress import ProgressCallback


def check_target(
    target: Path,
    *,
    reports_dir: Path | None = None,
    by: str | None = None,
    progress: ProgressCallback | None = None,
) -> str:
    """Gate a config (dry run; ``by`` names who runs it; ``progress`` is told each step) or
    re-check a release folder; raise DisclosureError on failure."""
    if target.is_dir():
        return check_release_folder(target)
    if target.suffix.lower() not in (".yaml", ".yml"):
        raise ConfigError(f"{target}: give a pipeline config (.yaml) or a release folder")
    from boroughkit import build_plan, load_config, run_pipeline
    from boroughkit.release.context import RunContext

    result = run_pipeline(
        build_plan(load_config(target)),
        RunContext(by=by, progress=progress),
        reports_dir=reports_dir,
        dry_run=True,
    )
    return result.summary


def check_release_folder(folder: Path) -> str:
    """Checksums, declared columns and file list of a built release, against its manifest."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise ConfigError(f"{folder}: no manifest.json; not a release folder")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    findings = []
    for entry in manifest.get("files", []):
        path = folder / entry["path"]
        if not path.exists() or sha256_of(path) != entry["sha256"]:
            findings.append(
                Finding(
                    {"file": entry["path"]},
                    "manifest-checksum",
                    "missing or changed since the release was built",
                )
            )
    integrity = CheckResult(
        "Files match the manifest",
        not findings,
        f"{len(manifest.get('files', []))} file(s) checked.",
        tuple(findings),
        id="manifest-checksums",
    )
    allowed = set(PUBLISHED_COLUMNS) | set(GEOMETRY_COLUMNS)
    for table in manifest.get("tables", {}).values():
        allowed |= set(table.get("count_by", []))
    allowed |= set((manifest.get("extract") or {}).get("columns") or [])
    parquet = [
        folder / e["path"]
        for e in manifest.get("files", [])
        if e["format"] == "parquet" and (folder / e["path"]).exists()
    ]
    report = GateReport(manifest.get("release_id", folder.name), manifest.get("method", ""))
    report.checks += [integrity, gate.check_output_columns(parquet, allowed)]
    if not report.passed:
        raise DisclosureError(
            f"{folder}: the release fails {len(report.failures())} check(s): "
            + "; ".join(check.name for check in report.failures()),
            fix="rebuild the release with `boroughkit run`",
        )
    return f"{folder}: files, checksums and columns match the manifest"
