"""The ``synthetic-extract`` release method: synthetic records for a named researcher."""

from __future__ import annotations

from typing import Any

from boroughkit.config import LoadedConfig
from boroughkit.config.models import PipelineConfig
from boroughkit.disclosure.report import CheckResult
from boroughkit.geography.bundle import GeographyBundle
from boroughkit.methods.synthetic_extract.config import DP_SYNTHESIS, SyntheticExtractRelease
from boroughkit.methods.synthetic_extract.describe import describe_extract
from boroughkit.methods.synthetic_extract.manifest import extract_privacy, method_sentence
from boroughkit.methods.synthetic_extract.run import (
    PreparedExtract,
    extract_release,
    prepare_extract,
)
from boroughkit.methods.synthetic_extract.schema import extract_columns
from boroughkit.privacy.budget import Rho
from boroughkit.release.job import ReleaseJob
from boroughkit.release.plan import Plan

STEPS = (
    "load",
    "geocode",
    "hold-out split",
    "synthesise",
    "evaluate",
    "disclosure gate",
    "researcher bundle",
    "stage for approval",
)


class SyntheticExtract:
    """Synthetic record-level data, scored and gated, issued under a sharing agreement."""

    name = "synthetic-extract"
    config_model = SyntheticExtractRelease

    def validate(self, loaded: LoadedConfig) -> None:
        """Cross-section checks happen when the schema is built from the declared columns."""

    def headline(self, config: PipelineConfig) -> str:
        """The synthesiser and the area level of the extract."""
        release = extract_release(config.release)
        return f"{release.synthesiser} at {release.area_level} level"

    def plan(self, loaded: LoadedConfig) -> Plan:
        """The steps and, for a DP synthesiser, its ρ from the dataset's ledger."""
        release = extract_release(loaded.config.release)
        budget = release.budget if release.synthesiser in DP_SYNTHESIS else None
        rho = Rho.parse(budget.rho) if budget is not None else Rho(0)
        return Plan(loaded, self.name, STEPS, rho, release_method=self)

    def preview(self, plan: Plan, bundle: GeographyBundle) -> Plan:
        """Nothing to preview before the data are read."""
        return plan

    def describe(self, plan: Plan) -> str:
        """Synthesiser, budget or seed, columns, gate limits and recipient in words."""
        return describe_extract(plan, extract_release(plan.loaded.config.release))

    def needed_columns(self, config: PipelineConfig) -> list[str]:
        """The declared columns the extract synthesises."""
        return extract_columns(config)

    def manifest_section(self, plan: Plan) -> dict[str, Any]:
        """The synthesiser's guarantee (or its absence) in the manifest's words."""
        return {"method_statement": method_sentence(plan), "privacy": extract_privacy(plan)}

    def gate_checks(self, plan: Plan) -> list[CheckResult]:
        """None known before synthesis: the extract's checks come from its evaluation."""
        return []

    def prepare(self, job: ReleaseJob) -> PreparedExtract:
        """Check the agreement and the schema, read the records, one row per person."""
        return prepare_extract(job, self.needed_columns(job.config))
