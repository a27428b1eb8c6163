"""Record-level risk on real person-level microdata (NIST CRC excerpt, Massachusetts 2019)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from boroughkit.disclosure.records import (
    RecordRiskLimits,
    assess_record_risk,
    check_exact_matches,
    check_household_uniques,
    check_k_anonymity,
    check_sample_uniques,
    class_sizes,
    household_signatures,
)
from boroughkit.errors import ConfigError, DataError
from tests.helpers.shared_data import SHARED_DATA

NIST = SHARED_DATA / "nist_crc" / "ma2019.csv"
QIS = ["PUMA", "AGEP", "SEX", "RAC1P"]


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    return pd.read_csv(NIST, na_values="N")


def _pandas_class_sizes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    keys = frame[columns].astype(str).agg("|".join, axis=1)
    return keys.map(keys.value_counts()).to_numpy()


def test_k_anonymity_matches_a_plain_groupby(people: pd.DataFrame) -> None:
    expected = _pandas_class_sizes(people, QIS)
    assert (class_sizes(people, QIS) == expected).all()
    result = check_k_anonymity(people, QIS, min_k=5)
    assert result.metrics["min_k_found"] == expected.min()
    assert result.metrics["records_below_k"] == int((expected < 5).sum())
    assert result.passed is False and result.category == "record-k-anonymity"
    smallest = result.findings[0]
    mask = np.ones(len(people), dtype=bool)
    for column in QIS:
        mask &= (people[column] == smallest.where[column]).to_numpy()
    assert mask.sum() == expected.min()


def test_k_anonymity_passes_on_coarse_quasi_identifiers(people: pd.DataFrame) -> None:
    coarse = people.assign(AGE_BAND=(people["AGEP"] // 20) * 20)
    sizes = _pandas_class_sizes(coarse, ["PUMA", "AGE_BAND", "SEX"])
    result = check_k_anonymity(coarse, ["PUMA", "AGE_BAND", "SEX"], min_k=5)
    assert result.passed is bool(sizes.min() >= 5)
    assert result.passed and not result.findings


def test_sample_uniques_share(people: pd.DataFrame) -> None:
    expected = (_pandas_class_sizes(people, QIS) == 1).mean()
    result = check_sample_uniques(people, QIS, max_unique_share=0.01)
    assert result.metrics["unique_share"] == pytest.approx(expected)
    assert result.passed is bool(expected <= 0.01)
    loose = check_sample_uniques(people, QIS, max_unique_share=expected)
    assert loose.passed


def test_numbers_compare_by_value_and_missing_values_match() -> None:
    left = pd.DataFrame({"age": [30, 30, 31], "sex": ["F", None, "M"], "flag": [-0.0, 1.0, 0.0]})
    right = left.astype({"age": "float64", "sex": "string"}).assign(flag=[0.0, 1.0, 0.0])
    both = pd.concat([left, right], ignore_index=True)
    assert class_sizes(both, ["age", "sex", "flag"]).tolist() == [2, 2, 2, 2, 2, 2]


def test_household_signature_ignores_member_order_and_counts_make_up() -> None:
    records = pd.DataFrame(
        {
            "uprn": [1, 1, 2, 2, 3, 3, 3, None],
            "age": [34, 5, 5, 34, 34, 5, 5, 34],
            "sex": ["F", "M", "M", "F", "F", "M", "M", "F"],
        }
    )
    signatures = household_signatures(records, "uprn", ["age", "sex"])
    assert len(signatures) == 4  # three addresses and one record without an address
    by_id = dict(zip(signatures.index, signatures, strict=True))
    assert by_id[1] == by_id[2] and by_id[1] != by_id[3]
    result = check_household_uniques(records, "uprn", ["age", "sex"], max_unique_share=0.0)
    assert result.metrics["unique_households"] == 2 and not result.passed


def test_household_uniques_match_sorted_tuples(people: pd.DataFrame) -> None:
    rng = np.random.default_rng(7)
    frame = people.assign(hh=rng.integers(0, 2500, len(people)))
    keys = frame[QIS].astype(str).agg("|".join, axis=1)
    make_up = keys.groupby(frame["hh"]).agg(lambda members: "/".join(sorted(members)))
    expected = int((make_up.map(make_up.value_counts()) == 1).sum())
    result = check_household_uniques(frame, "hh", QIS)
    assert result.metrics["unique_households"] == expected
    assert result.metrics["households"] == frame["hh"].nunique()
    shuffled = frame.sample(frac=1.0, random_state=3)
    assert check_household_uniques(shuffled, "hh", QIS).metrics == result.metrics


def test_copied_records_are_found(people: pd.DataFrame) -> None:
    sample = people.sample(3000, random_state=11)
    result = check_exact_matches(sample, people, QIS, max_findings=len(people))
    assert not result.passed and result.metrics["exact_match_share"] == 1.0
    unique_rows = people.index[_pandas_class_sizes(people, QIS) == 1]
    expected = set(unique_rows) & set(sample.index)
    assert {f.where["input_row"] for f in result.findings} == expected
    assert result.metrics["unique_reproduced"] == len(expected)


def test_shuffled_columns_break_copies_and_pass(people: pd.DataFrame) -> None:
    rng = np.random.default_rng(5)
    synthetic = pd.DataFrame(
        {c: people[c].to_numpy()[rng.permutation(len(people))] for c in people.columns}
    )
    full = synthetic.astype(str).agg("|".join, axis=1)
    source = set(people.astype(str).agg("|".join, axis=1))
    expected_share = full.isin(source).mean()
    result = check_exact_matches(synthetic, people, QIS, max_match_share=0.01)
    assert result.metrics["exact_match_share"] == pytest.approx(expected_share)
    assert result.passed is bool(expected_share <= 0.01 and not result.findings)


def test_assess_record_risk_applies_the_limits(people: pd.DataFrame) -> None:
    lenient = RecordRiskLimits(min_k=2, max_share_below_k=1.0, max_unique_share=1.0)
    results = assess_record_risk(people, QIS, limits=lenient)
    assert [r.category for r in results] == ["record-k-anonymity", "record-uniques"]
    assert all(r.passed for r in results)
    strict = assess_record_risk(people, QIS, source=people, household="PUMA")
    assert len(strict) == 4 and not any(r.passed for r in strict)


def test_errors_name_the_column_and_fix(people: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="'AGE'") as error:
        check_k_anonymity(people, ["PUMA", "AGE"])
    assert error.value.fix
    with pytest.raises(ConfigError, match="min_k"):
        check_k_anonymity(people, QIS, min_k=1)
    with pytest.raises(ConfigError, match="quasi-identifier"):
        check_sample_uniques(people, [])


def test_all_checks_on_200k_rows_find_every_copy(people: pd.DataFrame) -> None:
    big = people.sample(200_000, replace=True, random_state=2).reset_index(drop=True)
    big["hh"] = np.random.default_rng(2).integers(0, 80_000, len(big))
    results = assess_record_risk(big, QIS, source=people, household="hh")
    # Every output row is a resampled input row, so all copies are found.
    assert results[-1].metrics["exact_match_share"] == 1.0
