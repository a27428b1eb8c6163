"""Ptables: the generated maximum-entropy construction and reading the ONS CSV layout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from boroughkit.anonymise.ptable import PTable, generate_ptable, load_ptable
from boroughkit.errors import ConfigError, DataError

PARAMETER_SETS = [(5, 2.0, 4), (3, 1.0, 0), (4, 3.0, 3), (5, 0.5, 2), (6, 4.0, 5)]


@pytest.fixture(scope="module")
def default_ptable() -> PTable:
    return _generated(5, 2.0, 4)


@cache
def _generated(D: int, V: float, js: int) -> PTable:
    """Each parameter set is generated once per test session (generation solves small programs)."""
    return generate_ptable(D=D, V=V, js=js)


def _distribution(ptable: PTable, count: int) -> pd.Series:
    """Share of the 256 cell keys giving each perturbation, for one original count."""
    return pd.Series(ptable.pvalues[count]).value_counts(normalize=True).sort_index()


@pytest.mark.parametrize(("D", "V", "js"), PARAMETER_SETS)
def test_generated_rows_respect_support_blocking_and_non_negativity(D: int, V: float, js: int):
    ptable = _generated(D, V, js)
    counts = np.arange(ptable.max_pcv + 1)[:, None]
    perturbed = counts + ptable.pvalues
    assert ptable.pvalues.shape == (751, 256)
    assert np.abs(ptable.pvalues).max() <= D
    assert perturbed.min() >= 0
    assert not ((perturbed >= 1) & (perturbed <= js)).any()
    assert (ptable.pvalues[0] == 0).all()  # empty cells are never perturbed


@pytest.mark.parametrize(("D", "V", "js"), PARAMETER_SETS)
def test_generated_moments_mean_zero_and_target_variance(D: int, V: float, js: int):
    moments = _generated(D, V, js).moments().set_index("pcv")
    # 256 keys cannot always give a mean of exactly 0; one key moved by one step is 1/256
    assert moments["mean"].abs().max() <= 1 / 256
    free = moments.loc[js + 1 :]  # counts that may stay put can reach V itself
    assert np.allclose(free["variance"], V, atol=0.05)
    blocked = moments.loc[1:js]  # counts in 1..js must jump to 0 or above js
    assert (blocked["variance"] >= V - 0.05).all()


def test_blocked_counts_use_the_smallest_attainable_variance(default_ptable: PTable):
    # count 1 with js=4 may only become 0 (v=-1) or 5+ (v>=4): mean 0 forces variance >= 4
    row = _distribution(default_ptable, 1)
    assert set(row.index) <= {-1, 4, 5}
    assert row.loc[-1] == pytest.approx(0.8, abs=2 / 256)
    assert default_ptable.moments().set_index("pcv").loc[1, "variance"] == pytest.approx(
        4, abs=0.05
    )


def test_large_counts_share_the_symmetric_maximum_entropy_row(default_ptable: PTable):
    D, js = 5, 4
    reference = default_ptable.pvalues[D + js + 1]
    for count in (D + js + 2, 100, 500, 750):
        assert (np.sort(default_ptable.pvalues[count]) == np.sort(reference)).all()
    shares = _distribution(default_ptable, 200).reindex(range(-D, D + 1), fill_value=0)
    # maximum entropy under mean/variance constraints is a discretised Gaussian: symmetric
    # and falling away from 0
    assert np.allclose(shares.to_numpy(), shares.to_numpy()[::-1], atol=2 / 256)
    assert (np.diff(shares.loc[0:].to_numpy()) <= 1 / 256).all()
    assert shares.loc[0] == shares.max()


def test_counts_above_750_reuse_rows_501_to_750_cycling(default_ptable: PTable):
    counts = np.array([1, 750, 751, 1000, 1001, 1250, 1251, 10_000])
    expected = np.where(counts <= 750, counts, (counts - 1) % 250 + 501)
    assert (default_ptable.pcv_for(counts) == expected).all()


def test_csv_roundtrip_keeps_every_pvalue(default_ptable: PTable, tmp_path: Path):
    path = tmp_path / "ptable.csv"
    default_ptable.to_frame().to_csv(path, index=False)
    loaded = load_ptable(path)
    assert (loaded.pvalues == default_ptable.pvalues).all()
    assert loaded.label == "ptable.csv"


def test_loads_the_ons_10_5_rule_ptable(tmp_path: Path):
    from cell_key_perturbation.utils.generate_test_ptable import generate_ptable_10_5_rule

    path = tmp_path / "ptable_10_5_rule.csv"
    generate_ptable_10_5_rule().to_csv(path, index=False)
    ptable = load_ptable(path)
    counts = np.arange(1, 751)
    perturbed = counts + ptable.lookup(counts, np.zeros_like(counts))
    assert (perturbed[counts < 10] == 0).all()
    assert (perturbed[counts >= 10] % 5 == 0).all()
    assert np.abs(perturbed - counts)[counts >= 10].max() <= 2


def test_optional_pcv_zero_rows_are_accepted_when_they_do_not_perturb(
    default_ptable: PTable, tmp_path: Path
):
    frame = default_ptable.to_frame()
    zero = pd.DataFrame({"pcv": 0, "ckey": range(256), "pvalue": 0})
    path = tmp_path / "with_zero.csv"
    pd.concat([zero, frame]).to_csv(path, index=False)
    assert (load_ptable(path).pvalues == default_ptable.pvalues).all()


def _write(frame: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "bad_ptable.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: f.drop(columns="pvalue"), "'pvalue' is missing"),
        (lambda f: f.rename(columns={"ckey": "cell_key"}), "'ckey' is missing"),
        (lambda f: f.assign(pvalue=f["pvalue"].astype(float) + 0.5), "not a whole number"),
        (lambda f: f.iloc[:-1], "missing"),
        (lambda f: pd.concat([f, f.iloc[[7]]]), "repeats"),
        (lambda f: f.assign(ckey=f["ckey"].where(f.index != 3, 256)), "outside 0..255"),
        (lambda f: f.assign(pvalue=f["pvalue"].where(f.index != 0, -5)), "negative"),
        (lambda f: f[f["pcv"] <= 200], "stops at 200"),
    ],
)
def test_bad_layouts_raise_data_errors_naming_file_and_column(
    default_ptable: PTable, tmp_path: Path, damage, message: str
):
    path = _write(damage(default_ptable.to_frame()), tmp_path)
    with pytest.raises(DataError) as raised:
        load_ptable(path)
    assert message in str(raised.value)
    assert "bad_ptable.csv" in str(raised.value)
    assert raised.value.fix


def test_perturbing_empty_cells_is_refused(default_ptable: PTable, tmp_path: Path):
    zero = pd.DataFrame({"pcv": 0, "ckey": range(256), "pvalue": 1})
    path = _write(pd.concat([zero, default_ptable.to_frame()]), tmp_path)
    with pytest.raises(DataError, match="perturbs an empty cell"):
        load_ptable(path)


def test_unreadable_file_is_a_data_error(tmp_path: Path):
    with pytest.raises(DataError, match=r"nothing\.csv"):
        load_ptable(tmp_path / "nothing.csv")


@pytest.mark.parametrize(
    "parameters",
    [{"D": 0}, {"V": 0.0}, {"V": 25.0}, {"js": -1}, {"js": 5}, {"max_count": 200}],
)
def test_impossible_parameters_raise_config_errors(parameters: dict[str, float]):
    with pytest.raises(ConfigError):
        generate_ptable(**parameters)  # type: ignore[arg-type]


def test_ptable_values_cannot_be_edited(default_ptable: PTable):
    with pytest.raises(ValueError):
        default_ptable.pvalues[5, 5] = 3


def test_generation_is_deterministic(default_ptable: PTable):
    # a ptable that changed between releases would let differencing undo the perturbation
    assert (generate_ptable(D=5, V=2.0, js=4).pvalues == default_ptable.pvalues).all()


def test_a_ptable_value_cannot_make_negative_counts_or_perturb_zeros():
    negative = np.zeros((751, 256), dtype=np.int64)
    negative[3, 9] = -4
    with pytest.raises(DataError, match="negative"):
        PTable(negative, label="hand-made")
    with pytest.raises(DataError, match="shape"):
        PTable(np.zeros((100, 256), dtype=np.int64), label="short")
