"""Synthetic council records of a London borough's residents, for demos, tests and benchmarks.

The records are fictional: people, households and identifiers are drawn at random (household
ids start with 99 so they can never be real UPRNs). Rates are set to resemble an outer London
borough such as Barking and Dagenham, and each Output Area gets a deprivation score so that maps
of the released tables have texture. Seeding is allowed here: this is demo data, not DP noise.

The output is in long form: one row per person per service received, and a single row with
``service="none"`` for a person who receives none; person columns repeat across a person's rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from boroughkit.demo._ids import fixed_width_strings, unique_numbers
from boroughkit.demo._io import write_residents
from boroughkit.demo._people import (
    household_council_tax_band,
    household_tenure,
    person_ages_and_sexes,
)
from boroughkit.demo._places import (
    area_deprivation,
    household_layout,
    household_postcodes,
    mean_household_sizes,
    persons_per_area,
)
from boroughkit.demo._services import PersonContext, rent_arrears, service_flags
from boroughkit.demo._validate import checked_n, checked_oa_codes, checked_postcodes, population_of
from boroughkit.demo.schema import (
    AGE_BAND_LOWER_BOUNDS,
    AGE_BANDS,
    COUNCIL_TAX_BANDS,
    RESIDENT_SCHEMA,
    SERVICE_FLAGS,
    SERVICES,
    SEXES,
    TENURES,
)
from boroughkit.errors import DataError

__all__ = ["RESIDENT_SCHEMA", "generate_residents", "person_count", "write_residents"]


def generate_residents(
    lookup: pd.DataFrame,
    n: int,
    *,
    postcodes: pd.DataFrame | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Generate exactly ``n`` synthetic residents living in the OAs of ``lookup``.

    ``lookup`` needs an ``oa_code`` column; ``population`` (persons are allocated in proportion,
    exactly ``n`` in total) and ``households`` (sets each OA's mean household size) are used when
    present, and ``lsoa_code`` makes neighbouring OAs alike. With ``postcodes`` (``postcode``,
    ``oa_code``) each household gets a postcode of its OA. ``seed=None`` draws fresh randomness.

    Returns the long-form records with the columns of :data:`RESIDENT_SCHEMA` (``postcode``
    only when postcodes are given); category columns are pandas categoricals listing every
    allowed value, ids are Arrow-backed strings.
    """
    n = checked_n(n)
    oa_codes = checked_oa_codes(lookup)
    postcodes = checked_postcodes(postcodes)
    rng = np.random.default_rng(seed)

    deprivation = area_deprivation(lookup, rng)
    counts = persons_per_area(population_of(lookup), n, rng)
    layout = household_layout(counts, mean_household_sizes(lookup, deprivation), rng)
    ages, female = person_ages_and_sexes(layout, rng)
    household = layout.person_household
    household_deprivation = deprivation[layout.household_area]
    # Need varies between homes of one area as much as between areas.
    need = 0.7 * household_deprivation + 0.7 * rng.normal(size=len(layout.household_size))
    reference_age = ages[layout.person_position == 0]
    tenure = household_tenure(reference_age, need, household_deprivation, rng)
    band = household_council_tax_band(tenure, layout.household_size, household_deprivation, rng)
    context = PersonContext(
        age=ages,
        household=household,
        tenure=tenure[household],
        band=band[household],
        need=need[household],
        household_size=layout.household_size[household],
    )
    flags = service_flags(context, rng)
    arrears = rent_arrears(context, flags["housing_benefit"], layout.person_position, rng)

    # Shuffle persons so that row order says nothing about area or household.
    order = rng.permutation(n)
    service_matrix = np.column_stack([flags[name][order] for name in SERVICE_FLAGS])
    with_none = np.column_stack([service_matrix, ~service_matrix.any(axis=1)])
    row_person, row_service = np.nonzero(with_none)  # row-major: grouped by person
    person = order[row_person]
    row_household = household[person]

    person_numbers = unique_numbers(n, 10**8, 10**9, rng)
    household_numbers = unique_numbers(len(layout.household_size), 0, 10**10, rng)
    columns: dict[str, object] = {
        "person_id": _arrow_strings(fixed_width_strings("R", person_numbers, 9, rows=person)),
        "uprn": _arrow_strings(
            fixed_width_strings("99", household_numbers, 10, rows=row_household)
        ),
        "oa_code": pd.Categorical.from_codes(layout.person_area[person], categories=oa_codes),
    }
    if postcodes is not None:
        household_postcode = household_postcodes(postcodes, oa_codes, layout.household_area, rng)
        columns["postcode"] = pd.Categorical.from_codes(
            household_postcode.codes[row_household], categories=household_postcode.categories
        )
    row_age = ages[person]
    age_band = np.searchsorted(AGE_BAND_LOWER_BOUNDS, row_age, side="right") - 1
    columns |= {
        "age": row_age,
        "age_band": _category(age_band, AGE_BANDS),
        "sex": _category(np.where(female[person], 0, 1), SEXES),
        "tenure": _category(context.tenure[person], TENURES),
        "council_tax_band": _category(context.band[person], COUNCIL_TAX_BANDS),
        **{name: flags[name][person] for name in SERVICE_FLAGS},
        "rent_arrears_gbp": arrears[person],
        "service": _category(row_service, SERVICES),
    }
    # Built in schema order already; copy=False keeps peak memory near the frame's own size.
    return pd.DataFrame(columns, copy=False)


def person_count(frame: pd.DataFrame) -> int:
    """How many distinct persons a long-form residents frame holds."""
    if "person_id" not in frame.columns:
        raise DataError(
            "the residents frame has no 'person_id' column, so persons cannot be counted; "
            f"columns are {list(frame.columns)}",
            fix="pass a frame made by generate_residents or read from its file",
        )
    return int(frame["person_id"].nunique())


def _category(codes: np.ndarray, values: tuple[str, ...]) -> pd.Categorical[str]:
    """A categorical listing every public value, even those that do not occur."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(values)))


def _arrow_strings(array: pa.Array) -> pd.arrays.ArrowStringArray:
    """Wrap an Arrow string array as a pandas ``string[pyarrow]`` array without copying."""
    return pd.arrays.ArrowStringArray(pa.chunked_array([array]))
