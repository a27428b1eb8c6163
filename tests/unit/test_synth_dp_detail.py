"""Values inside public bins drawn from noisy fine cells: nesting, budget and accuracy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from boroughkit.privacy.budget import Rho
from boroughkit.privacy.dp_budget import DPBudget
from boroughkit.synth.dp_detail import BinDetail, fine_spec
from boroughkit.synth.dp_marginals import DPMarginalSynthesiser
from boroughkit.synth.schema import ColumnSpec, SynthSchema
from tests.helpers.synth import make_people, people_schema


def test_fine_cells_nest_in_the_public_bins() -> None:
    age = ColumnSpec("age", "integer", lower=0, upper=99, bins=(0, 10, 30, 99))
    fine = fine_spec(age, 10)
    assert set(age.bins) <= set(fine.bins)
    # A bin of ten whole numbers becomes whole numbers; wider ones are cut into ten parts, at
    # whole numbers.
    assert fine.bins[:11] == tuple(float(a) for a in range(11))
    assert fine.bins[10:21] == tuple(float(a) for a in range(10, 31, 2))
    assert len([edge for edge in fine.bins if 30 <= edge <= 99]) == 11
    assert all(float(edge).is_integer() for edge in fine.bins)
    income = ColumnSpec("income", "number", lower=0, upper=100, bins=(0, 50, 100), nullable=True)
    detail = BinDetail.from_noisy(income, fine_spec(income, 4), np.ones(9))
    assert detail.parent_bins().tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 2]
    # A missing bin stays missing; a bin's draws stay inside it.
    cells = detail.refine(np.array([2, 2, 1, 0]), np.random.default_rng())
    assert cells[:2].tolist() == [8, 8]
    assert 4 <= cells[2] <= 7 and 0 <= cells[3] <= 3


def test_noise_is_cleaned_to_non_negative_counts_with_the_same_total() -> None:
    spec = ColumnSpec("n", "integer", lower=0, upper=9, bins=(0, 9))
    detail = BinDetail.from_noisy(
        spec, fine_spec(spec, 10), np.array([5.0, -3, 40, 2, -1, 0, 0, 1, 0])
    )
    assert (detail.weights >= 0).all()
    assert math.isclose(detail.weights.sum(), 44.0)


@pytest.mark.parametrize("budget", [Rho("0.3"), DPBudget.epsilon_delta(1, 1e-9), DPBudget.pure(1)])
def test_every_query_together_spends_the_budget_and_no_more(budget: Rho | DPBudget) -> None:
    synthesiser = DPMarginalSynthesiser(people_schema(), budget=budget).fit(make_people(600, 5))
    spendable = DPBudget.of(budget).spendable
    spent = sum(synthesiser.query_losses)
    assert spent <= spendable
    assert spent > spendable * (1 - 1e-6)
    # Tree selection, the tree's tables, and one query for the fine cells of age and income.
    assert len(synthesiser.query_losses) == len(people_schema().names) - 1 + 1 + 1
    assert set(synthesiser.describe()["parameters"]["fine_cut_points"]) == {"age", "income"}


def _spiky_ages(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(9)
    age = np.where(rng.random(n) < 0.4, 3, rng.integers(0, 21, n))
    return pd.DataFrame({"area": rng.choice(["E01", "E02"], n), "age": age})


def test_a_spike_inside_a_public_bin_survives_within_noise_bands() -> None:
    schema = SynthSchema(
        columns=(
            ColumnSpec("area", "area", values=("E01", "E02")),
            ColumnSpec("age", "integer", lower=0, upper=20, bins=(0, 10, 20)),
        )
    )
    real = _spiky_ages(2000)
    truth = float((real["age"] == 3).mean())
    rho = 0.5
    # The fine cells' noise (one table, a tenth of ρ) and the bin's share from the 2-way table.
    sigma_fine = math.sqrt(1 / (2 * rho * 0.1))
    band = 4 * (sigma_fine * math.sqrt(21) / len(real) + math.sqrt(truth / len(real))) + 0.02
    shares = []
    for _ in range(5):
        synthetic = DPMarginalSynthesiser(schema, budget=Rho(rho)).fit(real).sample(3000)
        shares.append(float((synthetic["age"] == 3).mean()))
    # Drawn uniformly inside [0, 10) the spike would be spread to about 0.1.
    assert all(abs(share - truth) < band for share in shares), (shares, truth, band)
    assert np.std(shares) > 0  # fresh noise every time: nothing is seeded
