"""Cell-key perturbation (cell keys, threshold, rounding, empty cells) and the record-key store."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy.stats import chisquare

from boroughkit.anonymise.cellkey import perturb_counts
from boroughkit.anonymise.keystore import KeyStore, derived_key
from boroughkit.anonymise.ptable import PTable, generate_ptable
from boroughkit.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def ptable() -> PTable:
    return generate_ptable()


def _constant_ptable(shift: int) -> PTable:
    """Every non-empty cell moves by ``shift`` (never below zero)."""
    table = np.full((751, 256), shift, dtype=np.int64)
    table[0] = 0
    counts = np.arange(751)[:, None]
    return PTable(np.maximum(table, -counts), label=f"constant{shift}")


def _ckey_ptable() -> PTable:
    """The perturbation *is* the cell key, so the output reveals the cell key for the test."""
    table = np.tile(np.arange(256, dtype=np.int64), (751, 1))
    table[0] = 0
    return PTable(table, label="ckey")


def _records(rng: np.random.Generator, n: int = 3000) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area": rng.choice(["A01", "A02", "A03", "A04"], n),
            "tenure": rng.choice(["own", "rent", "social"], n, p=[0.6, 0.3, 0.1]),
            "key": rng.integers(0, 256, n),
        }
    )


def test_cell_key_is_the_sum_of_record_keys_mod_256():
    records = _records(np.random.default_rng())
    result = perturb_counts(
        records,
        group_by=["area", "tenure"],
        record_key="key",
        ptable=_ckey_ptable(),
        threshold=0,
        rounding_base=1,
    ).table.set_index(["area", "tenure"])
    for keys, cell in records.groupby(["area", "tenure"]):
        expected_ckey = sum(int(k) for k in cell["key"]) % 256
        assert result.at[keys, "count"] == len(cell) + expected_ckey


def test_same_contributors_get_the_same_perturbation_in_any_table(ptable: PTable):
    records = _records(np.random.default_rng())
    by_area = perturb_counts(records, group_by=["area"], record_key="key", ptable=ptable)
    # the same area cells again, this time as a slice of a bigger table with a constant column
    records["all"] = "everyone"
    wider = perturb_counts(records, group_by=["all", "area"], record_key="key", ptable=ptable)
    assert by_area.table["count"].tolist() == wider.table["count"].tolist()


def test_threshold_applies_to_the_perturbed_count():
    records = pd.DataFrame({"g": ["low"] * 7 + ["high"] * 10, "key": 0})
    up = perturb_counts(
        records, group_by=["g"], record_key="key", ptable=_constant_ptable(5), rounding_base=1
    ).table.set_index("g")
    assert up.loc["low", "count"] == 12 and up.loc["low", "status"] == "published"
    down = perturb_counts(
        records, group_by=["g"], record_key="key", ptable=_constant_ptable(-2), rounding_base=1
    ).table.set_index("g")
    assert down.loc["high", "count"] is pd.NA and down.loc["high", "status"] == "suppressed"


@pytest.mark.parametrize(
    ("size", "base", "expected"),
    [(12, 5, 10), (13, 5, 15), (15, 10, 20), (14, 10, 10), (17, 1, 17), (23, 3, 24)],
)
def test_rounding_to_the_nearest_multiple_halves_up(size: int, base: int, expected: int):
    records = pd.DataFrame({"g": ["x"] * size, "key": 0})
    table = perturb_counts(
        records, group_by=["g"], record_key="key", ptable=_constant_ptable(0), rounding_base=base
    ).table
    assert table["count"].iloc[0] == expected


def test_empty_listed_cells_stay_zero_and_are_suppressed_under_a_threshold():
    records = pd.DataFrame({"area": ["A"] * 40, "key": np.arange(40)})
    all_groups = pd.DataFrame({"area": ["A", "B"]})
    ptable = _constant_ptable(3)
    kept = perturb_counts(
        records, group_by=["area"], record_key="key", ptable=ptable, all_groups=all_groups
    ).table.set_index("area")
    assert kept.loc["B", "status"] == "suppressed" and kept.loc["B", "count"] is pd.NA
    assert kept.loc["A", "count"] == 45  # 40 + 3, rounded to base 5
    shown = perturb_counts(
        records,
        group_by=["area"],
        record_key="key",
        ptable=ptable,
        all_groups=all_groups,
        threshold=0,
    ).table.set_index("area")
    assert shown.loc["B", "count"] == 0 and shown.loc["B", "status"] == "published"


def test_all_groups_order_is_kept_and_the_grid_covers_unobserved_combinations():
    records = pd.DataFrame({"a": ["x", "y", "y"], "b": [1, 1, 2], "key": [1, 2, 3]})
    grid = perturb_counts(records, group_by=["a", "b"], record_key="key", ptable=_ckey_ptable())
    assert list(zip(grid.table["a"], grid.table["b"], strict=True)) == [
        ("x", 1),
        ("x", 2),
        ("y", 1),
        ("y", 2),
    ]
    listed = pd.DataFrame({"a": ["z", "y", "x", "y", "x"], "b": [1, 2, 2, 1, 1]})
    table = perturb_counts(
        records, group_by=["a", "b"], record_key="key", ptable=_ckey_ptable(), all_groups=listed
    ).table
    assert table[["a", "b"]].equals(listed)


def test_categorical_columns_release_every_category():
    records = pd.DataFrame(
        {"band": pd.Categorical(["0-15"] * 20, categories=["0-15", "16-64", "65+"]), "key": 1}
    )
    table = perturb_counts(records, group_by=["band"], record_key="key", ptable=_ckey_ptable())
    assert table.table["band"].tolist() == ["0-15", "16-64", "65+"]
    assert table.suppressed == 2
    assert "suppressed" in table.describe() and "base 5" in table.describe()


def test_output_columns_hold_no_cell_keys_or_raw_counts(ptable: PTable):
    records = _records(np.random.default_rng())
    table = perturb_counts(records, group_by=["area"], record_key="key", ptable=ptable).table
    assert list(table.columns) == ["area", "count", "status"]
    assert str(table["count"].dtype) == "Int64"
    assert set(table["status"]) <= {"published", "suppressed"}


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda r: r.assign(key=r["key"].astype(float)), DataError, "whole-number"),
        (lambda r: r.assign(key=r["key"].where(r.index != 5, 256)), DataError, "rows 5"),
        (lambda r: r.assign(key=pd.array([None] + [1] * (len(r) - 1), "Int64")), DataError, "0"),
        (lambda r: r.assign(area=r["area"].where(r.index != 9)), DataError, "'area'"),
        (lambda r: r.drop(columns="tenure"), DataError, "tenure"),
    ],
)
def test_bad_records_raise_data_errors_naming_columns_and_rows(change, error, message):
    records = change(_records(np.random.default_rng(), 50))
    with pytest.raises(error) as raised:
        perturb_counts(
            records, group_by=["area", "tenure"], record_key="key", ptable=_ckey_ptable()
        )
    assert message in str(raised.value)
    assert raised.value.fix


def test_records_outside_all_groups_are_an_error_not_dropped():
    records = pd.DataFrame({"area": ["A", "B", "Z"], "key": [1, 2, 3]})
    with pytest.raises(DataError, match="1 record"):
        perturb_counts(
            records,
            group_by=["area"],
            record_key="key",
            ptable=_ckey_ptable(),
            all_groups=pd.DataFrame({"area": ["A", "B"]}),
        )
    with pytest.raises(DataError, match="repeats"):
        perturb_counts(
            records,
            group_by=["area"],
            record_key="key",
            ptable=_ckey_ptable(),
            all_groups=pd.DataFrame({"area": ["A", "B", "Z", "A"]}),
        )


@pytest.mark.parametrize(
    "rules", [{"threshold": -1}, {"threshold": 2.5}, {"rounding_base": 0}, {"rounding_base": True}]
)
def test_bad_rules_raise_config_errors(rules):
    records = pd.DataFrame({"g": ["x"], "key": [1]})
    with pytest.raises(ConfigError):
        perturb_counts(records, group_by=["g"], record_key="key", ptable=_ckey_ptable(), **rules)


# ---- the record-key store -------------------------------------------------------------------


def test_keys_persist_across_stores_and_id_types(tmp_path: Path):
    path = tmp_path / "keys" / "record_keys.parquet"
    first = KeyStore(path).keys_for(pd.Series([101, 102, 103], index=[7, 8, 9], name="pid"))
    assert list(first.index) == [7, 8, 9]
    assert first.between(0, 255).all()
    again = KeyStore(path).keys_for(pd.Series(["103", "104", "101", "101"]))
    assert again.iloc[0] == first.loc[9] and again.iloc[2] == first.loc[7]
    assert again.iloc[2] == again.iloc[3]
    secret = KeyStore(path).record_keys().secret
    assert [derived_key(secret, pid) for pid in ["101", "102", "103"]] == first.tolist()
    assert (path.stat().st_mode & 0o077) == 0  # owner only
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []
    # a new store has a new secret: the keys are not a function of the ids alone
    other = KeyStore(tmp_path / "other.parquet").keys_for(pd.Series(np.arange(200)))
    assert (other.to_numpy() != KeyStore(path).keys_for(pd.Series(np.arange(200)))).any()


def test_keys_stored_per_id_by_earlier_versions_are_kept(tmp_path: Path):
    path = tmp_path / "k.parquet"
    legacy = pa.table({"person_id": ["a", "b"], "record_key": pa.array([7, 250], pa.uint8())})
    pq.write_table(legacy, path)
    store = KeyStore(path)
    keys = store.keys_for(pd.Series(["b", "c", "a"]))
    secret = store.record_keys().secret
    assert keys.tolist() == [250, derived_key(secret, "c"), 7]
    assert store.record_keys().stored_ids == ("a", "b")
    assert store.record_keys().stored_keys == (7, 250)


def test_keys_are_uniform_over_0_to_255(tmp_path: Path):
    keys = KeyStore(tmp_path / "k.parquet").keys_for(pd.Series(np.arange(256 * 400)))
    frequencies = np.bincount(keys, minlength=256)
    assert len(frequencies) == 256
    # a uniform key fails this only once in a million runs
    assert chisquare(frequencies).pvalue > 1e-6


def test_concurrent_callers_agree_on_one_secret(tmp_path: Path):
    path = tmp_path / "k.parquet"
    results: dict[int, pd.Series] = {}

    def draw(worker: int) -> None:
        ids = pd.Series(np.arange(worker * 500, worker * 500 + 2000))  # overlapping ranges
        results[worker] = KeyStore(path).keys_for(ids)

    threads = [threading.Thread(target=draw, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = KeyStore(path).keys_for(pd.Series(np.arange(3500)))
    for worker, keys in results.items():
        assert (keys.to_numpy() == final.to_numpy()[worker * 500 : worker * 500 + 2000]).all()


def test_bad_ids_and_damaged_stores_raise_data_errors(tmp_path: Path):
    store = KeyStore(tmp_path / "k.parquet")
    with pytest.raises(DataError, match="rows 1"):
        store.keys_for(pd.Series(["a", None, "c"], name="person_id"))
    with pytest.raises(DataError, match="decimal"):
        store.keys_for(pd.Series([1.0, 2.0]))
    (tmp_path / "k.parquet").write_text("not parquet")
    with pytest.raises(DataError, match="unreadable"):
        store.keys_for(pd.Series([1]))
    pd.DataFrame({"person_id": ["1"], "key": [3]}).to_parquet(tmp_path / "k.parquet")
    with pytest.raises(DataError, match="schema"):
        store.keys_for(pd.Series([1]))
