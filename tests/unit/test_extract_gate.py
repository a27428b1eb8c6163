"""The extract gate: a copied unusual resident fails a non-DP extract; DP supersedes the check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from boroughkit.methods.synthetic_extract.config import SyntheticExtractRelease
from boroughkit.methods.synthetic_extract.gate import extract_checks
from boroughkit.synth import schema_from_dict
from boroughkit.synth.evaluate.report import evaluate_extract

RECIPIENT = {
    "organisation": "University of Testing",
    "purpose": "Research on service take-up by ward.",
    "legal_basis": "public task",
    "agreement": "DSA-1",
    "expires": "2099-01-01",
}
SCHEMA = schema_from_dict(
    {
        "person_id": {"type": "id"},
        "ward_code": {"type": "string"},
        "age": {"type": "integer", "min": 0, "max": 100},
        "tenure": {"type": "category", "values": ["own", "rent"]},
    },
    area_column="ward_code",
    areas=["W1", "W2"],
    person_column="person_id",
    quasi_identifiers=["ward_code", "age"],
)


def people(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)  # fixed test data, not privacy noise
    frame = pd.DataFrame(
        {
            "person_id": [f"P{seed}-{i}" for i in range(n)],
            "ward_code": rng.choice(["W1", "W2"], n),
            "age": rng.integers(20, 60, n),
            "tenure": rng.choice(["own", "rent"], n),
        }
    )
    frame.loc[0, ["ward_code", "age", "tenure"]] = ["W2", 99, "rent"]  # the only 99-year-old
    return frame


@pytest.mark.parametrize(("synthesiser", "passes"), [("cart", False), ("dp_mst", True)])
def test_a_reappearing_unique_resident(synthesiser: str, passes: bool) -> None:
    train, holdout = people(600, 1), people(200, 2).iloc[1:]
    real = pd.concat([train, holdout], ignore_index=True)
    synthetic = people(600, 3).drop(columns="person_id")  # holds the 99-year-old's record
    options = {"budget": {"rho": 1}} if synthesiser == "dp_mst" else {}
    release = SyntheticExtractRelease(
        method="synthetic-extract",
        synthesiser=synthesiser,
        recipient=RECIPIENT,
        quasi_identifiers=["ward_code", "age"],
        **options,
    )
    evaluation = evaluate_extract(
        train, holdout, synthetic, SCHEMA, with_sdmetrics=False, with_utility=False
    )
    copies = extract_checks(release, evaluation, synthetic, real, SCHEMA)[-1]
    assert copies.id == "record-exact-matches"
    assert copies.metrics["unique_reproduced"] >= 1
    assert copies.passed is passes
    assert copies.superseded_by_dp is passes
