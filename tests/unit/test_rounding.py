"""Sum-keeping non-negativity and rounding: exact properties (hypothesis) and unbiasedness."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from boroughkit.anonymise.rounding import (
    fit_two_partitions,
    round_circulation,
    round_within_groups,
    simplex_project,
)


def round_unbiased(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Independent unbiased rounding: the parents' totals for round_within_groups."""
    base = np.floor(values)
    return (base + (rng.random(values.shape) < values - base)).astype(np.int64)


values_strategy = st.floats(min_value=-50, max_value=200, allow_nan=False, width=64)


@st.composite
def grouped_values(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Children values (children × columns), their parent index and parent targets >= 0."""
    n_parents = draw(st.integers(1, 5))
    n_columns = draw(st.integers(1, 3))
    sizes = draw(st.lists(st.integers(1, 6), min_size=n_parents, max_size=n_parents))
    parent = np.repeat(np.arange(n_parents), sizes)
    parent = parent[draw(st.permutations(list(range(len(parent)))))]
    flat = draw(
        st.lists(
            values_strategy, min_size=len(parent) * n_columns, max_size=len(parent) * n_columns
        )
    )
    values = np.asarray(flat).reshape(len(parent), n_columns)
    targets = np.asarray(
        draw(
            st.lists(
                st.floats(0, 300, allow_nan=False),
                min_size=n_parents * n_columns,
                max_size=n_parents * n_columns,
            )
        )
    ).reshape(n_parents, n_columns)
    return values, parent, targets


def group_sums(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    sums = np.zeros((n_groups, values.shape[1]))
    np.add.at(sums, group, values)
    return sums


@settings(max_examples=100, deadline=None)
@given(grouped_values())
def test_simplex_projection_is_nonnegative_keeps_targets_and_is_a_projection(case):
    values, parent, targets = case
    projected = simplex_project(values, parent, targets)
    assert (projected >= 0).all()
    np.testing.assert_allclose(group_sums(projected, parent, len(targets)), targets, atol=1e-6)
    # Euclidean projection onto a scaled simplex: y = max(x - t, 0) with one t per group.
    for group in range(len(targets)):
        for column in range(values.shape[1]):
            rows = parent == group
            x, y = values[rows, column], projected[rows, column]
            if not (y > 0).any():  # target 0 (or below float resolution): every child is 0
                assert (y == 0).all()
                continue
            shift = x[y > 0] - y[y > 0]
            assert np.ptp(shift) < 1e-6
            assert (x[y == 0] <= shift[0] + 1e-6).all()


def test_simplex_projection_leaves_consistent_nonnegative_children_alone():
    values = np.array([[3.5, 0.0], [1.25, 7.0], [4.0, 2.0]])
    parent = np.array([0, 0, 1])
    targets = np.array([[4.75, 7.0], [4.0, 2.0]])
    np.testing.assert_allclose(simplex_project(values, parent, targets), values)


def test_simplex_projection_takes_a_cut_negative_from_the_siblings():
    projected = simplex_project(
        np.array([[-2.0], [5.0], [7.0]]), np.zeros(3, int), np.array([[10.0]])
    )
    np.testing.assert_allclose(projected[:, 0], [0.0, 4.0, 6.0])


@st.composite
def nonnegative_groups(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative fractional children (children × columns) and their group index."""
    n_groups = draw(st.integers(1, 5))
    n_columns = draw(st.integers(1, 3))
    sizes = draw(st.lists(st.integers(1, 7), min_size=n_groups, max_size=n_groups))
    group = np.repeat(np.arange(n_groups), sizes)
    flat = draw(
        st.lists(
            st.floats(0, 40, allow_nan=False),
            min_size=len(group) * n_columns,
            max_size=len(group) * n_columns,
        )
    )
    return np.asarray(flat).reshape(len(group), n_columns), group


@settings(max_examples=100, deadline=None)
@given(nonnegative_groups(), st.integers(0, 2**32 - 1))
def test_rounding_within_groups_keeps_sums_and_stays_within_one(case, seed):
    values, group = case
    rng = np.random.default_rng(seed)
    n_groups = int(group.max()) + 1
    sums = group_sums(values, group, n_groups)
    totals = round_unbiased(sums, rng)
    rounded = round_within_groups(values, group, totals, rng)
    assert rounded.dtype == np.int64
    assert (rounded >= 0).all()
    assert (np.abs(rounded - values) < 1 + 1e-9).all()
    np.testing.assert_array_equal(group_sums(rounded, group, n_groups), totals)


def test_rounding_within_groups_is_unbiased():
    rng = np.random.default_rng()
    values = np.array([[0.3], [2.45], [1.8], [0.1], [4.35], [0.9], [0.0], [3.0]])
    group = np.array([0, 0, 0, 1, 1, 1, 1, 1])
    draws = 40_000  # independent columns are independent roundings
    repeated = np.repeat(values, draws, axis=1)
    totals = round_unbiased(group_sums(repeated, group, 2), rng)
    mean = round_within_groups(repeated, group, totals, rng).mean(axis=1, keepdims=True)
    fraction = values - np.floor(values)
    # A rounding error is a Bernoulli(p) draw: 5 standard errors of its mean.
    band = 5 * np.sqrt(fraction * (1 - fraction) / draws) + 1e-9
    assert (np.abs(mean - values) <= band).all()


@st.composite
def circulations(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A random graph carrying a non-negative fractional circulation built from cycles."""
    n_vertices = draw(st.integers(2, 7))
    n_edges = draw(st.integers(2, 14))
    tail = np.asarray(
        draw(st.lists(st.integers(0, n_vertices - 1), min_size=n_edges, max_size=n_edges))
    )
    shift = np.asarray(
        draw(st.lists(st.integers(1, n_vertices - 1), min_size=n_edges, max_size=n_edges))
    )
    head = (tail + shift) % n_vertices
    flow = np.zeros(n_edges)
    for _ in range(draw(st.integers(1, 6))):  # push amounts round directed cycles
        start = draw(st.integers(0, n_edges - 1))
        amount = draw(st.floats(0.01, 9.99, allow_nan=False))
        path, vertex, seen = [], tail[start], set()
        while vertex not in seen:
            seen.add(vertex)
            out = [e for e in range(n_edges) if tail[e] == vertex]
            if not out:
                path = []
                break
            edge = out[draw(st.integers(0, len(out) - 1))]
            path.append(edge)
            vertex = head[edge]
        cycle_start = next((i for i, e in enumerate(path) if tail[e] == vertex), None)
        if cycle_start is not None:
            flow[path[cycle_start:]] += amount
    return tail, head, flow


def balance(tail: np.ndarray, head: np.ndarray, flow: np.ndarray) -> np.ndarray:
    net = np.zeros(int(max(tail.max(), head.max())) + 1)
    np.add.at(net, head, flow)
    np.add.at(net, tail, -flow)
    return net


@settings(max_examples=100, deadline=None)
@given(circulations(), st.integers(0, 2**32 - 1))
def test_circulation_rounding_keeps_balance_and_stays_within_one(case, seed):
    tail, head, flow = case
    rounded = round_circulation(tail, head, flow[:, None], np.random.default_rng(seed))[:, 0]
    assert (rounded >= 0).all()
    assert (np.abs(rounded - flow) < 1 + 1e-9).all()
    np.testing.assert_allclose(balance(tail, head, rounded), 0, atol=1e-9)


def test_circulation_rounding_is_unbiased_on_two_crossing_hierarchies():
    # A 2 × 3 table with row and column margins: rows are wards, columns are MSOAs.
    cells = np.array([[0.4, 1.7, 2.2], [3.5, 0.25, 0.95]])
    rows, columns = cells.sum(axis=1), cells.sum(axis=0)
    # Vertices: 0 borough (column side), 1 borough (row side), 2-4 columns, 5-6 rows.
    tail = np.array([1, 0, 0, 0, 2, 3, 4, 2, 3, 4, 5, 6])
    head = np.array([0, 2, 3, 4, 5, 5, 5, 6, 6, 6, 1, 1])
    flow = np.concatenate([[cells.sum()], columns, cells[0], cells[1], rows])
    draws = 5_000
    rounded = round_circulation(
        tail, head, np.repeat(flow[:, None], draws, axis=1), np.random.default_rng()
    )
    assert (np.abs(rounded - flow[:, None]) < 1).all()
    fraction = flow - np.floor(flow)
    band = 5 * np.sqrt(fraction * (1 - fraction) / draws) + 1e-9
    assert (np.abs(rounded.mean(axis=1) - flow) <= band).all()


def test_two_partitions_keep_both_sums_and_move_a_negative_round_a_cycle():
    # A 2 × 2 table (rows: LSOAs, columns: wards) whose margins admit one non-negative table
    # family; the estimate has a negative cell, which must become 0 with both margins kept.
    values = np.array([[-1.0], [5.0], [4.0], [2.0]])  # cells (0,0), (0,1), (1,0), (1,1)
    rows, columns = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    fitted = fit_two_partitions(
        values, (rows, np.array([[4.0], [6.0]])), (columns, np.array([[3.0], [7.0]]))
    )[:, 0]
    assert (fitted >= 0).all()
    np.testing.assert_allclose(np.bincount(rows, fitted), [4, 6], atol=1e-9)
    np.testing.assert_allclose(np.bincount(columns, fitted), [3, 7], atol=1e-9)
    # Nearest such table: the cycle moves by 1, so (0,0) = 0, (0,1) = 4, (1,0) = 3, (1,1) = 3.
    np.testing.assert_allclose(fitted, [0, 4, 3, 3], atol=1e-9)


def test_two_partitions_fall_back_to_the_first_when_the_second_cannot_be_met():
    # The only child of ward 1 sits in LSOA 0, whose target is 1, but ward 1 wants 5.
    values = np.array([[1.0], [2.0], [3.0]])
    fitted = fit_two_partitions(
        values,
        (np.array([0, 1, 1]), np.array([[1.0], [5.0]])),
        (np.array([1, 0, 0]), np.array([[1.0], [5.0]])),
    )[:, 0]
    np.testing.assert_allclose(np.bincount([0, 1, 1], fitted), [1, 5], atol=1e-9)
    assert (fitted >= 0).all()
