"""The release-method protocol: what differs between ``dp-tables``, ``sdc-tables`` and
``synthetic-extract`` (and any method added later), behind one interface.

The generic runner (:mod:`boroughkit.pipeline.run`) calls, in order: :meth:`prepare` (read and
check the inputs; may fail, nothing is reserved yet), then, with the budget reserved when the
plan spends any, :meth:`PreparedRelease.build` (noise, gate, staging). Nothing outside a
method's own package asks which method is running.
"""

from __future__ import annotations

from typing import Any, Protocol

from boroughkit.config import LoadedConfig
from boroughkit.config.common import ReleaseSection
from boroughkit.config.models import PipelineConfig
from boroughkit.disclosure.report import CheckResult
from boroughkit.geography.bundle import GeographyBundle
from boroughkit.release.budgeting import ChargeHook
from boroughkit.release.job import ReleaseJob
from boroughkit.release.outcome import RunResult
from boroughkit.release.plan import Plan


class PreparedRelease(Protocol):
    """A release whose inputs are read and checked, ready to draw noise and stage."""

    def build(self, charge: ChargeHook) -> RunResult:
        """Protect, gate and stage the release (or, for a dry run, keep only its report).

        ``charge`` is called after the gate passed and before anything is staged: it commits
        the budget and returns the manifest's ``budget`` block, so no release can wait for
        approval uncharged."""
        ...


class ReleaseMethod(Protocol):
    """One release method, found in :mod:`boroughkit.methods` by ``release.method``."""

    @property
    def name(self) -> str:
        """The value of ``release.method`` in a config."""
        ...

    @property
    def config_model(self) -> type[ReleaseSection]:
        """The pydantic model of the method's ``release:`` section."""
        ...

    def validate(self, loaded: LoadedConfig) -> None:
        """Checks across config sections the section's model cannot make (raise ConfigError)."""
        ...

    def headline(self, config: PipelineConfig) -> str:
        """A few words on what the release makes, for ``boroughkit validate``."""
        ...

    def plan(self, loaded: LoadedConfig) -> Plan:
        """Resolve the config into a plan: steps, budget, measurements. Pure: no I/O."""
        ...

    def preview(self, plan: Plan, bundle: GeographyBundle) -> Plan:
        """The plan with its expected accuracy computed from the public geography."""
        ...

    def describe(self, plan: Plan) -> str:
        """The plan in words for ``boroughkit plan``."""
        ...

    def gate_checks(self, plan: Plan) -> list[CheckResult]:
        """Checks the method adds to the gate report of each of its releases."""
        ...

    def needed_columns(self, config: PipelineConfig) -> list[str]:
        """Record columns the method reads, beyond ids and geocoding columns."""
        ...

    def manifest_section(self, plan: Plan) -> dict[str, Any]:
        """The manifest's ``method_statement`` and ``privacy`` block for this method."""
        ...

    def prepare(self, job: ReleaseJob) -> PreparedRelease:
        """Read and check the inputs of a run; raise before any budget is reserved."""
        ...
