"""A release job: a plan with everything a run of it needs, opened and resolved once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from boroughkit.config.models import PipelineConfig
from boroughkit.geography.bundle import GeographyBundle
from boroughkit.release.context import RunContext
from boroughkit.release.plan import Plan


@dataclass(frozen=True)
class ReleaseJob:
    """One run of a plan: the opened geography, where records come from, where the release
    goes, which ledger dataset pays for it and under which release id."""

    plan: Plan
    bundle: GeographyBundle
    context: RunContext
    source: Path
    catalogue: Path
    dataset: str
    release_id: str
    reports_dir: Path
    dry_run: bool = False

    @property
    def config(self) -> PipelineConfig:
        """The validated pipeline config."""
        return self.plan.loaded.config
