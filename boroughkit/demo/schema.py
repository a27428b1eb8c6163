"""The public schema of the synthetic demo resident records.

Every category list here is complete and public: other modules declare these values as the group
keys of a release, so a category that happens to be empty in the data is still published (with
noise) and no privacy budget is spent on discovering which values occur. Plain dicts and lists
keep the schema ready for ``yaml.safe_dump`` and ``json.dumps``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

AGE_BANDS: Final = ("0-15", "16-24", "25-44", "45-64", "65+")
AGE_BAND_LOWER_BOUNDS: Final = (0, 16, 25, 45, 65)
SEXES: Final = ("F", "M")
TENURES: Final = ("owned_outright", "owned_mortgage", "social_rented", "private_rented")
RENTING_TENURES: Final = ("social_rented", "private_rented")
COUNCIL_TAX_BANDS: Final = ("A", "B", "C", "D", "E", "F", "G", "H")
SERVICE_FLAGS: Final = (
    "council_tax_support",
    "housing_benefit",
    "free_school_meals",
    "homelessness_prevention",
    "temporary_accommodation",
    "adult_social_care",
    "childrens_early_help",
)
NO_SERVICE: Final = "none"
SERVICES: Final = (*SERVICE_FLAGS, NO_SERVICE)
MAX_AGE: Final = 100
MAX_RENT_ARREARS_GBP: Final = 25_000.0
PERSON_ID_PATTERN: Final = r"^R\d{9}$"
UPRN_PATTERN: Final = r"^99\d{10}$"

_FLAG_DESCRIPTIONS: Final = {
    "council_tax_support": "Receives council tax support (adults only).",
    "housing_benefit": "Receives housing benefit (adults in rented homes only).",
    "free_school_meals": "Eligible for free school meals (school age 4 to 16 only).",
    "homelessness_prevention": "Household in a homelessness prevention case.",
    "temporary_accommodation": "Household placed in temporary accommodation (renters only).",
    "adult_social_care": "Receives adult social care (adults, mostly aged 65 and over).",
    "childrens_early_help": "Receives children's early help (under 18 only).",
}

RESIDENT_SCHEMA: Final[Mapping[str, Mapping[str, Any]]] = {
    "person_id": {
        "type": "id",
        "description": "Synthetic person identifier, 'R' and 9 digits; unique per person. "
        "A person has one row per service received, so the id repeats across those rows.",
    },
    "uprn": {
        "type": "id",
        "description": "Synthetic household identifier shared by the people of a household: "
        "12 digits starting '99', so it can never be a real UPRN.",
    },
    "oa_code": {
        "type": "string",
        "description": "2021 Output Area code of the person's home, from the geography lookup.",
    },
    "postcode": {
        "type": "string",
        "optional": True,
        "description": "A postcode of the home's Output Area, shared by the household; present "
        "only when the geography has postcodes, missing for an area without any.",
    },
    "age": {
        "type": "integer",
        "min": 0,
        "max": MAX_AGE,
        "description": "Age in whole years.",
    },
    "age_band": {
        "type": "category",
        "values": list(AGE_BANDS),
        "description": "Age band derived from age.",
    },
    "sex": {"type": "category", "values": list(SEXES), "description": "Sex: F or M."},
    "tenure": {
        "type": "category",
        "values": list(TENURES),
        "description": "Tenure of the household's home.",
    },
    "council_tax_band": {
        "type": "category",
        "values": list(COUNCIL_TAX_BANDS),
        "description": "Council tax valuation band of the household's home.",
    },
    **{
        flag: {"type": "boolean", "description": description}
        for flag, description in _FLAG_DESCRIPTIONS.items()
    },
    "rent_arrears_gbp": {
        "type": "number",
        "min": 0.0,
        "max": MAX_RENT_ARREARS_GBP,
        "description": "Rent arrears in pounds (2 dp), held by the named tenant of a rented home; "
        "0 for everyone else and for owners.",
    },
    "service": {
        "type": "category",
        "values": list(SERVICES),
        "description": "The service of this row: one row per person per service received, or a "
        "single row 'none' for a person who receives no service.",
    },
}
"""Every output column -> {type, values (categories), min/max (numbers), description}."""


def resident_columns(*, with_postcode: bool) -> list[str]:
    """The output columns in order; ``postcode`` only when the geography has postcodes."""
    return [name for name in RESIDENT_SCHEMA if with_postcode or name != "postcode"]
