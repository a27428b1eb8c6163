"""The disclosure gate of a synthetic extract.

Checks: the extract's own limits (exact copies of unique training records, attacker advantage
against a hold-out control, distance to closest record, structural rules); no real resident
unique on the quasi-identifiers reappears whole, hold-out people included; only declared columns
leave; and no identifier, postcode or planted canary of the input appears in any bundle file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from boroughkit.disclosure import gate
from boroughkit.disclosure.copies import ReproducedByPart, reproduced_by_part
from boroughkit.disclosure.leaks import scan_for_leaks
from boroughkit.disclosure.records import check_exact_matches
from boroughkit.disclosure.report import CheckResult, GateReport
from boroughkit.geography.bundle import GeographyBundle
from boroughkit.methods.synthetic_extract.config import DP_SYNTHESIS, SyntheticExtractRelease
from boroughkit.release.gating import area_labels
from boroughkit.synth import SynthSchema
from boroughkit.synth.evaluate.evidence import inconclusive, share_difference
from boroughkit.synth.evaluate.gate import SETTLE_COPIES, ExtractGate
from boroughkit.synth.evaluate.report import ExtractEvaluation


def extract_checks(
    release: SyntheticExtractRelease,
    evaluation: ExtractEvaluation,
    synthetic: pd.DataFrame,
    real: pd.DataFrame,
    schema: SynthSchema,
    train: pd.DataFrame | None = None,
) -> list[CheckResult]:
    """The record-level checks, before any file is written (the evaluation report shows them).

    With ``train`` (the part the synthesiser saw), whole copies of unique residents refuse the
    extract only when copying is shown: the residents used reappear more often than the hold-out
    residents, whom the synthesiser never saw (beyond chance, at 95 %). Otherwise the copies
    are an inconclusive finding for the approver.
    """
    limits = release.gate
    checks = ExtractGate(
        max_exact_match_share=limits.max_exact_match_share,
        max_attack_advantage=limits.max_attack_advantage,
        dcr_margin=limits.dcr_margin,
        exact_match_reference=limits.exact_match_reference,
        differentially_private=release.synthesiser in DP_SYNTHESIS,
    ).check(evaluation)
    # Everyone, hold-out included: the extract must not carry any unusual real person whole.
    # The share of rows equal to some real row is not limited: common records (a child with no
    # services in a large ward) match by chance; unique real records matter.
    synthetic_valid = schema.validate(synthetic, source="synthetic data")
    real_valid = schema.validate(real, source="real data")
    copies = check_exact_matches(
        synthetic_valid,
        real_valid,
        list(schema.quasi_identifiers),
        columns=schema.names,
        max_match_share=1.0,
        max_unique_reproduced=limits.max_unique_reproduced,
    )
    if train is not None and not copies.passed and release.synthesiser not in DP_SYNTHESIS:
        copies = copying_on_evidence(
            copies,
            reproduced_by_part(
                synthetic_valid,
                real_valid,
                schema.validate(train, source="training data"),
                list(schema.quasi_identifiers),
                schema.names,
            ),
        )
    if release.synthesiser in DP_SYNTHESIS and not copies.passed:
        # A DP model samples from noisy marginals and never sees a record whole: a real
        # person's combination reappearing is chance, and what it can reveal is bounded by ρ.
        copies = replace(
            copies,
            passed=True,
            superseded_by_dp=True,
            summary=copies.summary + " Superseded: the records were drawn from a differentially "
            "private model, so a reappearing combination is not a copy and what it reveals "
            "about any one resident is bounded by the privacy budget.",
        )
    return [*checks, copies]


def copying_on_evidence(copies: CheckResult, parts: ReproducedByPart) -> CheckResult:
    """Refuse whole copies of unique residents only when copying is shown; else inconclusive."""
    estimate = share_difference(
        parts.used_reproduced, parts.control_reproduced, max(parts.used, 1), max(parts.control, 1)
    )
    words = (
        f" Among them, {parts.used_reproduced / max(parts.used, 1):.2%} of those the "
        f"synthesiser saw against {parts.control_reproduced / max(parts.control, 1):.2%} of "
        f"hold-out residents it never saw (chance): difference {estimate.value:.2%}, 95% "
        f"interval {estimate.low:.2%} to {estimate.high:.2%}; "
    )
    if estimate.low > 0:
        return replace(copies, summary=copies.summary + words + "copying is shown.")
    return replace(
        copies,
        passed=True,
        findings=(),
        summary=copies.summary + words + "copying is not shown: inconclusive.",
        inconclusive=(
            inconclusive(
                "record-exact-matches-unique-residents",
                "excess share of residents unique on the quasi-identifiers reappearing whole "
                "(seen by the synthesiser vs hold-out)",
                estimate,
                0.0,
                SETTLE_COPIES,
            ),
        ),
    )


def extract_gate_report(
    release_id: str,
    checks: list[CheckResult],
    files: list[Path],
    allowed_columns: set[str],
    secrets: Mapping[str, Any],
    public_values: set[str],
    *,
    differentially_private: bool,
) -> GateReport:
    """Every check of the extract, with the file checks run on the written bundle."""
    report = GateReport(release_id, "synthetic-extract")
    report.checks += [
        gate.check_output_columns(files, allowed_columns),
        scan_for_leaks(files, secrets, public_values=public_values),
        *checks,
    ]
    report.notes.append(
        "Table rules (threshold, dominance, p%) do not apply: no table is published. The "
        "records are synthetic and were checked as records above."
    )
    if differentially_private:
        report.notes.append(
            "The synthesiser is differentially private: whatever an intruder knows, the "
            "extract changes little whether or not any one resident's record was used. The "
            "scores in the evaluation report compare with the real records and are not "
            "covered by that guarantee; they stay with the council and the recipient."
        )
    return report


def public_values(schema: SynthSchema, bundle: GeographyBundle) -> set[str]:
    """Values published on purpose: area codes and names, declared categories."""
    values = area_labels(bundle)
    for spec in schema.synthesised:
        if not spec.is_numeric:
            values |= {str(value) for value in spec.values}
    return values
