"""Config of the ``synthetic-extract`` release method: a record-level extract for a researcher.

The extract is synthetic (no real resident's record), scored against a real hold-out, gated, and
issued under a data sharing agreement whose details go to the public Data Sharing Register.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from boroughkit.config.common import BudgetConfig, Level, ReleaseSection, Strict

SynthesisMethod = Literal["cart", "gaussian_copula", "ctgan", "tvae", "dp_mst", "dp_aim"]
DP_SYNTHESIS: tuple[str, ...] = ("dp_mst", "dp_aim")


class RecipientConfig(Strict):
    """Who receives the extract, why, and under which agreement (public register fields)."""

    organisation: str = Field(
        description="The organisation receiving the extract (published in the data sharing "
        "register).",
        min_length=2,
    )
    purpose: str = Field(description="What the extract is for.", min_length=10)
    legal_basis: str = Field(description="The lawful basis for sharing it.", min_length=5)
    agreement: str = Field(min_length=2, description="data sharing agreement reference")
    expires: date = Field(description="The date the agreement ends (YYYY-MM-DD).")


class ExtractGateConfig(Strict):
    """Limits an extract must meet before it may leave (defaults as in the disclosure policy)."""

    # Share of training records unique on every column that reappear verbatim, beyond the share
    # new people (the hold-out) match by chance ("holdout"), or in absolute terms ("none").
    max_exact_match_share: float = Field(
        description="The largest share of unique training records that may reappear verbatim "
        "(beyond chance, with holdout).",
        default=0.0005,
        ge=0,
        le=1,
    )
    exact_match_reference: Literal["holdout", "none"] = Field(
        default="holdout",
        description="holdout: compare with new people's chance matches; none: absolute.",
    )
    # Refused when an attack's whole 95% interval lies above it; passed when the upper end is
    # within it; otherwise an inconclusive finding the approver must accept by name.
    max_attack_advantage: float = Field(
        description="The limit of any linkage or inference attack's advantage: refused when a "
        "whole 95% interval lies above it, inconclusive when the interval straddles it.",
        default=0.05,
        ge=0,
        le=1,
    )
    # How much closer than the hold-out synthetic records may come to training records.
    dcr_margin: float = Field(
        description="How much closer than the hold-out synthetic records may come to training "
        "records.",
        default=0.01,
        ge=0,
        le=1,
    )
    # Real residents unique on the quasi-identifiers whose whole record may reappear.
    max_unique_reproduced: int = Field(
        description="How many residents unique on the quasi-identifiers may have their whole "
        "record reappear.",
        default=0,
        ge=0,
    )


class SyntheticExtractRelease(ReleaseSection):
    """A synthetic record-level extract with the schema of the declared source columns."""

    method: Literal["synthetic-extract"] = Field(
        description="The release method: a synthetic record-level extract for a named recipient."
    )
    synthesiser: SynthesisMethod = Field(
        default="cart",
        description="The synthesiser (dp_mst and dp_aim are differentially private). "
        "Recommended: cart, gaussian_copula, dp_mst; ctgan and tvae are slow on a CPU and "
        "less faithful on small extracts, dp_aim is too slow on wide data.",
    )
    area_level: Level = Field(
        default="ward",
        description="The area level of the extract's area column, <area_level>_code.",
    )
    # Declared source columns to synthesise (default: every declared column that is not an id
    # or free text). The area column, ``<area_level>_code``, is always added.
    columns: list[str] = Field(
        description="Declared source columns to synthesise (default: every declared column but "
        "ids and free text).",
        default_factory=list,
    )
    # What an intruder may know (the area column and e.g. age, sex): at least two, so that the
    # linkage and inference attacks can run.
    quasi_identifiers: list[str] = Field(
        description="What an intruder may know (the area column and e.g. age, sex): at least two.",
        min_length=2,
    )
    sensitive: list[str] = Field(
        description="Columns an intruder would want to learn, for the inference attacks.",
        default_factory=list,
    )
    rules: list[str] = Field(
        description='Rules every synthetic record must obey, e.g. "when age < 16 then employed '
        '== False".',
        default_factory=list,
    )
    # Public bin edges of numeric columns for DP synthesis and scoring (default: ten equal bins
    # between the declared min and max).
    bins: dict[str, list[float]] = Field(
        description="Public bin edges of numeric columns (default: ten equal bins between min "
        "and max).",
        default_factory=dict,
    )
    households: bool = Field(default=False, description="Whether to synthesise whole households.")
    # CART only: the smallest leaf of every tree (larger leaves copy fewer real records).
    min_leaf: int | None = Field(
        description="CART only: the smallest leaf of every tree.", default=None, ge=1, le=10_000
    )
    household_attributes: list[str] = Field(
        description="Columns shared by everyone in a household.", default_factory=list
    )
    seed: int | None = Field(
        description="A fixed random seed (default: drawn, and kept privately).",
        default=None,
        ge=0,
        le=2**32 - 1,
    )
    budget: BudgetConfig | None = Field(
        default=None, description="For dp_mst and dp_aim: the ρ the extract spends."
    )
    epochs: int | None = Field(
        description="For neural synthesisers: training epochs.", default=None, ge=1, le=10_000
    )
    # More rows than any borough has residents would only copy the model's quirks at scale.
    rows: int | None = Field(
        description="How many synthetic records (default: as many as the training records).",
        default=None,
        ge=10,
        le=10_000_000,
    )
    holdout_fraction: float = Field(
        description="The share of records held out to score the extract against.",
        default=0.2,
        gt=0,
        le=0.5,
    )
    utility_target: str | None = Field(
        default=None, description="A column the utility score predicts."
    )
    gate: ExtractGateConfig = Field(
        description="The limits the extract must meet before it may leave.",
        default_factory=ExtractGateConfig,
    )
    recipient: RecipientConfig = Field(
        description="Who receives the extract and under which agreement."
    )
    terms_of_use: Path | None = Field(
        default=None, description="A Markdown file of extra terms added to the bundle's terms."
    )

    @model_validator(mode="after")
    def _method_options(self) -> SyntheticExtractRelease:
        private = self.synthesiser in DP_SYNTHESIS
        if private and self.budget is None:
            raise ValueError(
                f"{self.synthesiser} is differentially private: give budget: {{rho: …}} "
                "(drawn from the dataset's registered lifetime budget in the privacy ledger)"
            )
        if private and self.seed is not None:
            raise ValueError(f"{self.synthesiser} is differentially private and is never seeded")
        if private and self.budget is not None and self.budget.rho <= 0:
            raise ValueError("budget.rho must be more than 0")
        if not private and self.budget is not None:
            raise ValueError(f"{self.synthesiser} is not differentially private: remove budget")
        if self.epochs is not None and self.synthesiser not in ("ctgan", "tvae"):
            raise ValueError("epochs is for synthesiser: ctgan or tvae")
        if self.min_leaf is not None and self.synthesiser != "cart":
            raise ValueError("min_leaf is for synthesiser: cart")
        if self.households and self.synthesiser != "cart":
            raise ValueError("households: true needs synthesiser: cart")
        if self.household_attributes and not self.households:
            raise ValueError("household_attributes needs households: true")
        return self
