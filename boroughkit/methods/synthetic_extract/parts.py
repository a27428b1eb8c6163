"""The parts of a synthetic-extract run: terms, synthesiser, size, outputs and secrets."""

from __future__ import annotations

from typing import Any

from boroughkit.errors import ConfigError
from boroughkit.methods.synthetic_extract.config import DP_SYNTHESIS, SyntheticExtractRelease
from boroughkit.privacy.budget import Rho
from boroughkit.release.manifest import PUBLIC_ROUNDING
from boroughkit.release.plan import Plan
from boroughkit.synth import SynthSchema, make_synthesiser
from boroughkit.synth.households import HouseholdCART


def terms_of_use(plan: Plan, release: SyntheticExtractRelease) -> str | None:
    """The council's own terms of use, read before any work (None: the standard terms)."""
    if release.terms_of_use is None:
        return None
    path = plan.loaded.resolve(release.terms_of_use)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(
            f"release.terms_of_use: cannot read {path} ({error})",
            fix="give a UTF-8 text or Markdown file (relative paths start at the config's folder)",
        ) from error


def make_extract_synthesiser(
    release: SyntheticExtractRelease, schema: SynthSchema, seed: int | None, rho: Rho
) -> Any:
    """The configured synthesiser; a DP one spends no more than the ledger charged."""
    options: dict[str, Any] = {}
    if release.min_leaf is not None:
        options["min_leaf"] = release.min_leaf
    if release.households:
        return HouseholdCART(schema, seed=seed, **options)
    if release.synthesiser in DP_SYNTHESIS:
        options["budget"] = rho  # exact; the synthesiser rounds it down for OpenDP
    else:
        options["seed"] = seed
    if release.epochs is not None:
        options["epochs"] = release.epochs
    return make_synthesiser(release.synthesiser, schema, **options)


def rows_to_draw(release: SyntheticExtractRelease, synthesiser: Any, people: int) -> int:
    """Rows to draw: as configured; else about as many as people (for a DP model, its own noisy
    estimate), to the nearest hundred."""
    if release.rows is not None:
        return release.rows
    estimated = getattr(synthesiser, "estimated_rows", None)
    if release.synthesiser in DP_SYNTHESIS and estimated is not None:
        # The model saw the training part only: scale its estimate back to everyone.
        people = round(estimated / (1 - release.holdout_fraction))
    # Rounded like every published count of the input: the extract's size is shared too.
    return max(PUBLIC_ROUNDING, round(people / PUBLIC_ROUNDING) * PUBLIC_ROUNDING)


def declared_outputs(schema: SynthSchema) -> set[str]:
    """The columns an extract may carry: the schema's, and a fresh household id if kept."""
    return {*schema.names, *([schema.household_column] if schema.household_column else [])}
