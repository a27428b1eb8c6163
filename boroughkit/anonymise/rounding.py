"""Non-negativity and integer rounding that keep every sum of a table exact.

All vectorised over category columns (each column is independent):

- :func:`simplex_project` moves each group of children onto ``{y >= 0, sum(y) = parent}``
  (Euclidean projection onto a scaled simplex): a negative estimate becomes 0, its siblings
  give up the difference, the parent is untouched. :func:`fit_two_partitions` does the same
  for children summed by two crossing partitions (LSOA pieces and wards).
- :func:`round_circulation` rounds a fractional *circulation* (edge values that balance at every
  vertex) to an integer one by dependent rounding on cycles: every edge ends at the floor or
  ceiling of its value, in expectation at its value, and the balance still holds. With areas as
  edges this is Cox's unbiased controlled rounding, for two crossing hierarchies at once.
- :func:`round_within_groups` finishes the children of already rounded parents by systematic
  rounding whose random start is drawn given the parent's rounded total: children end at floor
  or ceiling, sum to the parent exactly, and are unbiased overall.

The random generator is passed in: this is post-processing of already private values, so any
generator is safe, and none is seeded from configuration.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.optimize
import scipy.sparse
import scipy.sparse.csgraph

# Values within this distance of an integer are treated as that integer (float sums drift).
_TOLERANCE = 1e-7


def _group_starts(sorted_groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Index of the first position of each group in an array sorted by group."""
    return np.searchsorted(sorted_groups, np.arange(n_groups))


def simplex_project(values: np.ndarray, parent: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Project each parent's children onto ``{y >= 0, sum(y) = target}`` (Euclidean).

    ``values`` is children × columns, ``parent`` the parent index of each child and ``targets``
    parents × columns (non-negative). The result keeps the children's order and is ``max(x - t,
    0)`` with one threshold ``t`` per parent and column.
    """
    n_children, n_columns = values.shape
    n_parents = targets.shape[0]
    keys = np.stack([-values.T, np.broadcast_to(parent, (n_columns, n_children))])
    order = np.lexsort(keys, axis=-1)  # per column: by parent, then value descending
    ordered = np.take_along_axis(values.T, order, axis=1)
    sorted_parent = parent[order[0]]
    starts = _group_starts(sorted_parent, n_parents)
    rank = np.arange(n_children) - starts[sorted_parent] + 1
    cumulative = np.cumsum(ordered, axis=1)
    before = np.where(starts > 0, cumulative[:, np.maximum(starts - 1, 0)], 0.0)
    within = cumulative - before[:, sorted_parent]
    target = targets.T[:, sorted_parent]
    kept = ordered - (within - target) / rank > 0
    kept_count = np.zeros((n_parents, n_columns), dtype=np.int64)
    np.add.at(kept_count, sorted_parent, kept.T.astype(np.int64))
    kept_count = kept_count.T
    last = np.clip(starts[None, :] + kept_count - 1, 0, n_children - 1)
    kept_sum = np.take_along_axis(within, last, axis=1)
    threshold = (kept_sum - targets.T) / np.maximum(kept_count, 1)
    threshold = np.where(kept_count > 0, threshold, np.inf)  # target 0: every child is 0
    projected = np.maximum(values - threshold.T[parent], 0.0)
    return projected


def fit_two_partitions(
    values: np.ndarray,
    first: tuple[np.ndarray, np.ndarray],
    second: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """The nearest values ``>= 0`` to ``values`` with given sums over two crossing partitions.

    ``first`` and ``second`` are ``(group of each child, target sums)``, e.g. LSOAs and wards
    over their common pieces, with equal grand totals. Per column that needs it, non-negative
    least squares with the sums as a heavy penalty finds which children are 0 (Lawson-Hanson
    active set) and an exact least-squares step on the others meets the sums. If no such point
    exists, the column is projected onto the first partition alone (its sums exact).
    """
    # Pieces that share no LSOA or ward, even indirectly, are fitted separately.
    n_first = len(first[1])
    links = scipy.sparse.coo_matrix(
        (np.ones(len(values)), (first[0], n_first + second[0])),
        shape=(n_first + len(second[1]),) * 2,
    )
    _, component = scipy.sparse.csgraph.connected_components(links, directed=False)
    result = values.copy()
    for label in np.unique(component[first[0]]):
        members = np.flatnonzero(component[first[0]] == label)
        first_part, first_index = np.unique(first[0][members], return_inverse=True)
        second_part, second_index = np.unique(second[0][members], return_inverse=True)
        for column in range(values.shape[1]):
            result[members, column] = _fit_column(
                values[members, column],
                (first_index, first[1][first_part, column]),
                (second_index, second[1][second_part, column]),
            )
    return result


def _fit_column(
    values: np.ndarray, first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """:func:`fit_two_partitions` for one column."""
    targets = np.concatenate([first[1], second[1]])
    design = np.zeros((len(targets), len(values)))
    design[first[0], np.arange(len(values))] = 1.0
    design[len(first[1]) + second[0], np.arange(len(values))] = 1.0
    tolerance = _TOLERANCE * (1.0 + float(np.abs(targets).max(initial=0.0)))
    if values.min(initial=0.0) >= 0 and np.abs(design @ values - targets).max() <= tolerance:
        return values
    weight = 1e4  # a sum counts 1e8 times a child's squared move: met almost exactly
    stacked = np.vstack([np.eye(len(values)), weight * design])
    penalised, _ = scipy.optimize.nnls(
        stacked, np.concatenate([values, weight * targets]), maxiter=50 * len(values)
    )
    free = np.flatnonzero(penalised > 0)
    moved = np.zeros_like(values)
    moved[free] = values[free] - _least_move(
        values[free], (first[0][free], first[1]), (second[0][free], second[1])
    )
    if moved.min(initial=0.0) >= -tolerance:
        moved = np.maximum(moved, 0.0)
        if np.abs(design @ moved - targets).max() <= tolerance:
            return moved
    return simplex_project(penalised[:, None], first[0], first[1][:, None])[:, 0]


def _least_move(
    values: np.ndarray, first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """The smallest change to ``values`` that meets both sets of sums (least squares).

    The change is ``a[first] + b[second]`` by the normal equations; eliminating ``a`` leaves a
    system the size of the second partition (one unknown per ward).
    """
    (first_group, first_target), (second_group, second_target) = first, second
    n_first, n_second = len(first_target), len(second_target)
    crossing = np.zeros((n_first, n_second))
    np.add.at(crossing, (first_group, second_group), 1.0)
    first_gap = np.bincount(first_group, weights=values, minlength=n_first) - first_target
    second_gap = np.bincount(second_group, weights=values, minlength=n_second) - second_target
    first_count = crossing.sum(axis=1)
    inverse = np.divide(1.0, first_count, out=np.zeros(n_first), where=first_count > 0)
    reduced = np.diag(crossing.sum(axis=0)) - crossing.T @ (inverse[:, None] * crossing)
    # Singular: a constant can move from one partition's unknowns to the other's.
    second_change = np.linalg.pinv(reduced) @ (second_gap - crossing.T @ (inverse * first_gap))
    first_change = inverse * (first_gap - crossing @ second_change)
    return first_change[first_group] + second_change[second_group]


def round_within_groups(
    values: np.ndarray,
    group: np.ndarray,
    group_totals: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Round children to integers summing exactly to their group's already rounded total.

    ``values`` (children × columns, non-negative) sum per group to ``S``; ``group_totals``
    (groups × columns) must be ``floor(S)`` or ``ceil(S)``, rounded up with probability
    ``frac(S)``. Systematic rounding with a random start ``u`` gives ``floor(S)`` or
    ``floor(S) + 1`` round-ups as ``u >= frac(S)`` or not; drawing ``u`` on the side that
    matches the parent's total keeps ``u`` uniform overall, so each child is rounded up with
    probability exactly its own fraction.
    """
    n_columns = values.shape[1]
    n_groups = group_totals.shape[0]
    base = np.floor(values + _TOLERANCE)
    fraction = np.where(values - base > _TOLERANCE, values - base, 0.0)
    order = np.argsort(group, kind="stable")
    sorted_group = group[order]
    starts = _group_starts(sorted_group, n_groups)
    cumulative = np.cumsum(fraction[order], axis=0)
    before = np.where(starts[:, None] > 0, cumulative[np.maximum(starts - 1, 0)], 0.0)
    within = cumulative - before[sorted_group]
    group_fraction = np.zeros((n_groups, n_columns))
    np.add.at(group_fraction, sorted_group, fraction[order])
    whole = np.floor(group_fraction + _TOLERANCE)
    remainder = np.clip(group_fraction - whole, 0.0, 1.0)
    base_total = np.zeros((n_groups, n_columns))
    np.add.at(base_total, group, base)
    needed = np.rint(group_totals - base_total)
    up_side = needed > whole  # the parent was rounded up: start below the remainder
    draw = rng.random((n_groups, n_columns))
    start = np.where(up_side, remainder * draw, remainder + (1.0 - remainder) * draw)
    start = start[sorted_group]
    ups = _crossings(within, start) - _crossings(within - fraction[order], start)
    ups = np.clip(ups, 0, 1)
    _repair_totals(ups, fraction[order], sorted_group, needed)
    rounded = np.empty_like(base)
    rounded[order] = base[order] + ups
    return rounded.astype(np.int64)


def _crossings(cumulative: np.ndarray, start: np.ndarray) -> np.ndarray:
    """How many of the points ``start, start + 1, ...`` lie below ``cumulative``."""
    return np.ceil(cumulative - start - _TOLERANCE)


def _repair_totals(
    ups: np.ndarray, fraction: np.ndarray, group: np.ndarray, needed: np.ndarray
) -> None:
    """Fix, in place, the rare group whose float cumulative sum missed its count by one."""
    counts = np.zeros_like(needed)
    np.add.at(counts, group, ups)
    for group_index, column in zip(*np.nonzero(counts != needed), strict=True):
        members = np.flatnonzero(group == group_index)
        gap = int(needed[group_index, column] - counts[group_index, column])
        for _ in range(abs(gap)):
            taken = ups[members, column] > 0
            fractions = fraction[members, column]
            if gap > 0:  # add a unit where the fraction is largest and not yet taken
                choice = np.where(taken | (fractions <= 0), -np.inf, fractions)
            else:  # take back the unit whose fraction is smallest
                choice = np.where(taken, -fractions, -np.inf)
            pick = members[int(np.argmax(choice))]
            ups[pick, column] += 1 if gap > 0 else -1


def round_circulation(
    tail: np.ndarray,
    head: np.ndarray,
    values: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Round a fractional circulation to integers, unbiased, keeping every vertex balanced.

    Edge ``e`` carries ``values[e]`` (edges × columns, >= 0) from ``tail[e]`` to ``head[e]``. A
    vertex cannot balance with one fractional edge, so fractional edges form cycles; moving one by
    ``+a`` (chance ``b/(a+b)``) or ``-b``, the largest moves keeping every edge between its floor
    and ceiling, makes an edge whole and keeps every expectation.
    """
    result = np.empty(values.shape, dtype=np.int64)
    for column in range(values.shape[1]):
        result[:, column] = _round_one_circulation(tail, head, values[:, column], rng)
    return result


def _round_one_circulation(
    tail: np.ndarray, head: np.ndarray, values: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """:func:`round_circulation` for one column.

    One walk over open (fractional) edges is kept between cycles: when it meets a vertex already
    on it, the loop is cancelled and the walk resumes from that vertex, so each edge is walked a
    few times in all. Plain Python: the cycles are short and many.
    """
    tails, heads = tail.tolist(), head.tolist()
    flow = [float(value) for value in values]
    n_vertices = max(max(tails), max(heads)) + 1 if tails else 0
    incident: list[set[int]] = [set() for _ in range(n_vertices)]
    open_edges: list[int] = []
    for edge, value in enumerate(flow):
        if abs(value - round(value)) <= _TOLERANCE:
            flow[edge] = float(round(value))
        else:
            open_edges.append(edge)
            incident[tails[edge]].add(edge)
            incident[heads[edge]].add(edge)
    draws = iter(rng.random(len(open_edges)).tolist())  # each cycle settles at least one edge
    walk = _Walk()
    while True:
        if walk.vertex < 0 or not incident[walk.vertex]:
            while open_edges and open_edges[-1] not in incident[tails[open_edges[-1]]]:
                open_edges.pop()
            if not open_edges:
                break
            walk.restart(tails[open_edges[-1]])
        edge = next((e for e in incident[walk.vertex] if e != walk.previous), -1)
        if edge < 0:  # float drift left one fractional edge at this vertex: round it alone
            _shift_cycle(flow, [(walk.previous, 1.0)], next(draws), incident, tails, heads)
            walk.vertex = -1
            continue
        cycle = walk.step(edge, tails, heads)
        if cycle:
            _shift_cycle(flow, cycle, next(draws), incident, tails, heads)
    return np.rint(np.asarray(flow)).astype(np.int64)


def _shift_cycle(
    flow: list[float],
    cycle: list[tuple[int, float]],
    draw: float,
    incident: list[set[int]],
    tails: list[int],
    heads: list[int],
) -> None:
    """Move the cycle by ``+up`` (chance ``down/(up+down)``) or ``-down``; close whole edges."""
    up = min(
        math.ceil(flow[e]) - flow[e] if sign > 0 else flow[e] - math.floor(flow[e])
        for e, sign in cycle
    )
    down = min(
        flow[e] - math.floor(flow[e]) if sign > 0 else math.ceil(flow[e]) - flow[e]
        for e, sign in cycle
    )
    step = up if draw * (up + down) < down else -down
    for e, sign in cycle:
        moved = flow[e] + step * sign
        if abs(moved - round(moved)) <= _TOLERANCE or len(cycle) == 1:
            moved = float(round(moved))
            incident[tails[e]].discard(e)
            incident[heads[e]].discard(e)
        flow[e] = moved


class _Walk:
    """A path of open edges; a step that returns to a vertex on the path yields a cycle."""

    def __init__(self) -> None:
        self.vertex = -1
        self.previous = -1
        self.vertices: list[int] = []
        self.edges: list[tuple[int, float]] = []
        self.position: dict[int, int] = {}

    def restart(self, vertex: int) -> None:
        """Start an empty walk at ``vertex``."""
        self.vertex, self.previous = vertex, -1
        self.vertices, self.edges, self.position = [vertex], [], {vertex: 0}

    def step(self, edge: int, tails: list[int], heads: list[int]) -> list[tuple[int, float]]:
        """Walk along ``edge``; return the closed cycle (edge, +1 along / -1 against) if any."""
        forward = tails[edge] == self.vertex
        following = heads[edge] if forward else tails[edge]
        self.edges.append((edge, 1.0 if forward else -1.0))
        first = self.position.get(following)
        if first is None:
            self.position[following] = len(self.vertices)
            self.vertices.append(following)
            self.previous, self.vertex = edge, following
            return []
        cycle = self.edges[first:]
        for vertex in self.vertices[first + 1 :]:
            del self.position[vertex]
        del self.vertices[first + 1 :]
        del self.edges[first:]
        self.vertex = following
        self.previous = self.edges[-1][0] if self.edges else -1
        return cycle
