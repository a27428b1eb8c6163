"""The ``sdc-tables`` release method: the ONS cell-key method, suppression and rounding."""

from __future__ import annotations

from typing import Any

from boroughkit.config import LoadedConfig
from boroughkit.config.models import PipelineConfig
from boroughkit.disclosure.report import CheckResult
from boroughkit.geography.bundle import GeographyBundle
from boroughkit.methods.sdc_tables.config import SDCTablesRelease
from boroughkit.methods.sdc_tables.release import manifest_section, protect_tables, sdc_release
from boroughkit.methods.sdc_tables.streamed import StreamedSDCTables
from boroughkit.privacy.budget import Rho
from boroughkit.release.columns import check_declared_categories
from boroughkit.release.gating import require_population_figures
from boroughkit.release.job import ReleaseJob
from boroughkit.release.load import value_rules
from boroughkit.release.plan import Plan
from boroughkit.release.records import LoadedRecords, needed_columns
from boroughkit.release.streamed import can_stream_checked
from boroughkit.release.tables import InMemoryTables, PreparedTables, TableSource


class SDCTables:
    """Statistical disclosure control as ONS practises it; spends no privacy budget."""

    name = "sdc-tables"
    config_model = SDCTablesRelease

    def validate(self, loaded: LoadedConfig) -> None:
        """Every ``count_by`` column declares its public values under ``source.columns``."""
        for position, table in enumerate(sdc_release(loaded.config.release).tables):
            check_declared_categories(loaded, f"release.tables[{position}]", table.count_by)

    def headline(self, config: PipelineConfig) -> str:
        """How many tables the release publishes."""
        return f"{len(sdc_release(config.release).tables)} table(s)"

    def plan(self, loaded: LoadedConfig) -> Plan:
        """The steps; no budget (cell-key protection is not differentially private)."""
        steps = ("load", "geocode", self.name, "disclosure gate", "stage for approval")
        return Plan(loaded, self.name, steps, Rho(0), release_method=self)

    def preview(self, plan: Plan, bundle: GeographyBundle) -> Plan:
        """Nothing to preview: the perturbation does not depend on the geography."""
        return plan

    def describe(self, plan: Plan) -> str:
        """The ptable, threshold, rounding and tables in words."""
        release = sdc_release(plan.loaded.config.release)
        parameters = release.ptable_parameters
        source = (
            str(release.ptable)
            if release.ptable
            else f"generated (D={parameters.D}, V={parameters.V}, js={parameters.js})"
        )
        lines = [
            f"Release '{plan.loaded.config.name}' (sdc-tables): ONS cell-key perturbation",
            "Steps: " + " → ".join(plan.steps),
            f"ptable: {source}; suppress counts below {release.threshold}; round to base "
            f"{release.rounding_base}",
            "",
        ]
        for table in release.tables:
            by = ", ".join(table.count_by) or "(area only)"
            lines.append(f"Table {table.name}: counts by area × {by} at {', '.join(table.levels)}")
        lines += ["", "No privacy budget is used; nothing has been read."]
        return "\n".join(lines)

    def needed_columns(self, config: PipelineConfig) -> list[str]:
        """The tables' category columns."""
        return [column for table in sdc_release(config.release).tables for column in table.count_by]

    def manifest_section(self, plan: Plan) -> dict[str, Any]:
        """The cell-key method, threshold and rounding base."""
        return manifest_section(sdc_release(plan.loaded.config.release))

    def gate_checks(self, plan: Plan) -> list[CheckResult]:
        """None beyond each table's own (rules, suppression and audit run while protecting)."""
        return []

    def prepare(self, job: ReleaseJob) -> PreparedTables:
        """Tally the records in the aggregation engine (or load and geocode them when the
        engine cannot place them by OA code), once the published areas are known to have
        public population figures."""
        require_population_figures(
            job,
            sorted(
                {
                    level
                    for table in sdc_release(job.config.release).tables
                    for level in table.levels
                }
            ),
        )
        columns = self.needed_columns(job.config)
        rules = value_rules(job.config.source, needed_columns(job.config, columns))
        source: TableSource
        if can_stream_checked(job, rules):
            source = StreamedSDCTables(job, rules)
        else:
            source = InMemoryTables(LoadedRecords(job, columns, rules), protect_tables)
        return PreparedTables(
            job, source, self.manifest_section(job.plan), self.gate_checks(job.plan)
        )
