"""Solving the intruder's system, one independent component at a time.

The relations split into components that share no cell. In each, LP "witness" tables (feasible
tables pushing undecided cells in random directions) prove most cells safe at once; the cells
left get their exact LP interval. Components can be solved in parallel processes and their
results cached between calls (secondary suppression audits the same components again).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

TOL = 1e-6
_WITNESS_ROUNDS = 30
_WITNESS_PATIENCE = 3
#: How an interval was decided, by code (the report names the method of every cell).
METHODS = np.array(
    ["propagation", "witness", "lp", "single-relation", "unrelated", "structural-zero"]
)
PROPAGATION, _WITNESS, _LP, _SINGLE, _UNRELATED, STRUCTURAL = range(6)


@dataclass(frozen=True)
class System:
    """What the intruder solves: unknown cells (columns) tied by relations (rows).

    ``truth`` is NaN for cells missing from the release; ``target`` marks the cells to decide.
    """

    matrix: sparse.csr_array
    rhs: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    truth: np.ndarray
    integer: np.ndarray
    required: np.ndarray
    target: np.ndarray

    def restrict(self, rows: np.ndarray, cols: np.ndarray) -> System:
        """The sub-system of ``rows`` and ``cols`` (an independent component)."""
        return System(
            self.matrix[rows][:, cols],
            self.rhs[rows],
            self.lower[cols],
            self.upper[cols],
            self.truth[cols],
            self.integer[cols],
            self.required[cols],
            self.target[cols],
        )


def solve_components(
    system: System,
    columns: np.ndarray,
    exact_all: bool,
    integer_programs: bool,
    workers: int,
    cache: dict[bytes, tuple[np.ndarray, ...]] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Decide the targets component by component; bounds are tightened in place.

    Returns, per unknown, whether its interval is exact and the method that decided it.
    """
    n_cols = system.matrix.shape[1]
    exact, method = np.zeros(n_cols, dtype=bool), np.full(n_cols, PROPAGATION)
    # Nodes 0..n_cols-1 are unknown cells, then one node per relation.
    graph = sparse.bmat([[None, system.matrix.T], [system.matrix, None]], format="csr")
    labels = connected_components(graph, directed=False)[1]
    col_labels, row_labels = labels[:n_cols], labels[n_cols:]
    rows_per_label = np.bincount(row_labels, minlength=labels.max() + 1)[col_labels]
    # A lone relation is solved exactly by propagation; no relation leaves a cell free.
    exact[rows_per_label <= 1] = True
    method[rows_per_label == 0], method[rows_per_label == 1] = _UNRELATED, _SINGLE
    wanted = np.unique(col_labels[system.target & (rows_per_label > 1)])
    col_groups, row_groups = _groups(col_labels, wanted), _groups(row_labels, wanted)
    jobs, pending = [], []
    for label in wanted:
        cols = col_groups[label]
        key = columns[cols].tobytes() + bytes([exact_all, integer_programs])
        if cache is not None and key in cache:
            _store(cache[key], cols, system, exact, method)
        else:
            jobs.append((system.restrict(row_groups[label], cols), exact_all, integer_programs))
            pending.append((key, cols))
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            results = list(pool.map(_solve_job, jobs))
    else:
        results = [_solve_job(job) for job in jobs]
    for (key, cols), result in zip(pending, results, strict=True):
        if cache is not None:
            cache[key] = result
        _store(result, cols, system, exact, method)
    return exact, method


def _groups(labels: np.ndarray, wanted: np.ndarray) -> dict[int, np.ndarray]:
    order = np.argsort(labels, kind="stable")
    starts = np.searchsorted(labels[order], wanted, side="left")
    ends = np.searchsorted(labels[order], wanted, side="right")
    return {int(label): order[s:e] for label, s, e in zip(wanted, starts, ends, strict=True)}


def _store(
    result: tuple[np.ndarray, ...],
    cols: np.ndarray,
    system: System,
    exact: np.ndarray,
    method: np.ndarray,
) -> None:
    system.lower[cols], system.upper[cols], exact[cols], method[cols] = result


def _solve_job(job: tuple[System, bool, bool]) -> tuple[np.ndarray, ...]:
    """Prove safe by witness tables what can be; solve the rest exactly by LP."""
    comp, exact_all, integer_programs = job
    lower, upper = comp.lower.copy(), comp.upper.copy()
    exact = np.zeros(lower.size, dtype=bool)
    method = np.full(lower.size, PROPAGATION)
    todo = comp.target.copy()
    if not exact_all:
        proven = _witnessed(comp, todo, integer_programs)
        method[proven] = _WITNESS
        todo &= ~proven
    for cell in np.flatnonzero(todo):
        low, high, exact[cell] = _bounds(comp, int(cell), integer_programs)
        lower[cell], upper[cell] = max(low, lower[cell]), min(high, upper[cell])
        method[cell] = _LP
    return lower, upper, exact, method


def _integrality(comp: System, integer_programs: bool) -> np.ndarray | None:
    return comp.integer.astype(int) if integer_programs else None


def _bounds(comp: System, cell: int, integer_programs: bool) -> tuple[float, float, bool]:
    """min and max of one cell over the component, and whether both were solved.

    If the solver balks, the propagated bound stands in: still a valid outer bound.
    """
    found, solved = [], True
    for sense in (1.0, -1.0):
        cost = np.zeros(comp.lower.size)
        cost[cell] = sense
        result = milp(
            cost,
            constraints=LinearConstraint(comp.matrix, comp.rhs, comp.rhs),
            bounds=Bounds(comp.lower, comp.upper),
            integrality=_integrality(comp, integer_programs),
        )
        if result.status == 0 and result.fun is not None:
            found.append(float(sense * result.fun))
        elif result.status == 3 and sense < 0:
            found.append(np.inf)
        else:
            found.append(float(comp.lower[cell] if sense > 0 else comp.upper[cell]))
            solved = False
    low, high = found
    if comp.integer[cell]:
        low, high = np.ceil(low - TOL) + 0.0, np.floor(high + TOL) + 0.0
    return low, high, solved


def _witnessed(comp: System, todo: np.ndarray, integer_programs: bool) -> np.ndarray:
    """Cells proved safe by feasible tables: each is a table the intruder cannot rule out.

    The true table is one; LP vertices pushing the undecided cells in random directions are
    others. A cell whose values across these tables spread at least its protection width is
    safe, whatever else the intruder does.
    """
    truth = np.nan_to_num(comp.truth)
    real = ~np.isnan(comp.truth)
    # Boxing cells near their true value keeps every LP bounded and the true table feasible.
    box_low = np.where(real, np.maximum(comp.lower, truth - comp.required), comp.lower)
    box_high = np.where(real, np.minimum(comp.upper, truth + comp.required), comp.upper)
    highest, lowest = truth.copy(), truth.copy()
    proven = np.zeros(truth.size, dtype=bool)
    rng = np.random.default_rng(0)  # a fixed search order makes audits repeatable
    idle = 0
    for _ in range(_WITNESS_ROUNDS):
        undecided = todo & ~proven
        if not undecided.any() or idle == _WITNESS_PATIENCE:
            break
        # Random directions: pushing every cell its own way at once works badly, because
        # cells in the same relation must move in opposite directions.
        weights = np.where(
            undecided, rng.choice([-1.0, 1.0], truth.size) * rng.uniform(0.5, 1.5, truth.size), 0.0
        )
        result = milp(
            -weights,
            constraints=LinearConstraint(comp.matrix, comp.rhs, comp.rhs),
            bounds=Bounds(box_low, box_high),
            integrality=_integrality(comp, integer_programs),
        )
        if result.status != 0 or result.x is None:
            break
        highest, lowest = np.maximum(highest, result.x), np.minimum(lowest, result.x)
        top = np.where(comp.integer, np.floor(highest + TOL), highest)
        bottom = np.where(comp.integer, np.ceil(lowest - TOL), lowest)
        newly = undecided & (top - bottom >= comp.required - TOL) & (top - bottom > TOL)
        proven |= newly
        idle = 0 if newly.any() else idle + 1
    return proven
