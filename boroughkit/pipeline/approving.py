"""Approve and publish only what the ledger has charged.

A differentially private release reaches ``staging/`` only after its charge is committed (the
runner commits before staging), and its manifest states that charge. Approval and publication
check it again against the ledger, so a release whose charge was never committed, or whose
manifest states a charge the ledger does not hold, can be neither approved nor published.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from boroughkit.errors import BudgetError
from boroughkit.pipeline.ledgering import open_ledger
from boroughkit.privacy.ledger import LedgerEntry
from boroughkit.publish import ApprovalRecord, PublishResult, approve_release, publish_release
from boroughkit.publish.catalogue import STAGING
from boroughkit.publish.transaction import StepHook


def approve(
    catalogue: Path,
    release_id: str,
    *,
    by: str,
    note: str | None = None,
    accept: Sequence[str] = (),
    ledger_path: Path | None = None,
) -> ApprovalRecord:
    """Approve a staged release once its charge (if it spends budget) is committed; ``accept``
    names each inconclusive finding of its risk report (none for most releases)."""
    require_committed_charge(catalogue, release_id, ledger_path)
    return approve_release(catalogue, release_id, by=by, note=note, accept=accept)


def publish(
    catalogue: Path,
    release_id: str,
    *,
    to: str | None = None,
    by: str | None = None,
    ledger_path: Path | None = None,
    on_step: StepHook | None = None,
) -> PublishResult:
    """Publish an approved release once its charge (if it spends budget) is committed."""
    require_committed_charge(catalogue, release_id, ledger_path)
    return publish_release(catalogue, release_id, to=to, by=by, on_step=on_step)


def recover_abandoned(
    catalogue: Path, by: str, ledger_path: Path | None = None
) -> list[LedgerEntry]:
    """Give back the budget of runs that died holding a reservation (none without a ledger)."""
    return open_ledger(catalogue, ledger_path).recover_abandoned(by=by)


def require_committed_charge(catalogue: Path, release_id: str, ledger_path: Path | None) -> None:
    """Refuse a staged DP release whose charge the ledger has not committed as stated."""
    manifest = _staged_manifest(catalogue, release_id)
    if manifest is None or "rho" not in (manifest.get("privacy") or {}):
        return  # not staged (publish reports that itself), or spends no budget
    stated = manifest.get("budget") or {}
    ledger = open_ledger(catalogue, ledger_path)
    charge = ledger.charge_of(release_id)
    if charge is None or charge.entry_hash != stated.get("ledger_entry"):
        raise BudgetError(
            f"release {release_id} spends privacy budget but the ledger {ledger.path} holds no "
            "committed charge matching its manifest",
            fix="a release is approved only once its charge is committed: run the config again "
            "(this release cannot be published)",
        )


def _staged_manifest(catalogue: Path, release_id: str) -> dict[str, Any] | None:
    path = catalogue / STAGING / release_id / "manifest.json"
    if not path.exists():
        return None
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document
