"""Small constructed data sets and schemas shared by the synthesiser unit tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from boroughkit.synth.rules import parse_rules
from boroughkit.synth.schema import ColumnSpec, SynthSchema

AREAS = ("E01", "E02", "E03")
TENURES = ("owned", "social", "private")
RULES = (
    "when age < 16 then income is missing",
    "when age >= 16 then income is present",
    "when age < 16 then tenure_payer == False",
)


def people_schema() -> SynthSchema:
    """Area, age, sex, tenure, income (missing for children) and two flags."""
    return SynthSchema(
        columns=(
            ColumnSpec("person_id", "id"),
            ColumnSpec("area", "area", values=AREAS),
            ColumnSpec("age", "integer", lower=0, upper=99, bins=(0, 16, 30, 45, 65, 99)),
            ColumnSpec("sex", "category", values=("F", "M")),
            ColumnSpec("tenure", "category", values=TENURES),
            ColumnSpec(
                "income",
                "number",
                lower=0,
                upper=200_000,
                bins=(0, 10_000, 20_000, 40_000, 80_000, 200_000),
                nullable=True,
            ),
            ColumnSpec("tenure_payer", "flag"),
            ColumnSpec("benefit", "flag"),
        ),
        quasi_identifiers=("area", "age", "sex"),
        sensitive=("benefit",),
        rules=parse_rules(RULES),
        person_column="person_id",
        name="people",
    )


def make_people(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` people with strong, known dependencies (area -> tenure, age -> income, benefit)."""
    rng = np.random.default_rng(seed)
    area = rng.choice(AREAS, n, p=[0.5, 0.3, 0.2])
    age = rng.integers(0, 90, n)
    adult = age >= 16
    sex = rng.choice(["F", "M"], n)
    tenure = np.where(
        area == "E01",
        rng.choice(TENURES, n, p=[0.7, 0.2, 0.1]),
        rng.choice(TENURES, n, p=[0.1, 0.6, 0.3]),
    )
    income = np.where(adult, np.round(rng.lognormal(10, 0.6, n), 2).clip(0, 200_000), np.nan)
    benefit = (tenure == "social") & (rng.random(n) < 0.7) | (rng.random(n) < 0.05)
    return pd.DataFrame(
        {
            "person_id": [f"P{i:06d}" for i in range(n)],
            "area": area,
            "age": age,
            "sex": sex,
            "tenure": tenure,
            "income": income,
            "tenure_payer": adult & (rng.random(n) < 0.6),
            "benefit": benefit,
        }
    )
