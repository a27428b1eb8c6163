"""An extract of NIST's ma2019 excerpt (80/20, default gate limits) is never refused without
evidence: it passes, or stops at approval with named inconclusive findings."""

from __future__ import annotations

import re

import pandas as pd

from boroughkit.methods.synthetic_extract.config import SyntheticExtractRelease
from boroughkit.methods.synthetic_extract.gate import extract_checks
from boroughkit.privacy.dp_budget import DPBudget
from boroughkit.synth import make_synthesiser, schema_for_ma2019
from boroughkit.synth.evaluate.report import evaluate_extract, split_holdout
from tests.helpers.shared_data import SHARED_DATA

NIST = SHARED_DATA / "nist_crc"
RECIPIENT = {
    "organisation": "University of Testing",
    "purpose": "Research on disability and income.",
    "legal_basis": "UK GDPR Article 6(1)(e) public task",
    "agreement": "DSA-MA-1",
    "expires": "2099-12-31",
}


def test_dp_mst_extract_of_ma2019_passes_or_waits_for_named_acceptance() -> None:
    schema = schema_for_ma2019(NIST / "data_dictionary.json", code_list_path=NIST / "ma2019.json")
    real = pd.read_csv(NIST / "ma2019.csv", na_values="N")
    train, holdout = split_holdout(real, 0.2, seed=0)
    synthesiser = make_synthesiser("dp_mst", schema, budget=DPBudget.epsilon_delta(1.0, 1e-9))
    synthetic = synthesiser.fit(train).sample(len(train))
    evaluation = evaluate_extract(
        train, holdout, synthetic, schema, with_sdmetrics=False, with_utility=False
    )
    release = SyntheticExtractRelease(
        method="synthetic-extract",
        synthesiser="dp_mst",
        budget={"rho": 1},
        recipient=RECIPIENT,
        quasi_identifiers=list(schema.quasi_identifiers),
    )
    checks = extract_checks(release, evaluation, synthetic, real, schema, train)
    # DP noise is not seeded, so a draw may show an attack's advantage; a refusal must then
    # rest on evidence: every refused attack's whole interval lies above the limit.
    refused = [check for check in checks if not check.passed]
    assert all(check.id == "synthetic-attacks" for check in refused), [c.summary for c in refused]
    for finding in (finding for check in refused for finding in check.findings):
        low = float(re.search(r"95% interval (-?[0-9.]+) to", finding.detail).group(1))
        assert low > release.gate.max_attack_advantage, finding.detail
    findings = [finding for check in checks for finding in check.inconclusive]
    assert len({finding.id for finding in findings}) == len(findings)
    for finding in findings:
        low, high = finding.interval
        assert low <= finding.limit < high
        assert "smaller privacy budget" in finding.settle or "larger hold-out" in finding.settle
    # The SDNist-exact scores are there, on SDNist's own rules, size-matched with the ceiling.
    assert evaluation.sdnist is not None and evaluation.sdnist.rules == "nist"
    assert 700 < evaluation.sdnist.synthetic < evaluation.sdnist.holdout_ceiling
