"""The manifest and the method-and-privacy statement of a synthetic extract."""

from __future__ import annotations

from typing import Any

from boroughkit.geography.bundle import GeographyBundle
from boroughkit.methods.synthetic_extract.config import DP_SYNTHESIS, SyntheticExtractRelease
from boroughkit.release.context import RunContext
from boroughkit.release.manifest import geography_block, identity_block, zcdp_block
from boroughkit.release.plan import Plan
from boroughkit.synth import SynthSchema
from boroughkit.synth.evaluate.report import ExtractEvaluation

_METHODS = {
    "cart": "sequential CART (each column drawn from a decision tree fitted on the columns "
    "before it; leaves of at least a minimum size, numeric leaves smoothed)",
    "gaussian_copula": "SDV Gaussian copula",
    "ctgan": "SDV CTGAN (a generative adversarial network)",
    "tvae": "SDV TVAE (a variational autoencoder)",
    "dp_mst": "MST: a differentially private tree of two-way marginals measured with OpenDP",
    "dp_aim": "AIM-style adaptive selection of two-way marginals measured with OpenDP",
}


def _release(plan: Plan) -> SyntheticExtractRelease:
    release = plan.loaded.config.release
    assert isinstance(release, SyntheticExtractRelease)
    return release


def extract_privacy(plan: Plan) -> dict[str, Any]:
    """The manifest's privacy block: the DP budget, or what protects a non-DP extract."""
    release = _release(plan)
    if release.synthesiser in DP_SYNTHESIS:
        mechanism = f"{release.synthesiser} marginal synthesis (OpenDP, Gaussian noise)"
        return {
            **zcdp_block(plan.rho, mechanism),
            "domain": "declared category lists and public bin edges; nothing from the data",
        }
    return {
        "definition": "synthetic records without a formal guarantee, checked by the "
        "disclosure gate (exact copies, distance to closest record, attacks)",
    }


def extract_manifest(
    plan: Plan,
    release_id: str,
    context: RunContext,
    bundle: GeographyBundle,
    synthesiser: dict[str, Any],
    evaluation: ExtractEvaluation,
    dataset: str,
    version: str,
    columns: list[str],
    schema: SynthSchema,
) -> dict[str, Any]:
    """The manifest document (the writer adds the files and the publication block).

    ``evaluation`` is the rounded copy to share and ``synthesiser`` the public description
    (:mod:`boroughkit.synth.evaluate.sharing`): the manifest leaves the council with the
    bundle. The input facts and the hold-out's split seed are not in it (they are private).
    """
    config, release = plan.loaded.config, _release(plan)
    recipient = release.recipient
    scores = evaluation.to_dict()
    return {
        **identity_block(plan, release_id, context, dataset, version),
        "method_statement": method_sentence(plan),
        "privacy": extract_privacy(plan),
        "access": "restricted",
        "recipient": {**recipient.model_dump(), "expires": recipient.expires.isoformat()},
        "extract": {
            "synthesiser": synthesiser,
            "area_level": release.area_level,
            "columns": columns,
            "quasi_identifiers": list(release.quasi_identifiers),
            "rows": evaluation.rows["synthetic"],
            "holdout_fraction": release.holdout_fraction,
            "schema_source": "declared in the config (source.columns); categories and numeric "
            "bin edges are public declarations, never read from the data",
            "numeric_bins": numeric_bins(plan, schema),
        },
        "evaluation": {
            "kmarginal": scores["kmarginal"]["synthetic"],
            "kmarginal_holdout_ceiling": scores["kmarginal"]["holdout_ceiling"],
            "utility": scores["utility"],
            "unique_exact_match_share": scores["exact_matches"]["all_columns"]["share"],
            "max_attack_advantage_upper": max(
                (a.advantage_interval[1] for a in evaluation.attacks if a.informative),
                default=0.0,
            ),
        },
        "geography": geography_block(bundle),
        "licence": {
            "id": "data-sharing-agreement",
            "title": f"Data sharing agreement {recipient.agreement} (not open data)",
            "url": None,
            "attribution": [config.publish.publisher.organisation],
        },
        "publisher": config.publish.publisher.organisation,
    }


def numeric_bins(plan: Plan, schema: SynthSchema) -> dict[str, dict[str, Any]]:
    """Each numeric column's bin edges and where they came from (never from the data)."""
    given = _release(plan).bins
    return {
        spec.name: {
            "edges": list(spec.bins),
            "source": "public cut points in release.bins"
            if spec.name in given
            else "ten equal-width bins between the declared min and max",
        }
        for spec in schema.synthesised
        if spec.is_numeric
    }


def method_sentence(plan: Plan) -> str:
    """One sentence for the catalogue and the registers."""
    release = _release(plan)
    return (
        f"Synthetic records at {release.area_level} level made with "
        f"{_METHODS[release.synthesiser]}; no row is a real resident. Issued to "
        f"{release.recipient.organisation} under agreement {release.recipient.agreement}."
    )


def extract_statement(plan: Plan, evaluation: ExtractEvaluation) -> str:
    """``method-and-privacy.md``: how the extract was made and what protects residents."""
    config, release = plan.loaded.config, _release(plan)
    privacy = extract_privacy(plan)
    if "rho" in privacy:
        guarantee = (
            f"The synthesiser is differentially private: ρ = {privacy['rho']} (zCDP; "
            f"ε = {privacy['epsilon_at_delta_1e-7']} at δ = 10⁻⁷), charged to the council's "
            "privacy ledger for these records. Category lists and bin edges come from the "
            "declared schema, never from the data."
        )
    else:
        guarantee = (
            "This method gives no formal privacy guarantee. The extract was released only "
            "because it passed the disclosure gate: no unusual real record is copied, synthetic "
            "records are no closer to real people than new people are, and linkage and "
            "inference attacks do no better on the people used than on people held out."
        )
    return "\n".join(
        [
            f"# {config.name}: method and privacy statement",
            "",
            config.description or "",
            "",
            "## How the extract was made",
            "",
            f"- Method: {_METHODS[release.synthesiser]}.",
            f"- Area: {release.area_level} (column `{release.area_level}_code`); "
            "no finer location.",
            f"- One row per person{'; households kept together' if release.households else ''}.",
            f"- A random {release.holdout_fraction:.0%} of people were held out before fitting, "
            "to score the extract against people it never saw.",
            f"- Rows: {evaluation.rows['synthetic']}.",
            "",
            "## What protects residents",
            "",
            guarantee,
            "",
            "## How good it is",
            "",
            f"Two-way k-marginal fidelity {evaluation.fidelity.score:.0f} of 1000 (real hold-out: "
            f"{evaluation.ceiling.score:.0f}). See evaluation.html. The evaluation compares "
            "with the real records: its scores are for the council and the recipient, "
            "not for publication.",
            "",
        ]
    )
