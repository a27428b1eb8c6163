"""Tests of the synthetic demo resident generator on a small hand-made borough of 50 OAs."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from scipy import stats

from boroughkit.demo import RESIDENT_SCHEMA, generate_residents, person_count, write_residents
from boroughkit.demo.schema import (
    AGE_BAND_LOWER_BOUNDS,
    AGE_BANDS,
    PERSON_ID_PATTERN,
    SERVICE_FLAGS,
    UPRN_PATTERN,
    resident_columns,
)
from boroughkit.errors import ConfigError, DataError

N_AREAS = 50
N_PERSONS = 30_000
PERSON_COLUMNS = [column for column in resident_columns(with_postcode=True) if column != "service"]
HOUSEHOLD_COLUMNS = ["oa_code", "postcode", "tenure", "council_tax_band"]


def make_lookup(n_areas: int = N_AREAS) -> pd.DataFrame:
    """A fixed borough: 10 LSOAs of 5 OAs each, populations 150..449, about 2.8 per home."""
    population = 150 + (np.arange(n_areas) * 37) % 300
    return pd.DataFrame(
        {
            "oa_code": [f"E00{900001 + index}" for index in range(n_areas)],
            "lsoa_code": [f"E01{900001 + index // 5}" for index in range(n_areas)],
            "population": pd.array(population, dtype="Int64"),
            "households": pd.array(np.round(population / 2.8).astype(int), dtype="Int64"),
        }
    )


def make_postcodes(lookup: pd.DataFrame) -> pd.DataFrame:
    """Three postcodes per OA except the last OA (none), plus one for an OA outside the lookup."""
    rows = [
        {"postcode": f"ZZ{index:02d} {letter}AA", "oa_code": code}
        for index, code in enumerate(lookup["oa_code"].iloc[:-1])
        for letter in "ABC"
    ]
    rows.append({"postcode": "ZZ99 9ZZ", "oa_code": "E00999999"})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def generated() -> tuple[pd.DataFrame, int]:
    """Residents of the hand-made borough with postcodes, and the seed that made them."""
    seed = secrets.randbits(32)  # a fresh borough each run; the seed is reported on failure
    lookup = make_lookup()
    return generate_residents(lookup, N_PERSONS, postcodes=make_postcodes(lookup), seed=seed), seed


@pytest.fixture(scope="module")
def frame(generated: tuple[pd.DataFrame, int]) -> pd.DataFrame:
    """The long-form residents frame."""
    return generated[0]


@pytest.fixture(scope="module")
def persons(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per person."""
    return frame.drop_duplicates("person_id").reset_index(drop=True)


def test_columns_and_dtypes_follow_the_schema(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == resident_columns(with_postcode=True)
    for column, spec in RESIDENT_SCHEMA.items():
        dtype = frame[column].dtype
        if spec["type"] == "category":
            assert isinstance(dtype, pd.CategoricalDtype), column
            assert list(dtype.categories) == spec["values"], column
        elif spec["type"] == "boolean":
            assert dtype == np.dtype(bool), column
        elif spec["type"] == "integer":
            assert dtype == np.dtype("int64"), column
        elif spec["type"] == "number":
            assert dtype == np.dtype("float64"), column
        elif spec["type"] == "id":
            assert isinstance(dtype, pd.StringDtype), column
    assert isinstance(frame.index, pd.RangeIndex)


def test_without_postcodes_there_is_no_postcode_column() -> None:
    residents = generate_residents(make_lookup(), 500, seed=1)
    assert list(residents.columns) == resident_columns(with_postcode=False)


@pytest.mark.parametrize("n", [0, 1, 7, 1_234])
def test_exactly_n_persons(n: int) -> None:
    residents = generate_residents(make_lookup(), n)
    assert person_count(residents) == n
    assert len(residents) >= n
    assert list(residents.columns) == resident_columns(with_postcode=False)


def test_person_and_household_columns_are_constant(frame: pd.DataFrame) -> None:
    by_person = frame.groupby("person_id", observed=True)[PERSON_COLUMNS].nunique(dropna=False)
    assert (by_person == 1).all().all()
    by_household = frame.groupby("uprn", observed=True)[HOUSEHOLD_COLUMNS].nunique(dropna=False)
    assert (by_household == 1).all().all()


def test_ids_are_distinctive_and_unique(persons: pd.DataFrame) -> None:
    assert persons["person_id"].str.fullmatch(PERSON_ID_PATTERN[1:-1]).all()
    assert persons["uprn"].str.fullmatch(UPRN_PATTERN[1:-1]).all()
    assert persons["person_id"].is_unique
    assert not set(persons["person_id"]) & set(persons["uprn"])
    households = persons["uprn"].nunique()
    assert 2.4 < len(persons) / households < 3.2


def test_categories_and_ranges_are_within_the_schema(frame: pd.DataFrame) -> None:
    for column, spec in RESIDENT_SCHEMA.items():
        if spec["type"] == "category":
            assert set(frame[column].astype(str)) <= set(spec["values"]), column
        if spec["type"] in ("integer", "number"):
            assert frame[column].between(spec["min"], spec["max"]).all(), column
    lower = np.array(AGE_BAND_LOWER_BOUNDS)
    expected_band = np.array(AGE_BANDS)[np.searchsorted(lower, frame["age"], side="right") - 1]
    assert (frame["age_band"].astype(str).to_numpy() == expected_band).all()


def test_service_rows_match_the_flags(frame: pd.DataFrame, persons: pd.DataFrame) -> None:
    assert not frame.duplicated(["person_id", "service"]).any()
    flags = frame[list(SERVICE_FLAGS)].to_numpy()
    row_service = frame["service"].astype(str).to_numpy()
    for index, flag in enumerate(SERVICE_FLAGS):
        assert (flags[row_service == flag, index]).all(), flag
    receiving = persons[list(SERVICE_FLAGS)].sum(axis=1).to_numpy()
    rows_per_person = frame.groupby("person_id", sort=True).size()
    expected_rows = pd.Series(np.maximum(receiving, 1), index=persons["person_id"]).sort_index()
    assert (rows_per_person.to_numpy() == expected_rows.to_numpy()).all()
    none_rows = frame[frame["service"] == "none"]
    assert not none_rows[list(SERVICE_FLAGS)].any(axis=None)
    assert none_rows["person_id"].is_unique


def test_services_respect_eligibility(persons: pd.DataFrame) -> None:
    age, tenure = persons["age"], persons["tenure"].astype(str)
    renting = tenure.isin(["social_rented", "private_rented"])
    fsm_ages = age[persons["free_school_meals"]]
    assert fsm_ages.between(4, 16).all()
    assert (age[persons["childrens_early_help"]] < 18).all()
    assert (age[persons["council_tax_support"] | persons["housing_benefit"]] >= 18).all()
    assert (age[persons["adult_social_care"]] >= 18).all()
    assert renting[persons["housing_benefit"] | persons["temporary_accommodation"]].all()
    arrears = persons["rent_arrears_gbp"]
    assert (arrears[~renting] == 0).all()
    assert (arrears >= 0).all()
    assert np.allclose(arrears * 100, np.round(arrears * 100))
    tenants_in_arrears = persons[arrears > 0].groupby("uprn", observed=True).size()
    assert (tenants_in_arrears == 1).all()


def test_rates_resemble_an_outer_london_borough(generated: tuple[pd.DataFrame, int]) -> None:
    frame, seed = generated
    persons = frame.drop_duplicates("person_id")
    adults, homes = persons[persons["age"] >= 18], persons.drop_duplicates("uprn")
    school_age = persons[persons["age"].between(4, 16)]
    renting = homes["tenure"].isin(["social_rented", "private_rented"]).mean()
    homes_in_arrears = persons.groupby("uprn", observed=True)["rent_arrears_gbp"].max() > 0
    rates = {
        "renting homes": (renting, 0.34, 0.50),
        "council_tax_support": (adults["council_tax_support"].mean(), 0.12, 0.18),
        "housing_benefit": (adults["housing_benefit"].mean(), 0.09, 0.15),
        "free_school_meals": (school_age["free_school_meals"].mean(), 0.20, 0.30),
        "homelessness_prevention": (persons["homelessness_prevention"].mean(), 0.003, 0.025),
        "temporary_accommodation": (persons["temporary_accommodation"].mean(), 0.003, 0.025),
        "adult_social_care": (adults["adult_social_care"].mean(), 0.02, 0.04),
        "childrens_early_help": (
            persons.loc[persons["age"] < 18, "childrens_early_help"].mean(),
            0.015,
            0.05,
        ),
        "rent arrears among renting homes": (
            homes_in_arrears.sum() / max(renting * len(homes), 1),
            0.1,
            0.3,
        ),
    }
    outside = {name: rate for name, (rate, low, high) in rates.items() if not low <= rate <= high}
    assert not outside, f"seed {seed}: rates outside their bands: {outside}"
    care = persons[persons["adult_social_care"]]
    assert (care["age"] >= 65).mean() > 0.5, f"seed {seed}"


def test_support_concentrates_in_social_renting_and_low_bands(persons: pd.DataFrame) -> None:
    adults = persons[persons["age"] >= 18]
    by_tenure = adults.groupby("tenure", observed=True)["council_tax_support"].mean()
    assert by_tenure["social_rented"] > 3 * by_tenure["owned_mortgage"]
    low_band = adults["council_tax_band"].isin(["A", "B"])
    cts = adults["council_tax_support"]
    assert cts[low_band].mean() > 2 * cts[~low_band].mean()
    homes = persons.drop_duplicates("uprn")
    band_rank = homes["council_tax_band"].cat.codes
    owners = homes["tenure"].astype(str).str.startswith("owned")
    assert band_rank[owners].mean() > band_rank[~owners].mean()


def test_areas_differ_beyond_chance(persons: pd.DataFrame) -> None:
    """Deprivation gives maps texture: social renting varies by OA far more than sampling would."""
    homes = persons.drop_duplicates("uprn")
    table = pd.crosstab(homes["oa_code"], homes["tenure"] == "social_rented")
    assert stats.chi2_contingency(table).pvalue < 1e-6
    by_area = persons.groupby("oa_code", observed=True).agg(
        social=("tenure", lambda tenure: (tenure == "social_rented").mean()),
        support=("council_tax_support", "mean"),
    )
    assert stats.spearmanr(by_area["social"], by_area["support"]).statistic > 0.3


def test_persons_are_allocated_in_proportion_to_population(persons: pd.DataFrame) -> None:
    lookup = make_lookup()
    counts = persons["oa_code"].value_counts().reindex(lookup["oa_code"]).to_numpy()
    population = lookup["population"].to_numpy(float)
    quotas = N_PERSONS * population / population.sum()
    assert counts.sum() == N_PERSONS
    assert np.abs(counts - quotas).max() < 1


@pytest.mark.parametrize("without", ["values", "column"])
def test_unknown_populations_still_give_every_area_residents(without: str) -> None:
    lookup = make_lookup().assign(population=pd.array([pd.NA] * N_AREAS, dtype="Int64"))
    if without == "column":
        lookup = lookup[["oa_code"]]
    residents = generate_residents(lookup, 10_000)
    counts = residents.drop_duplicates("person_id")["oa_code"].value_counts()
    assert counts.sum() == 10_000
    assert (
        counts.reindex(lookup["oa_code"]).between(10_000 / N_AREAS / 5, 3 * 10_000 / N_AREAS).all()
    )


def test_an_area_with_unknown_population_gets_a_typical_share() -> None:
    lookup = make_lookup()
    lookup.loc[0, "population"] = pd.NA
    counts = generate_residents(lookup, 20_000).drop_duplicates("person_id")["oa_code"]
    known = lookup["population"].iloc[1:].astype(float)
    median_share = known.median() / (known.sum() + known.median())
    assert abs((counts == lookup["oa_code"][0]).sum() - 20_000 * median_share) < 1


def test_household_sizes_follow_the_census_ratio() -> None:
    lookup = make_lookup()
    small = np.arange(N_AREAS) % 2 == 0
    households = np.where(small, lookup["population"] / 1.8, lookup["population"] / 3.8)
    lookup["households"] = pd.array(np.round(households).astype(int), dtype="Int64")
    homes = generate_residents(lookup, 20_000).drop_duplicates("person_id")
    sizes = homes.groupby("uprn", observed=True).agg(
        size=("person_id", "size"), oa=("oa_code", "first")
    )
    small_areas = set(lookup["oa_code"][small])
    in_small = sizes["oa"].isin(small_areas)
    assert 1.5 < sizes.loc[in_small, "size"].mean() < 2.1
    assert 3.4 < sizes.loc[~in_small, "size"].mean() < 4.2


def test_postcodes_belong_to_the_persons_area(persons: pd.DataFrame) -> None:
    lookup = make_lookup()
    area_of_postcode = make_postcodes(lookup).set_index("postcode")["oa_code"]
    with_postcode = persons[persons["postcode"].notna()]
    found = area_of_postcode.reindex(with_postcode["postcode"].astype(str)).to_numpy()
    assert (found == with_postcode["oa_code"].astype(str).to_numpy()).all()
    last_area = persons["oa_code"] == lookup["oa_code"].iloc[-1]
    assert last_area.any()
    assert persons.loc[last_area, "postcode"].isna().all()
    assert persons.loc[~last_area, "postcode"].notna().all()
    assert "ZZ99 9ZZ" not in set(with_postcode["postcode"].astype(str))


def test_a_seed_reproduces_the_same_records() -> None:
    lookup = make_lookup()
    first = generate_residents(lookup, 3_000, postcodes=make_postcodes(lookup), seed=42)
    again = generate_residents(lookup, 3_000, postcodes=make_postcodes(lookup), seed=42)
    other = generate_residents(lookup, 3_000, postcodes=make_postcodes(lookup), seed=43)
    pd.testing.assert_frame_equal(first, again)
    assert set(first["person_id"]) != set(other["person_id"])
    assert not first["age"].head(3_000).equals(other["age"].head(3_000))


def test_parquet_round_trip_is_labelled_synthetic(frame: pd.DataFrame, tmp_path: Path) -> None:
    sample = frame.head(5_000)
    path = write_residents(sample, tmp_path / "out" / "residents.parquet")
    assert path == tmp_path / "out" / "residents.parquet"
    metadata = pq.read_schema(path).metadata
    assert metadata[b"boroughkit.synthetic"] == b"true"
    description = metadata[b"boroughkit.description"].decode().lower()
    assert "synthetic" in description and "not real people" in description
    assert json.loads(metadata[b"boroughkit.schema"]) == json.loads(json.dumps(RESIDENT_SCHEMA))
    back = pd.read_parquet(path)
    # Ids come back as strings of another storage; everything else keeps its exact dtype.
    pd.testing.assert_frame_equal(back, sample, check_dtype=False)
    unchanged = [column for column in sample.columns if column not in ("person_id", "uprn")]
    assert (back[unchanged].dtypes == sample[unchanged].dtypes).all()
    assert list(tmp_path.joinpath("out").iterdir()) == [path]


def test_csv_round_trip_keeps_values(frame: pd.DataFrame, tmp_path: Path) -> None:
    sample = frame.head(2_000)
    path = write_residents(sample, tmp_path / "residents.CSV")
    back = pd.read_csv(
        path, dtype={"person_id": str, "uprn": str, "postcode": str}, encoding="utf-8"
    )
    assert list(back.columns) == list(sample.columns)
    assert (back["person_id"] == sample["person_id"].astype(str).to_numpy()).all()
    assert (back["uprn"] == sample["uprn"].astype(str).to_numpy()).all()
    assert (back["age"].to_numpy() == sample["age"].to_numpy()).all()
    assert np.allclose(back["rent_arrears_gbp"], sample["rent_arrears_gbp"])
    assert (back["service"] == sample["service"].astype(str).to_numpy()).all()


def test_an_unknown_suffix_is_a_config_error(frame: pd.DataFrame, tmp_path: Path) -> None:
    target = tmp_path / "residents.xlsx"
    with pytest.raises(ConfigError) as raised:
        write_residents(frame.head(10), target)
    message = str(raised.value)
    assert str(target) in message and ".parquet" in message and ".csv" in message
    assert raised.value.exit_code == 2
    assert not target.exists()


@pytest.mark.parametrize(
    ("lookup", "match"),
    [
        (pd.DataFrame({"code": ["E00000001"]}), "oa_code"),
        (pd.DataFrame({"oa_code": ["E00000001", "E00000001"]}), "more than once"),
        (pd.DataFrame({"oa_code": ["E00000001", None]}), "rows \\[1\\]"),
        (pd.DataFrame({"oa_code": ["E00000001"], "population": [-3]}), "negative"),
        (pd.DataFrame({"oa_code": pd.Series([], dtype=str)}), "no rows"),
    ],
)
def test_a_bad_lookup_is_a_data_error(lookup: pd.DataFrame, match: str) -> None:
    with pytest.raises(DataError, match=match):
        generate_residents(lookup, 10)


@pytest.mark.parametrize("n", [-1, 2.5, True, "100"])
def test_a_bad_person_count_is_a_config_error(n: object) -> None:
    with pytest.raises(ConfigError, match="whole number"):
        generate_residents(make_lookup(), n)  # type: ignore[arg-type]


def test_bad_postcodes_and_frames_are_data_errors() -> None:
    with pytest.raises(DataError, match="postcode"):
        generate_residents(make_lookup(), 10, postcodes=pd.DataFrame({"pc": ["ZZ1 1ZZ"]}))
    with pytest.raises(DataError, match="person_id"):
        person_count(pd.DataFrame({"id": [1]}))


def test_schema_is_complete_and_serialisable() -> None:
    allowed_types = {"id", "category", "integer", "number", "boolean", "string"}
    for column, spec in RESIDENT_SCHEMA.items():
        assert spec["type"] in allowed_types, column
        assert spec["description"], column
        if spec["type"] == "category":
            assert spec["values"] and len(set(spec["values"])) == len(spec["values"]), column
        if spec["type"] in ("integer", "number"):
            assert spec["min"] < spec["max"], column
    assert set(RESIDENT_SCHEMA["service"]["values"]) == {*SERVICE_FLAGS, "none"}
    assert json.loads(json.dumps(RESIDENT_SCHEMA)) == RESIDENT_SCHEMA


def test_two_hundred_thousand_people_are_generated() -> None:
    residents = generate_residents(make_lookup(), 200_000)
    assert person_count(residents) == 200_000
