"""DP synthesis: budgets, no seeding, rules, hierarchies and accuracy within noise-derived bands."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from boroughkit.errors import ConfigError
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.dp_budget import DPBudget
from boroughkit.synth import count_violations, make_synthesiser
from boroughkit.synth.dp_marginals import DPMarginalSynthesiser
from boroughkit.synth.schema import ColumnSpec, Hierarchy, SynthSchema
from tests.helpers.synth import make_people, people_schema


def test_dp_methods_are_never_seeded() -> None:
    schema = people_schema()
    with pytest.raises(ConfigError, match="never seeded"):
        make_synthesiser("dp_mst", schema, budget=Rho(1), seed=1)
    assert make_synthesiser("dp_mst", schema, budget=Rho(1)).seed is None


@pytest.mark.parametrize("budget", [Rho("0.5"), DPBudget.pure(1)])
def test_mst_output_keeps_rules_and_reports_what_it_measured(budget: Rho | DPBudget) -> None:
    schema = people_schema()
    synthesiser = make_synthesiser("dp_mst", schema, budget=budget).fit(make_people(1500, seed=4))
    synthetic = synthesiser.sample(1500)
    schema.validate(synthetic, source="synthetic")
    assert sum(count_violations(synthetic, schema.rules).values()) == 0
    parameters = synthesiser.describe()["parameters"]
    assert len(parameters["measured_marginals"]) == len(schema.names) - 1
    assert parameters["cut_points"]["income"] == [0, 10000, 20000, 40000, 80000, 200000]
    assert parameters["budget"] == (
        {"definition": "pure-DP", "epsilon": "1", "noise": "Laplace"}
        if isinstance(budget, DPBudget)
        else {"definition": "zCDP", "rho": "0.5", "noise": "Gaussian"}
    )
    # The released row count is the noisy tables' total, near the real 1500.
    assert abs(parameters["estimated_rows"] - 1500) < 150


def test_mst_shares_are_unbiased_within_noise_bands() -> None:
    """Over repeated releases the share of owners in area E01 stays within noise-derived bands."""
    schema = people_schema()
    real = make_people(2000, seed=8)
    truth = float(((real["area"] == "E01") & (real["tenure"] == "owned")).mean())
    rho, n_edges = Rho("0.2"), len(schema.names) - 1
    # Each measured table carries Gaussian noise of this scale per cell; the E01 x owned share is
    # read from a 3 x 3 table whose 9 cells' noise can move it (projection only shrinks that).
    sigma = math.sqrt(n_edges / (2 * float(rho) * 0.85))
    band = 4 * (sigma * 3 / len(real) + math.sqrt(truth * (1 - truth) / len(real)))
    shares = []
    for _ in range(6):
        synthetic = DPMarginalSynthesiser(schema, budget=rho).fit(real).sample(len(real))
        shares.append(
            float(((synthetic["area"] == "E01") & (synthetic["tenure"] == "owned")).mean())
        )
    assert all(abs(share - truth) < band for share in shares)
    assert abs(np.mean(shares) - truth) < band / math.sqrt(6) * 1.5
    assert np.std(shares) > 0  # noise is fresh each time: nothing is seeded


def _coded_schema() -> SynthSchema:
    codes = tuple(range(10, 20)) + tuple(range(30, 34))
    return SynthSchema(
        columns=(
            ColumnSpec("group", "category", values=("a", "b"), nullable=True),
            ColumnSpec("code", "category", values=codes, nullable=True),
            ColumnSpec("size", "integer", lower=0, upper=9, bins=(0, 3, 6, 9)),
        ),
        hierarchies=(
            Hierarchy("code", "group", tuple((c, "a" if c < 30 else "b") for c in codes)),
        ),
    )


def test_hierarchy_child_is_drawn_within_its_parent() -> None:
    schema = _coded_schema()
    rng = np.random.default_rng(2)
    code = rng.choice([10, 11, 31, np.nan], 3000, p=[0.5, 0.2, 0.2, 0.1])
    group = pd.Series(np.where(code < 30, "a", "b")).where(~np.isnan(code))
    real = pd.DataFrame({"group": group, "code": code, "size": rng.integers(0, 10, 3000)})
    synthesiser = DPMarginalSynthesiser(schema, budget=Rho(5)).fit(real)
    synthetic = synthesiser.sample(4000)
    assert "code" not in synthesiser.modelled
    consistent = synthetic["code"].isna() == synthetic["group"].isna()
    assert consistent.all()
    coded = synthetic.dropna(subset=["code"])
    assert ((coded["code"] < 30) == (coded["group"] == "a")).all()
    # With a large budget the child mostly takes the codes the data holds.
    assert coded["code"].isin([10, 11, 31]).mean() > 0.9


@pytest.mark.slow
def test_aim_through_opendp_runs_on_a_small_table() -> None:
    schema = SynthSchema(
        columns=(
            ColumnSpec("area", "area", values=("E01", "E02", "E03")),
            ColumnSpec("sex", "category", values=("F", "M")),
            ColumnSpec("tenure", "category", values=("owned", "social", "private")),
        )
    )
    real = make_people(800, seed=1)[["area", "sex", "tenure"]]
    synthesiser = make_synthesiser("dp_aim", schema, budget=Rho(1), aim_rounds=3)
    synthetic = synthesiser.fit(real).sample(500)
    schema.validate(synthetic, source="synthetic")
    assert synthesiser.describe()["parameters"]["algorithm"] == "aim"


def test_a_single_column_is_released_from_its_one_way_table() -> None:
    schema = SynthSchema(columns=(ColumnSpec("area", "area", values=("E01", "E02", "E03")),))
    real = make_people(1000, seed=6)[["area"]]
    synthesiser = DPMarginalSynthesiser(schema, budget=Rho(2)).fit(real)
    shares = synthesiser.sample(3000)["area"].value_counts(normalize=True)
    # 1000 people, noise of about one count per cell: shares within sampling error of 0.5/0.3/0.2.
    assert abs(shares["E01"] - 0.5) < 0.06
    assert synthesiser.measured == [["area"]]


def test_an_exact_rho_is_recorded_exactly_and_never_rounded_up_for_opendp() -> None:
    real = make_people(400, seed=3)
    synthesiser = make_synthesiser("dp_mst", people_schema(), budget=Rho("0.1")).fit(real)
    assert synthesiser.describe()["parameters"]["budget"]["rho"] == "0.1"
    # The float nearest 1/10 is above it: OpenDP is handed the float just below instead.
    assert Fraction(0.1) > Fraction(1, 10)
    assert Fraction(synthesiser.budget.spendable) < Fraction(1, 10)
