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

    organisation: str = Field(min_length=2)
    purpose: str = Field(min_length=10)
    legal_basis: str = Field(min_length=5)
    agreement: str = Field(min_length=2, description="data sharing agreement reference")
    expires: date


class ExtractGateConfig(Strict):
    """Limits an extract must meet before it may leave (defaults as in the disclosure policy)."""

    # Share of training records unique on every column that reappear verbatim, beyond the share
    # new people (the hold-out) match by chance ("holdout"), or in absolute terms ("none").
    max_exact_match_share: float = Field(default=0.0005, ge=0, le=1)
    exact_match_reference: Literal["holdout", "none"] = "holdout"
    # Upper end of the 95% interval of any linkage or inference attack's advantage.
    max_attack_advantage: float = Field(default=0.05, ge=0, le=1)
    # How much closer than the hold-out synthetic records may come to training records.
    dcr_margin: float = Field(default=0.01, ge=0, le=1)
    # Real residents unique on the quasi-identifiers whose whole record may reappear.
    max_unique_reproduced: int = Field(default=0, ge=0)


class SyntheticExtractRelease(ReleaseSection):
    """A synthetic record-level extract with the schema of the declared source columns."""

    method: Literal["synthetic-extract"]
    synthesiser: SynthesisMethod = "cart"
    area_level: Level = "ward"
    # Declared source columns to synthesise (default: every declared column that is not an id
    # or free text). The area column, ``<area_level>_code``, is always added.
    columns: list[str] = Field(default_factory=list)
    # What an intruder may know (the area column and e.g. age, sex): at least two, so that the
    # linkage and inference attacks can run.
    quasi_identifiers: list[str] = Field(min_length=2)
    sensitive: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    # Public bin edges of numeric columns for DP synthesis and scoring (default: ten equal bins
    # between the declared min and max).
    bins: dict[str, list[float]] = Field(default_factory=dict)
    households: bool = False
    # CART only: the smallest leaf of every tree (larger leaves copy fewer real records).
    min_leaf: int | None = Field(default=None, ge=1, le=10_000)
    household_attributes: list[str] = Field(default_factory=list)
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)
    budget: BudgetConfig | None = None
    epochs: int | None = Field(default=None, ge=1, le=10_000)
    # More rows than any borough has residents would only copy the model's quirks at scale.
    rows: int | None = Field(default=None, ge=10, le=10_000_000)
    holdout_fraction: float = Field(default=0.2, gt=0, le=0.5)
    utility_target: str | None = None
    gate: ExtractGateConfig = Field(default_factory=ExtractGateConfig)
    recipient: RecipientConfig
    terms_of_use: Path | None = None

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
