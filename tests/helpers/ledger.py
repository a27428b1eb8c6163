"""Register datasets in a catalogue's privacy ledger, as `boroughkit ledger init` would."""

from __future__ import annotations

from pathlib import Path

from boroughkit.pipeline.ledgering import register_dataset
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.ledger import Ledger, LedgerEntry, default_ledger_path

TEST_BY = "Test Budget Owner"
TEST_REASON = "test fixture: budget for the test's synthetic residents"


def register(
    catalogue: Path,
    dataset: str = "residents",
    rho: object | None = 10,
    population: str | None = None,
    ledger_path: Path | None = None,
) -> LedgerEntry:
    """Register ``dataset`` (to ``population``) with lifetime ``rho`` (None joins an existing
    population) and publish the act in ``catalogue``'s privacy-budget register."""
    lifetime = None if rho is None else Rho.parse(rho)  # type: ignore[arg-type]
    return register_dataset(
        Path(catalogue),
        dataset,
        lifetime=lifetime,
        by=TEST_BY,
        reason=TEST_REASON,
        population=population,
        ledger_path=ledger_path,
    )


def catalogue_ledger(catalogue: Path) -> Ledger:
    """The ledger beside ``catalogue``."""
    return Ledger(default_ledger_path(Path(catalogue)))
