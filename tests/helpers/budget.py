"""Helpers of the budget-promise tests: the CLI in process, configs, staged releases and the
check that everything in a catalogue is charged as it says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner, Result

from boroughkit.cli import main
from boroughkit.pipeline.ledgering import audit_against_catalogue
from boroughkit.privacy.ledger import Ledger, default_ledger_path
from tests.helpers.configs import minimal_config

REPO = Path(__file__).resolve().parents[2]
WHO = ("--by", "Asha Patel", "--reason", "DPIA-2026-04")
APPROVER = "Dana Approver"


def cli(*args: str | Path) -> Result:
    """`boroughkit ARGS` in this process (stderr is part of ``output``)."""
    return CliRunner().invoke(main, [str(arg) for arg in args])


def write(workspace: Path, name: str = "release", **source: object) -> Path:
    """A dp-tables config (ρ = 1/2) in ``workspace``; ``source`` overrides source keys."""
    config = minimal_config(name=name)
    config["source"].update(source)
    path = workspace / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def ledger_of(workspace: Path) -> Ledger:
    return Ledger(default_ledger_path(workspace / "catalogue"))


def staged(workspace: Path) -> list[str]:
    return sorted(
        path.name for path in (workspace / "catalogue" / "staging").glob("*") if path.is_dir()
    )


def run_ok(config: Path) -> str:
    """Run ``config`` through the CLI; the staged release's id."""
    before = staged(config.parent)
    result = cli("run", config)
    assert result.exit_code == 0, result.output
    [release_id] = sorted(set(staged(config.parent)) - set(before))
    return release_id


def publish_ok(workspace: Path, release_id: str) -> None:
    catalogue = workspace / "catalogue"
    approved = cli("approve", release_id, "--by", APPROVER, "--catalogue", catalogue)
    assert approved.exit_code == 0, approved.output
    published = cli("publish", release_id, "--catalogue", catalogue)
    assert published.exit_code == 0, published.output


def manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def budget_acts(catalogue: Path) -> list[dict[str, str]]:
    path = catalogue / "registers" / "privacy-budget.json"
    return json.loads(path.read_text(encoding="utf-8"))["entries"]


def assert_everything_charged(catalogue: Path) -> None:
    """Every DP manifest in the catalogue states a charge, and the ledger holds each one."""
    for folder in ("staging", "releases", "extracts", "retracted"):
        for path in (catalogue / folder).glob("*/manifest.json"):
            document = json.loads(path.read_text(encoding="utf-8"))
            if "rho" in document.get("privacy", {}):
                assert "budget" in document, f"{path} is a DP release without a charge"
    audit = audit_against_catalogue(catalogue)
    assert audit.problems == [], audit.problems
