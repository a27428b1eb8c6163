"""The DuckDB aggregation computes what the pandas path computes, from a file, in one pass."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from boroughkit.anonymise import counts
from boroughkit.anonymise.aggregate import (
    OACellAggregate,
    aggregate_oa_cells,
    find_identifier_values,
)
from boroughkit.demo import generate_residents
from boroughkit.demo.schema import AGE_BANDS, COUNCIL_TAX_BANDS, SERVICES, SEXES
from boroughkit.errors import ConfigError, DataError
from boroughkit.geography import GeographyBundle, build_demo_bundle, geocode

SERVICE = [("service", list(SERVICES))]


@pytest.fixture(scope="module")
def bundle() -> GeographyBundle:
    return build_demo_bundle()


@pytest.fixture(scope="module")
def residents(bundle: GeographyBundle) -> pd.DataFrame:
    """A few thousand demo residents, long form, plain text columns (as read from a file)."""
    frame = generate_residents(bundle.lookup, 3000, seed=11)
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype) or column in ("person_id", "uprn"):
            frame[column] = frame[column].astype(object)
    return frame


def write(frame: pd.DataFrame, folder: Path, fmt: str) -> Path:
    path = folder / f"records.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def aggregate(
    path: Path,
    bundle: GeographyBundle,
    categories: Sequence[tuple[str, Sequence[str]]] = SERVICE,
    max_cells: int = 50,
    **options: object,
) -> OACellAggregate:
    return aggregate_oa_cells(
        path,
        "auto",
        person="person_id",
        oa_column="oa_code",
        categories=categories,
        max_cells=max_cells,
        oa_codes=bundle.areas("oa")["code"].tolist(),
        oa_code_pattern=bundle.info.oa_code_pattern,
        **options,  # type: ignore[arg-type]
    )


def pandas_counts(
    frame: pd.DataFrame, bundle: GeographyBundle, categories: Sequence[tuple[str, Sequence[str]]]
) -> tuple[np.ndarray, int]:
    """The in-memory path: bounded_cells (no truncation) then oa_cell_counts."""
    grid = counts.CategoryGrid(
        tuple(c for c, _ in categories), tuple(tuple(v) for _, v in categories)
    )
    cells = counts.bounded_cells(
        frame, person="person_id", grid=grid, max_cells=10**9, rng=np.random.default_rng()
    )
    oa_codes = bundle.areas("oa")["code"].tolist()
    return counts.oa_cell_counts(cells, oa_codes, len(grid.cells)), len(cells)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_equals_the_pandas_path_when_nothing_is_truncated(residents, bundle, tmp_path, fmt):
    result = aggregate(write(residents, tmp_path, fmt), bundle)
    expected, contributions = pandas_counts(residents, bundle, SERVICE)
    np.testing.assert_array_equal(result.counts, expected)
    assert result.counts.dtype == np.int64
    assert result.input_rows == result.matched_rows == len(residents)
    assert result.contributions == result.kept_contributions == contributions
    assert result.unmatched == {} and result.undeclared == {} and result.movers == 0
    persons = residents.drop_duplicates("person_id")["oa_code"].value_counts()
    oa_codes = bundle.areas("oa")["code"]
    np.testing.assert_array_equal(
        result.persons_per_oa, oa_codes.map(persons).fillna(0).astype(int).to_numpy()
    )


def test_several_columns_beyond_one_bitmask_word(residents, bundle, tmp_path):
    # 5 × 8 × 2 = 80 cells: two 64-bit words per person.
    grid = [("age_band", AGE_BANDS), ("council_tax_band", COUNCIL_TAX_BANDS), ("sex", SEXES)]
    frame = residents.copy()
    # Give some persons rows in many cells (ages and bands vary between their rows).
    rng = np.random.default_rng(5)
    frame["age_band"] = rng.choice(AGE_BANDS, len(frame))
    frame["council_tax_band"] = rng.choice(COUNCIL_TAX_BANDS, len(frame))
    path = write(frame, tmp_path, "parquet")
    result = aggregate(path, bundle, grid)
    expected, _ = pandas_counts(frame, bundle, grid)
    assert result.counts.shape == (len(bundle.areas("oa")), 80)
    np.testing.assert_array_equal(result.counts, expected)
    columns = ["person_id", "age_band", "council_tax_band", "sex"]
    per_person = frame.drop_duplicates(columns).groupby("person_id").size()
    truncated = aggregate(path, bundle, grid, max_cells=1)
    assert truncated.counts.sum() == truncated.kept_contributions == len(per_person)
    assert truncated.contributions == per_person.sum() > len(per_person)
    assert (truncated.counts <= expected).all()
    assert truncated.counts[:, 64:].sum() > 0  # cells of the second word are kept too


def own_cells_frame(bundle: GeographyBundle, seed: int) -> tuple[pd.DataFrame, list[set[int]]]:
    """One person per OA with a random set of services (rows repeated), so a row of the count
    matrix is one person's kept cells."""
    rng = np.random.default_rng(seed)
    rows, owned = [], []
    for number, oa in enumerate(bundle.areas("oa")["code"]):
        services = rng.choice(len(SERVICES), size=rng.integers(1, 9), replace=False)
        owned.append(set(services.tolist()))
        for service in services:
            for _ in range(rng.integers(1, 3)):  # duplicate rows count once
                rows.append((f"P{number:05d}", oa, SERVICES[service]))
    frame = pd.DataFrame(rows, columns=["person_id", "oa_code", "service"])
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True), owned


@pytest.mark.parametrize("k", [1, 2, 3, 7])
def test_each_person_keeps_min_k_of_own_cells(bundle, tmp_path, k):
    frame, owned = own_cells_frame(bundle, seed=k)
    result = aggregate(write(frame, tmp_path, "parquet"), bundle, max_cells=k)
    for row, cells in zip(result.counts, owned, strict=True):
        kept = set(np.flatnonzero(row).tolist())
        assert row.max() == 1 and kept <= cells
        assert len(kept) == min(k, len(cells))
    assert result.contributions == sum(len(cells) for cells in owned)
    assert result.kept_contributions == result.counts.sum() == sum(min(k, len(c)) for c in owned)
    assert result.truncated_contributions == result.contributions - result.kept_contributions


def test_truncation_totals_on_demo_residents(residents, bundle, tmp_path):
    path = write(residents, tmp_path, "csv")
    full, _ = pandas_counts(residents, bundle, SERVICE)
    per_person = residents.groupby("person_id")["service"].nunique()
    for k in (1, 2):
        result = aggregate(path, bundle, max_cells=k)
        assert result.counts.sum() == result.kept_contributions == per_person.clip(upper=k).sum()
        assert result.contributions == per_person.sum()
        assert (result.counts <= full).all()
        np.testing.assert_array_equal(result.persons_per_oa.sum(), len(per_person))


def test_kept_cell_is_a_fresh_uniform_choice(bundle, tmp_path):
    # Every person has all 8 services and keeps 1: each service should be kept by about 1/8.
    oa_codes = bundle.areas("oa")["code"].tolist()
    frame = pd.DataFrame(
        [(f"P{i:05d}", oa, service) for i, oa in enumerate(oa_codes) for service in SERVICES],
        columns=["person_id", "oa_code", "service"],
    )
    path = write(frame, tmp_path, "parquet")
    runs = [aggregate(path, bundle, max_cells=1).counts for _ in range(2)]
    n, p = len(oa_codes), 1 / len(SERVICES)
    band = 5 * math.sqrt(n * p * (1 - p))
    for kept in runs:
        assert np.all(np.abs(kept.sum(axis=0) - n * p) < band)
    # A fresh salt per run: the two runs pick differently for most persons.
    same = (runs[0].argmax(axis=1) == runs[1].argmax(axis=1)).mean()
    assert same < p + 5 * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("column", ["person_id", "uprn"])
def test_opt_outs_are_removed_first(residents, bundle, tmp_path, column):
    ids = residents[column].drop_duplicates().sample(40, random_state=3).tolist()
    register = [f"  {value} " for value in ids]  # the register is trimmed, as in load_records
    result = aggregate(
        write(residents, tmp_path, "parquet"), bundle, opt_outs=register, opt_out_column=column
    )
    kept = residents[~residents[column].isin(ids)]
    expected, contributions = pandas_counts(kept, bundle, SERVICE)
    np.testing.assert_array_equal(result.counts, expected)
    assert result.opted_out_rows == len(residents) - len(kept) > 0
    assert result.input_rows == len(residents)
    assert result.contributions == contributions


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_unmatched_rows_per_reason_match_geocode(residents, bundle, tmp_path, fmt):
    frame = residents.head(400).copy()
    frame.loc[0:9, "oa_code"] = None
    frame.loc[10:14, "oa_code"] = "   "
    frame.loc[15:21, "oa_code"] = "E00012345"
    frame.loc[22:24, "oa_code"] = "DEMO-OA-9999"
    frame.loc[25:29, "oa_code"] = frame.loc[25:29, "oa_code"].str.lower() + "  "
    result = aggregate(write(frame, tmp_path, fmt), bundle)
    expected = geocode(frame, bundle, oa_column="oa_code")
    assert result.unmatched == expected.unmatched
    assert result.unmatched == {"missing_value": 15, "malformed_oa_code": 7, "unknown_oa_code": 3}
    assert result.matched_rows == expected.matched == 400 - 25
    placed = frame.assign(oa_code=expected.oa_code)
    np.testing.assert_array_equal(
        result.counts, pandas_counts(placed[placed["oa_code"].notna()], bundle, SERVICE)[0]
    )


def test_undeclared_values_are_reported_for_the_caller_to_raise(residents, bundle, tmp_path):
    frame = residents.head(300).copy()
    frame.loc[[3, 5, 8], "service"] = ["gym", "library", "gym"]
    frame.loc[9, "oa_code"] = "nowhere"  # unmatched rows are not checked, as in the pandas path
    frame.loc[9, "service"] = "zoo"
    result = aggregate(write(frame, tmp_path, "parquet"), bundle)
    assert result.undeclared["service"].rows == 3
    assert result.undeclared["service"].examples == ("gym", "library")
    with pytest.raises(DataError, match=r"column 'service' has values not declared.*gym"):
        result.raise_for_data_errors("records.parquet")


def test_booleans_compare_as_lower_case_text(residents, bundle, tmp_path):
    path = write(residents, tmp_path, "parquet")
    flag = [("council_tax_support", ["true", "false"])]
    result = aggregate(path, bundle, flag)
    np.testing.assert_array_equal(result.counts, pandas_counts(residents, bundle, flag)[0])
    wrong = aggregate(path, bundle, [("council_tax_support", ["yes", "no"])])
    assert wrong.undeclared["council_tax_support"].examples == ("false", "true")


def test_missing_category_values_are_an_error_unless_dropped(residents, bundle, tmp_path):
    frame = residents.head(500).copy()
    frame.loc[[1, 2, 40], "service"] = None
    path = write(frame, tmp_path, "csv")
    result = aggregate(path, bundle)
    assert result.empty_rows == 3 and result.empty["service"].examples == (1, 2, 40)
    with pytest.raises(DataError, match=r"column 'service' is empty in 3 row\(s\)[\s\S]*on_inv"):
        result.raise_for_data_errors("records.csv")
    dropped = aggregate(path, bundle, drop_empty=["service"])
    assert dropped.dropped == {"service": 3}
    np.testing.assert_array_equal(dropped.counts, pandas_counts(frame, bundle, SERVICE)[0])
    dropped.raise_for_data_errors("records.csv")  # left out, as the config allows


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_movers_are_found_with_their_rows(residents, bundle, tmp_path, fmt):
    frame = residents.head(500).copy()
    mover = frame["person_id"].iloc[100]
    other_oa = next(c for c in bundle.areas("oa")["code"] if c != frame["oa_code"].iloc[100])
    frame = pd.concat(
        [frame, pd.DataFrame([{**frame.iloc[100].to_dict(), "oa_code": other_oa}])],
        ignore_index=True,
    )
    result = aggregate(write(frame, tmp_path, fmt), bundle)
    assert result.movers == 1
    assert list(result.mover_rows) == frame.index[frame["person_id"] == mover].tolist()
    with pytest.raises(DataError, match="more than one Output Area") as caught:
        result.raise_for_data_errors("records")
    assert str(result.mover_rows[-1]) in str(caught.value)


def test_missing_person_ids_are_counted(residents, bundle, tmp_path):
    frame = residents.head(200).copy()
    frame.loc[[4, 7], "person_id"] = None
    result = aggregate(write(frame, tmp_path, "csv"), bundle)
    assert result.missing_person_rows == 2
    with pytest.raises(DataError, match="column 'person_id' is empty in 2 row"):
        result.raise_for_data_errors("records.csv")


def test_find_identifier_values_checks_membership_in_the_file(residents, tmp_path):
    path = write(residents, tmp_path, "parquet")
    present = residents["person_id"].drop_duplicates().sample(5, random_state=1).tolist()
    candidates = [present[0].lower(), *present[1:], "R000000000", "DEMO-OA-0001", "none"]
    found = find_identifier_values(path, "parquet", "person_id", candidates)
    assert found == {present[0].lower(), *present[1:]}
    assert find_identifier_values(path, "parquet", "person_id", []) == set()


def test_bad_inputs_name_the_fix(residents, bundle, tmp_path):
    path = write(residents.head(50), tmp_path, "parquet")
    with pytest.raises(DataError, match=r"column 'servce' not found[\s\S]*did you mean 'service'"):
        aggregate(path, bundle, [("servce", SERVICES)])
    with pytest.raises(DataError, match="file not found"):
        aggregate(tmp_path / "missing.parquet", bundle)
    (tmp_path / "records.xlsx").write_bytes(b"PK")
    with pytest.raises(ConfigError, match="cannot be streamed"):
        aggregate(tmp_path / "records.xlsx", bundle)
    with pytest.raises(ConfigError, match="max_cells"):
        aggregate(path, bundle, max_cells=0)
    with pytest.raises(ConfigError, match="no declared values"):
        aggregate(path, bundle, [("service", [])])
    with pytest.raises(ConfigError, match="more than 4096"):
        aggregate(path, bundle, [(c, [str(v) for v in range(20)]) for c in ("a", "b", "c")])


def test_unreadable_text_and_unusable_patterns_are_explained(bundle, tmp_path):
    latin = tmp_path / "records.csv"
    latin.write_bytes(b"person_id,oa_code,service\nP1,DEMO-OA-0001,caf\xe9\n")
    with pytest.raises(DataError, match="not UTF-8") as caught:
        aggregate(latin, bundle)
    assert "caf" not in str(caught.value)  # the message never quotes a record
    good = tmp_path / "good.csv"
    good.write_text("person_id,oa_code,service\nP1,DEMO-OA-0001,none\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a valid RE2"):
        aggregate_oa_cells(
            good,
            "csv",
            person="person_id",
            oa_column="oa_code",
            categories=SERVICE,
            max_cells=1,
            oa_codes=["DEMO-OA-0001"],
            oa_code_pattern=r"(?=DEMO)DEMO-OA-\d{4}",
        )
