"""DuckDB, PostgreSQL and Spark give the same pre-noise aggregate on the same rows: statuses,
opt-outs, unmatched OA codes, the contribution bound (which cells each person keeps) and the
counts. Noise comes later, in boroughkit, on this aggregate; only the aggregate is compared."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from boroughkit.anonymise.keystore import RecordKeys, derived_key
from boroughkit.config.engine_models import DatabaseSource, SparkEngine
from boroughkit.demo import generate_residents
from boroughkit.demo.schema import AGE_BANDS, SERVICES, SEXES
from boroughkit.engines.duckdb_engine import DuckDBAggregation
from boroughkit.engines.postgres_engine import PostgresAggregation
from boroughkit.engines.protocol import CellRequest, ValueSums
from boroughkit.engines.spark_engine import SparkAggregation
from boroughkit.geography import build_demo_bundle

SALT = 982_451_653

# One Spark session is costly to start: every test using it runs in the same worker.
pytestmark = pytest.mark.xdist_group("spark")


@pytest.fixture(scope="module")
def bundle():
    return build_demo_bundle()


@pytest.fixture(scope="module")
def rows(bundle) -> pd.DataFrame:
    """Demo residents with every kind of row the engines must treat alike."""
    frame = generate_residents(bundle.lookup, 1500, seed=23)
    frame = frame[["person_id", "uprn", "oa_code", "age_band", "sex", "service"]]
    frame = frame.astype({c: object for c in frame.columns})
    rng = np.random.default_rng(4)
    # Several services per person in different age bands: the bound truncates.
    extra = frame.sample(1200, random_state=1, replace=True).copy()
    extra["service"] = rng.choice(list(SERVICES), len(extra))
    extra["age_band"] = rng.choice(list(AGE_BANDS), len(extra))
    frame = pd.concat([frame, extra], ignore_index=True)
    n = len(frame)
    picks = rng.choice(n, 120, replace=False)
    oa = frame["oa_code"].to_numpy(dtype=object)
    oa[picks[:20]] = [f"  {code.lower()}\t" for code in oa[picks[:20]]]  # trimmed, upper-cased
    oa[picks[20:30]] = "E00012345"  # malformed for the demo pattern
    oa[picks[30:40]] = "DEMO-OA-9999"  # well-formed, unknown
    oa[picks[40:50]] = None  # missing
    oa[picks[50:55]] = "   "  # blank
    frame["oa_code"] = oa
    sex = frame["sex"].to_numpy(dtype=object)
    sex[picks[60:70]] = None  # empty category (dropped)
    sex[picks[70:75]] = "X"  # undeclared
    frame["sex"] = sex
    person = frame["person_id"].to_numpy(dtype=object)
    person[picks[80:83]] = None  # no privacy unit
    frame["person_id"] = person
    # Values to sum: beyond the bounds, halves (rounded to even), empty and infinite.
    amount = np.round(rng.uniform(-60, 700, n) * 2) / 2
    amount[picks[90:96]] = np.nan
    amount[picks[96:99]] = np.inf
    frame["amount"] = amount
    return frame.sample(frac=1, random_state=3).reset_index(drop=True)


def request(bundle, rows: pd.DataFrame, max_cells: int) -> CellRequest:
    opted = rows["person_id"].dropna().drop_duplicates().sample(40, random_state=2)
    return CellRequest(
        person="person_id",
        oa_column="oa_code",
        categories=[
            ("sex", list(SEXES)),
            ("age_band", list(AGE_BANDS)),
            ("service", list(SERVICES)),
        ],
        max_cells=max_cells,
        oa_codes=bundle.areas("oa")["code"].tolist(),
        oa_code_pattern=bundle.info.oa_code_pattern,
        opt_outs=[f" {value} " for value in opted],  # the register's values are trimmed
        drop_empty=frozenset({"sex"}),
        salt=SALT,
    )


@pytest.fixture(scope="module")
def engines(rows, tmp_path_factory, postgres_server, spark, monkeypatch_module):
    folder = tmp_path_factory.mktemp("engines")
    path = folder / "rows.parquet"
    rows.to_parquet(path, index=False)
    rows.to_csv(folder / "rows.csv", index=False)
    postgres_server.load("residents_equal", rows)
    monkeypatch_module.setenv("ENGINES_TEST_PW", postgres_server.password)
    database = DatabaseSource(
        url=postgres_server.url(), password_env="ENGINES_TEST_PW", table="residents_equal"
    )
    settings = SparkEngine(name="spark", master="local[2]")
    return {
        "duckdb": DuckDBAggregation(path),
        "duckdb-csv": DuckDBAggregation(folder / "rows.csv"),
        "postgresql": PostgresAggregation(database),
        "spark": SparkAggregation(str(path), "auto", settings),
        "spark-csv": SparkAggregation(str(folder / "rows.csv"), "auto", settings),
    }


def kept_by_rule(rows: pd.DataFrame, req: CellRequest) -> dict[str, list[int]]:
    """The bounding rule computed independently in Python: each person's counted cells sorted
    by MD5 of 'salt|person|cell', first max_cells kept."""
    kept = {}
    for person, cells in rows.groupby("person")["cell"]:
        keyed = sorted(
            (hashlib.md5(f"{req.salt}|{person}|{c}".encode()).hexdigest(), c) for c in set(cells)
        )
        kept[person] = [c for _, c in keyed[: req.max_cells]]
    return kept


@pytest.mark.parametrize("max_cells", [2, 40])
def test_pre_noise_aggregates_are_equal_across_engines(engines, bundle, rows, max_cells):
    req = request(bundle, rows, max_cells)
    # CSV (all text) is compared once, with the bound truncating.
    names = [name for name in engines if max_cells == 2 or not name.endswith("-csv")]
    results = {name: engines[name].aggregate_cells(req) for name in names}
    reference = results["duckdb"]
    assert reference.opted_out_rows > 0 and reference.missing_person_rows == 3
    assert set(reference.unmatched) == {"missing_value", "malformed_oa_code", "unknown_oa_code"}
    assert reference.empty["sex"].rows == 10 and reference.undeclared["sex"].rows > 0
    if max_cells == 2:
        assert reference.truncated_contributions > 100
    else:
        assert reference.truncated_contributions == 0
    for name, result in results.items():
        np.testing.assert_array_equal(result.counts, reference.counts, err_msg=name)
        np.testing.assert_array_equal(result.persons_per_oa, reference.persons_per_oa)
        for field in (
            "input_rows",
            "opted_out_rows",
            "missing_person_rows",
            "matched_rows",
            "unmatched",
            "empty_rows",
            "movers",
            "contributions",
            "kept_contributions",
        ):
            assert getattr(result, field) == getattr(reference, field), (name, field)
        assert {c: v.rows for c, v in result.empty.items()} == {
            c: v.rows for c, v in reference.empty.items()
        }
        assert result.undeclared == reference.undeclared, name


SECRET = "5" * 64
KINDS = {
    "sums": {"sums": ValueSums("amount", (0, 500), max_rows=1)},
    "cell-key": {
        # One person's key stored by an earlier version, the others derived from the secret.
        "record_keys": RecordKeys(SECRET, ("P-any",), (7,)),
        "numbers": ("amount",),
    },
}


def kind_request(bundle, rows: pd.DataFrame, kind: str) -> CellRequest:
    base = request(bundle, rows, 2)
    return replace(base, drop_empty=frozenset({"sex", "amount"}), **KINDS[kind])


@pytest.mark.parametrize("kind", list(KINDS))
def test_sums_and_cell_key_sums_are_equal_across_engines(engines, bundle, rows, kind):
    req = kind_request(bundle, rows, kind)
    results = {name: engine.aggregate_cells(req) for name, engine in engines.items()}
    reference = results["duckdb"]
    assert reference.not_numbers == {"amount": 9}
    values = reference.sums if kind == "sums" else reference.key_sums
    assert values is not None and values.sum() > 0
    if kind == "sums":
        assert reference.truncated_contributions > 50
    for name, result in results.items():
        for field in ("counts", "sums", "key_sums", "persons_per_oa", "person_key_sums"):
            mine, theirs = getattr(result, field), getattr(reference, field)
            assert (mine is None) == (theirs is None), (name, field)
            if mine is not None:
                np.testing.assert_array_equal(mine, theirs, err_msg=f"{name} {field}")
        for field in ("input_rows", "empty_rows", "not_numbers", "contributions", "undeclared"):
            assert getattr(result, field) == getattr(reference, field), (name, field)
        assert result.kept_contributions == reference.kept_contributions, name


def _clean_cells(rows: pd.DataFrame, req: CellRequest, placed: bool = False) -> pd.DataFrame:
    """The rows every engine counts (``placed``: or places in an OA, undeclared values too),
    with their OA and cell indexes, found in pandas."""
    grid = {
        "sex": {v: i for i, v in enumerate(SEXES)},
        "age_band": {v: i for i, v in enumerate(AGE_BANDS)},
        "service": {v: i for i, v in enumerate(SERVICES)},
    }
    clean = rows.dropna(subset=["person_id", "sex"])
    opted = {value.strip() for value in req.opt_outs or ()}
    sexes = [*SEXES, "X"] if placed else SEXES
    clean = clean[~clean["person_id"].isin(opted) & clean["sex"].isin(sexes)]
    if req.number_columns:
        clean = clean[np.isfinite(clean["amount"].astype(float))]
    codes = {code: i for i, code in enumerate(req.oa_codes)}
    oa = clean["oa_code"].map(lambda v: v.strip().upper() if isinstance(v, str) else v)
    clean = clean.assign(oa=oa.map(codes)).dropna(subset=["oa"])
    cell = (
        clean["sex"].map(grid["sex"]) * len(AGE_BANDS) + clean["age_band"].map(grid["age_band"])
    ) * len(SERVICES) + clean["service"].map(grid["service"])
    return pd.DataFrame(
        {
            "person": clean["person_id"],
            "oa": clean["oa"].astype(int),
            "cell": cell,
            "amount": clean["amount"],
        }
    )


def test_sums_follow_the_md5_rule_and_clip_and_round_half_to_even(engines, bundle, rows):
    req = kind_request(bundle, rows, "sums")
    assert req.sums is not None
    table = _clean_cells(rows, req)
    table["value"] = np.rint(np.clip(table["amount"].astype(float), 0, 500)).astype(int)
    n_cells = 2 * len(AGE_BANDS) * len(SERVICES)
    expected = np.zeros((len(req.oa_codes), n_cells), dtype=np.int64)
    kept_cells = kept_by_rule(table, req)
    for person, own in table.groupby("person"):
        own = own[own["cell"].isin(kept_cells[person])]
        keyed = sorted(
            (hashlib.md5(f"{req.salt}|{person}|{c}|{v}".encode()).hexdigest(), c, v, oa)
            for c, v, oa in zip(own["cell"], own["value"], own["oa"], strict=True)
        )
        for _, c, v, oa in keyed[: req.sums.max_rows]:
            expected[oa, c] += v
    result = engines["duckdb"].aggregate_cells(req)
    assert result.sums is not None
    np.testing.assert_array_equal(result.sums, expected)


def test_cell_key_sums_are_the_persons_record_keys(engines, bundle, rows):
    req = kind_request(bundle, rows, "cell-key")
    table = _clean_cells(rows, req).drop_duplicates(["person", "oa", "cell"])
    table["key"] = [derived_key(SECRET, person) for person in table["person"]]
    n_cells = 2 * len(AGE_BANDS) * len(SERVICES)
    expected = np.zeros((len(req.oa_codes), n_cells), dtype=np.int64)
    np.add.at(expected, (table["oa"].to_numpy(), table["cell"].to_numpy()), table["key"])
    result = engines["duckdb"].aggregate_cells(req)
    assert result.key_sums is not None
    np.testing.assert_array_equal(result.key_sums, expected)
    # A person's key counts once in their OA's total, as does every person placed there.
    people = _clean_cells(rows, req, placed=True).drop_duplicates("person")
    people["key"] = [derived_key(SECRET, person) for person in people["person"]]
    per_oa = np.bincount(people["oa"], weights=people["key"], minlength=len(req.oa_codes))
    assert result.person_key_sums is not None
    np.testing.assert_array_equal(result.person_key_sums, per_oa.astype(np.int64))


def test_the_kept_cells_follow_the_md5_rule(engines, bundle, rows):
    """One person per row set with many cells: the counts equal the rule computed in Python."""
    req = request(bundle, rows, 2)
    table = _clean_cells(rows, req)
    expected = np.zeros((len(req.oa_codes), 2 * len(AGE_BANDS) * len(SERVICES)), dtype=np.int64)
    first_oa = table.groupby("person")["oa"].min()
    for person, cells in kept_by_rule(table, req).items():
        for c in cells:
            expected[int(first_oa[person]), c] += 1
    # The engines were found equal to DuckDB's aggregate above.
    np.testing.assert_array_equal(engines["duckdb"].aggregate_cells(req).counts, expected)


def test_distinct_values_are_equal_across_engines(engines, rows):
    opted = rows["person_id"].dropna().iloc[:5].tolist()
    found = {
        name: engines[name].distinct_values(["person_id", "uprn"], "person_id", opted)
        for name in ("duckdb", "postgresql", "spark")
    }
    expected = {
        column: sorted(rows.loc[~rows["person_id"].isin(opted), column].dropna().unique())
        for column in ("person_id", "uprn")
    }
    for name, values in found.items():
        assert {c: sorted(v) for c, v in values.items()} == expected, name
