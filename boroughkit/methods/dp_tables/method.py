"""The ``dp-tables`` release method: differentially private counts, sums and means by area."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from boroughkit.config import LoadedConfig
from boroughkit.config.models import PipelineConfig
from boroughkit.disclosure.report import CheckResult
from boroughkit.disclosure.rules import dp_superseded_results
from boroughkit.geography import open_bundle
from boroughkit.geography.bundle import GeographyBundle
from boroughkit.methods.dp_tables import plan as planning
from boroughkit.methods.dp_tables.config import DPTablesRelease
from boroughkit.methods.dp_tables.describe import describe_plan
from boroughkit.methods.dp_tables.release import manifest_section
from boroughkit.methods.dp_tables.sources import table_source
from boroughkit.release.columns import check_declared_categories
from boroughkit.release.gating import rule_settings
from boroughkit.release.job import ReleaseJob
from boroughkit.release.plan import Plan
from boroughkit.release.tables import PreparedTables


class DPTables:
    """Counts, sums and means with OpenDP's discrete Gaussian, consistent across levels."""

    name = "dp-tables"
    config_model = DPTablesRelease

    def _release(self, config: PipelineConfig) -> DPTablesRelease:
        assert isinstance(config.release, DPTablesRelease)
        return config.release

    def validate(self, loaded: LoadedConfig) -> None:
        """Every ``count_by`` column declares its public values under ``source.columns``."""
        for position, table in enumerate(self._release(loaded.config).tables):
            check_declared_categories(loaded, f"release.tables[{position}]", table.count_by)

    def headline(self, config: PipelineConfig) -> str:
        """How many tables the release publishes."""
        return f"{len(self._release(config).tables)} table(s)"

    def plan(self, loaded: LoadedConfig) -> Plan:
        """Shares of ρ per table and level, with OpenDP's calibrated noise scales."""
        release = self._release(loaded.config)
        steps = ("load", "geocode", self.name, "disclosure gate", "stage for approval")
        lookup = None
        if any(table.target_moe95 is not None for table in release.tables):
            # Accuracy targets are met on the public geography: the only input a plan reads.
            lookup = open_bundle(loaded.config.geography.boundaries, base_dir=loaded.base_dir)
        tables = planning.table_plans(release, None if lookup is None else lookup.lookup)
        return Plan(
            loaded,
            self.name,
            steps,
            planning.release_rho(release, tables),
            tables=tables,
            release_method=self,
        )

    def preview(self, plan: Plan, bundle: GeographyBundle) -> Plan:
        """The expected ``moe95`` of every level after reconciliation."""
        return replace(plan, tables=planning.preview(plan.tables, bundle.lookup))

    def describe(self, plan: Plan) -> str:
        """Budget, noise and expected accuracy per table and level."""
        return describe_plan(plan)

    def needed_columns(self, config: PipelineConfig) -> list[str]:
        """The tables' category and value columns."""
        return [
            column
            for table in self._release(config).tables
            for column in (*table.count_by, table.value)
            if column
        ]

    def manifest_section(self, plan: Plan) -> dict[str, Any]:
        """The zCDP guarantee and the plain statement every file carries."""
        return manifest_section(plan)

    def gate_checks(self, plan: Plan) -> list[CheckResult]:
        """Table rules recorded as superseded by the DP guarantee, with the reason."""
        return list(dp_superseded_results(rule_settings(plan.loaded.config.disclosure)))

    def prepare(self, job: ReleaseJob) -> PreparedTables:
        """Open the records (streamed by DuckDB where possible, else loaded and geocoded)."""
        source = table_source(job, self.needed_columns(job.config))
        return PreparedTables(
            job, source, self.manifest_section(job.plan), self.gate_checks(job.plan)
        )
