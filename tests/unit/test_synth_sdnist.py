"""The SDNist-exact k-marginal: SDNist 2.4's bins, value checks, headline and per-PUMA scores.

Expected values are computed here by SDNist's own formula (pandas group-bys of binned frames),
independently of the module's integer-code implementation.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from boroughkit.errors import DataError
from boroughkit.synth.evaluate.report import split_holdout
from boroughkit.synth.evaluate.sdnist import (
    generic_rules,
    nist_rules,
    sdnist_kmarginal,
)
from boroughkit.synth.evaluate.sdnist_bins import (
    density_bins,
    percentile_bin_synthetic,
    percentile_bin_target,
)
from tests.helpers.shared_data import SHARED_DATA

NIST = SHARED_DATA / "nist_crc"


def _frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "PUMA": rng.choice(["25-00503", "25-00703", "25-01000"], n, p=[0.5, 0.3, 0.2]),
            "SEX": rng.integers(1, 3, n),
            "MSP": rng.choice([1.0, 2.0, 3.0, np.nan], n),
            "HISP": rng.integers(0, 5, n),
        }
    )


def _sdnist_formula(target: pd.DataFrame, synthetic: pd.DataFrame) -> tuple[float, pd.Series]:
    """SDNist's KMarginal._compute_score_grouped on already-binned frames."""
    columns = sorted(c for c in target.columns if c != "PUMA")
    l1 = []
    group_total = pd.Series(0.0, index=sorted(target["PUMA"].unique()))
    n_group = target.groupby("PUMA").size()
    for a, b in itertools.combinations(columns, 2):
        keys = ["PUMA", a, b]
        t_den = target.groupby(keys).size() / len(target)
        s_den = synthetic.groupby(keys).size() / len(synthetic)
        diff = t_den.subtract(s_den, fill_value=0).abs()
        t_sum, d_sum = t_den.groupby("PUMA").sum(), diff.groupby("PUMA").sum()
        group_total += np.minimum(t_sum, d_sum) * len(target) / n_group
        l1.append(diff.sum())
    n_pairs = len(l1)
    return (2 - np.mean(l1)) * 500, (1 - group_total / n_pairs) * 1000


def test_identical_files_score_1000_overall_and_per_puma() -> None:
    data = _frame(np.random.default_rng(1), 500)
    result = sdnist_kmarginal(data, data.copy())
    assert result.score == pytest.approx(1000.0)
    assert all(score == pytest.approx(1000.0) for score in result.per_area)
    assert result.columns == ("HISP", "MSP", "SEX")


def test_headline_puts_puma_into_every_marginal_and_matches_sdnists_formula() -> None:
    rng = np.random.default_rng(2)
    target, synthetic = _frame(rng, 800), _frame(rng, 300)
    synthetic.loc[:100, "SEX"] = 1  # a real difference
    result = sdnist_kmarginal(target, synthetic)
    binned_t, binned_s = target.fillna(-1), synthetic.fillna(-1)
    score, per_puma = _sdnist_formula(binned_t, binned_s)
    assert result.score == pytest.approx(score, abs=1e-9)
    assert result.per_area.to_dict() == pytest.approx(per_puma.to_dict(), abs=1e-9)
    assert result.score < 1000


def test_a_puma_missing_from_the_synthetic_data_scores_zero_there() -> None:
    data = _frame(np.random.default_rng(3), 600)
    synthetic = data[data["PUMA"] != "25-01000"].reset_index(drop=True)
    result = sdnist_kmarginal(data, synthetic)
    assert result.per_area["25-01000"] == pytest.approx(0.0)
    score, per_puma = _sdnist_formula(data.fillna(-1), synthetic.fillna(-1))
    assert result.score == pytest.approx(score, abs=1e-9)
    assert result.per_area.to_dict() == pytest.approx(per_puma.to_dict(), abs=1e-9)


def test_missing_may_be_nan_or_n() -> None:
    data = _frame(np.random.default_rng(4), 400)
    as_text = data.astype({"MSP": object})
    as_text["MSP"] = as_text["MSP"].map(lambda v: "N" if pd.isna(v) else str(int(v)))
    assert sdnist_kmarginal(data, as_text).score == pytest.approx(1000.0)


def test_percentile_bins_of_twenty_distinct_values_and_sdnists_synthetic_quirk() -> None:
    target = pd.Series(range(1, 21))
    labels, maxima = percentile_bin_target(target)
    # rank k/20 goes to bin int(20 k / 20) = k; the top rank (1.0) to bin 19; bin 0 is empty.
    assert labels.tolist() == [*range(1, 20), 19]
    assert maxima[0] == (1, 1)
    synthetic = pd.Series([0, 1, 2, 5.9, 20, 500, np.nan])
    # SDNist starts bin 1 above 0, so 0 keeps its raw value; fractions are truncated.
    assert percentile_bin_synthetic(synthetic, maxima).tolist() == [0, 1, 2, 5, 19, 19, -1]


def test_ties_share_their_average_rank_bin() -> None:
    target = pd.Series([0] * 50 + list(range(1, 51)))
    labels, maxima = percentile_bin_target(target)
    assert set(labels[:50]) == {5}  # average rank 25.5 / 100
    assert maxima[0] == (5, 0)
    # 1 has rank 51 / 100: bin 10. With no bin 0, SDNist's first bin is (0, its maximum] =
    # (0, 0], so synthetic values ≤ 0 keep their raw value: the tied zeros never match.
    assert labels[50] == 10
    assert percentile_bin_synthetic(pd.Series([-3, 0, 1]), maxima).tolist() == [-3, 0, 10]


def test_density_bins_follow_sdnists_log_edges() -> None:
    values = pd.Series([100.0, 151.0, -5.0, 60_000.0, np.nan, 400.0, 2000.0, 2646.78])
    codes = density_bins(values, 52864.7)
    # Edges 0, 150, then the 9th to 21st of 21 log steps from 10 to 53364.7 (309.7, 475.6, ...,
    # 1723.3, 2646.8, ...): 14 bins. -5 is set to 0, which (0, 150] leaves out; 60000 is set
    # to 53264.7, in the last bin. 2646.78 is above the edge 2646.76 but SDNist first casts it
    # to 2646, below.
    assert codes.tolist() == [0, 1, -1, 13, -1, 2, 6, 6]


def test_dictionary_drops_a_column_with_unknown_codes_or_unlisted_missing_values() -> None:
    dictionary = json.loads((NIST / "data_dictionary.json").read_text())
    rng = np.random.default_rng(5)
    target = _frame(rng, 300)
    synthetic = _frame(rng, 300)
    target["DEYE"] = synthetic["DEYE"] = 1
    synthetic.loc[0, "HISP"] = 9
    synthetic.loc[1, "SEX"] = np.nan
    result = sdnist_kmarginal(target, synthetic, rules=nist_rules(dictionary))
    assert set(result.dropped) == {"HISP", "SEX"}
    assert result.columns == ("DEYE", "MSP")
    assert "dictionary" in result.dropped["HISP"]
    with pytest.raises(DataError, match="two columns"):
        sdnist_kmarginal(
            target[["PUMA", "SEX", "HISP"]],
            synthetic[["PUMA", "SEX", "HISP"]],
            rules=nist_rules(dictionary),
        )


def test_generic_rules_bin_numbers_by_percentile_and_pair_text_columns() -> None:
    rng = np.random.default_rng(6)
    target = pd.DataFrame(
        {
            "ward": rng.choice(["a", "b"], 400),
            "age": rng.integers(0, 90, 400),
            "tenure": rng.choice(["own", "rent"], 400),
        }
    )
    rules = generic_rules(["age"], group_column="ward")
    assert sdnist_kmarginal(target, target, rules=rules).score == pytest.approx(1000.0)
    shifted = target.assign(age=target["age"] + 30)
    assert sdnist_kmarginal(target, shifted, rules=rules).score < 900


def test_ma2019_holdout_against_training_part_is_high_but_below_1000() -> None:
    real = pd.read_csv(NIST / "ma2019.csv", na_values="N")
    dictionary = json.loads((NIST / "data_dictionary.json").read_text())
    train, holdout = split_holdout(real, 0.2, seed=0)
    result = sdnist_kmarginal(train, holdout, rules=nist_rules(dictionary))
    assert len(result.columns) == 22 and not result.dropped
    assert 800 < result.score < 1000
    assert set(result.per_area.index) == set(real["PUMA"])
