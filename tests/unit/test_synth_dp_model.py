"""Post-processing of noisy marginals: simplex projection, structural zeros, tree sampling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boroughkit.synth.dp_model import fit_tree, impossible_cells, project_to_simplex
from boroughkit.synth.evaluate.kmarginal import kmarginal
from tests.helpers.synth import make_people, people_schema


def test_projection_by_hand() -> None:
    assert project_to_simplex(np.array([3.0, 1.0, -1.0]), 2.0).tolist() == [2.0, 0.0, 0.0]
    assert project_to_simplex(np.array([1.0, 1.0]), 4.0).tolist() == [2.0, 2.0]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-100, 100, allow_nan=False), min_size=1, max_size=30),
    st.floats(0.5, 500),
)
def test_projection_is_nonnegative_with_the_total(values: list[float], total: float) -> None:
    projected = project_to_simplex(np.array(values), total)
    assert (projected >= 0).all()
    assert projected.sum() == pytest.approx(total, rel=1e-9)
    # Projecting a feasible point leaves it where it is.
    assert np.allclose(project_to_simplex(projected, total), projected)


def test_rules_mark_impossible_cells() -> None:
    schema = people_schema()
    cells = impossible_cells(schema, ("age", "income"))
    # age bins [0,16) ... ; income bins then "missing" last.
    assert cells[0, :-1].all()  # a child with an income
    assert not cells[0, -1]  # a child without one
    assert cells[1:, -1].all()  # an adult without an income
    assert not cells[1:, :-1].any()
    assert not impossible_cells(schema, ("area", "sex")).any()


def test_a_tree_fitted_on_exact_tables_reproduces_the_data() -> None:
    schema = people_schema()
    real = schema.validate(make_people(3000, seed=5))
    codes = schema.encode(real)
    sizes = {spec.name: spec.n_codes for spec in schema.synthesised}
    edges = [
        ("area", "tenure"),
        ("tenure", "benefit"),
        ("area", "age"),
        ("age", "income"),
        ("age", "tenure_payer"),
        ("age", "sex"),
    ]
    tables: dict[tuple[str, ...], np.ndarray] = {}
    for a, b in edges:
        table = np.zeros((sizes[a], sizes[b]))
        np.add.at(table, (codes[a], codes[b]), 1)
        tables[(a, b)] = table
    model = fit_tree(schema, schema.names, tables, {}, float(len(real)))
    sampled = model.sample(20000, np.random.default_rng(0))
    synthetic = schema.decode(sampled[schema.names], np.random.default_rng(1))
    for a, b in edges:
        assert kmarginal(real, synthetic, schema, columns=[a, b]).score > 970
    assert isinstance(synthetic, pd.DataFrame)
