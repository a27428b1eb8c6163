"""The attack audit: how tightly could an intruder pin down each suppressed cell?

The intruder takes everything published (every cell, level and total of the release) and the
public relations between cells (:func:`~boroughkit.disclosure.tables.build_relations`), knows
that cells are non-negative and that counts are whole numbers, and bounds each suppressed cell
by linear programming (HiGHS). A cell fails when its interval is narrower than the protection
width, or when it is recovered exactly.

Cheap screens come first so a release of a million cells is audited in minutes: interval
propagation gives every cell valid outer bounds from public data alone (a cell already narrow
there fails without an LP); the relations split into independent components; inside each
component, two LPs per round find feasible tables that move many cells at once far enough to
prove them safe. Only the cells left undecided get their exact LP interval. LP bounds are those
of the continuous relaxation, rounded inward for counts: an intruder solving integer programmes
can occasionally do better (set ``integer_programs=True`` to audit with integer programmes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

from boroughkit.disclosure.report import CheckResult, Finding
from boroughkit.disclosure.rules import RuleSettings
from boroughkit.disclosure.tables import KEY_COLUMNS, CellTable, Relations, build_relations
from boroughkit.errors import DataError

_TOL = 1e-6
_WITNESS_ROUNDS = 30
_WITNESS_PATIENCE = 3
#: Below this many suppressed cells every interval is solved exactly; above, screens decide.
EXACT_LIMIT = 300
_METHODS = np.array(
    ["propagation", "witness", "lp", "single-relation", "unrelated", "structural-zero"]
)
_PROPAGATION, _WITNESS, _LP, _SINGLE, _UNRELATED, _STRUCTURAL = range(6)


@dataclass(frozen=True)
class AuditResult:
    """Every suppressed cell with the interval an intruder can prove, and the gate's verdict.

    ``intervals`` has one row per suppressed cell: ``cell`` (row in the CellTable), the key
    columns, ``rule``, ``lower``, ``upper``, ``width``, ``required``, ``exact`` (False when the
    interval is an outer bound: the true intruder interval is inside it), ``method``, ``safe``.
    """

    intervals: pd.DataFrame
    check: CheckResult

    @property
    def passed(self) -> bool:
        """True when no suppressed cell is recovered or narrowed below its protection width."""
        return self.check.passed


@dataclass(frozen=True)
class _System:
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

    def restrict(self, rows: np.ndarray, cols: np.ndarray) -> _System:
        """The sub-system of ``rows`` and ``cols`` (an independent component)."""
        return _System(
            self.matrix[rows][:, cols],
            self.rhs[rows],
            self.lower[cols],
            self.upper[cols],
            self.truth[cols],
            self.integer[cols],
            self.required[cols],
            self.target[cols],
        )


def audit_suppression(
    cells: CellTable,
    lookup: pd.DataFrame,
    settings: RuleSettings,
    *,
    relations: Relations | None = None,
    custom_levels: Mapping[str, pd.Series] | None = None,
    linked_totals: Sequence[Sequence[str]] = (),
    exact_intervals: bool | None = None,
    integer_programs: bool = False,
    workers: int = 1,
) -> AuditResult:
    """Attack every suppressed cell of a release with everything it publishes.

    ``exact_intervals`` solves every interval by LP (default: only when at most
    :data:`EXACT_LIMIT` cells are suppressed); ``workers`` > 1 solves components in parallel.
    """
    if relations is None:
        relations = build_relations(
            cells, lookup, custom_levels=custom_levels, linked_totals=linked_totals
        )
    intervals = intruder_intervals(
        cells,
        relations,
        settings,
        exact_intervals=exact_intervals,
        integer_programs=integer_programs,
        workers=workers,
    )
    return AuditResult(intervals, _check_result(intervals, settings, relations))


def intruder_intervals(
    cells: CellTable,
    relations: Relations,
    settings: RuleSettings,
    *,
    exact_intervals: bool | None = None,
    integer_programs: bool = False,
    workers: int = 1,
    cache: dict[bytes, tuple[np.ndarray, ...]] | None = None,
) -> pd.DataFrame:
    """The interval an intruder can prove for each suppressed cell (see :class:`AuditResult`).

    ``cache`` (a dict kept by the caller) reuses component results between calls on the same
    cells whose suppression only grew, as secondary suppression does.
    """
    frame = cells.frame
    n_cells, n_columns = relations.n_cells, relations.matrix.shape[1]
    structural = frame["structural_zero"].to_numpy(bool)
    unknown = np.ones(n_columns, dtype=bool)
    unknown[:n_cells] = cells.suppressed & ~structural
    truth = np.full(n_columns, np.nan)
    truth[:n_cells] = frame["value"].to_numpy(float)
    if (truth[:n_cells] < 0).any():
        rows = np.flatnonzero(truth[:n_cells] < 0)[:5].tolist()
        raise DataError(
            f"cells: negative values in rows {rows}",
            fix="the audit assumes non-negative cells (counts, amounts)",
        )
    matrix = relations.matrix.tocsc()
    rhs = relations.rhs - matrix[:, ~unknown] @ truth[~unknown]
    _check_consistent(relations, truth)
    columns = np.flatnonzero(unknown)
    sub = matrix[:, columns].tocsr()
    rows = np.flatnonzero(np.diff(sub.indptr) > 0)
    sub, rhs = sub[rows], rhs[rows]
    is_cell = columns < n_cells
    integer = np.zeros(columns.size, dtype=bool)
    integer[is_cell] = frame["measure"].to_numpy()[columns[is_cell]] == "count"
    required = np.zeros(columns.size)
    required[is_cell] = np.maximum(
        settings.protection_width, settings.protection_percent / 100 * truth[columns[is_cell]]
    )
    lower, upper = _propagate(sub, rhs, integer)
    narrow = (upper - lower < required - _TOL) | (upper - lower <= _TOL)
    if exact_intervals is None:
        exact_intervals = int(is_cell.sum()) <= EXACT_LIMIT
    system = _System(
        sub,
        rhs,
        lower,
        upper,
        truth[columns],
        integer,
        required,
        is_cell & (exact_intervals | ~narrow),
    )
    exact, method = _solve_components(
        system, columns, exact_intervals, integer_programs, workers, cache
    )
    cells_only = np.flatnonzero(is_cell)
    return _intervals_frame(frame, columns[cells_only], system, cells_only, exact, method)


def _check_consistent(relations: Relations, truth: np.ndarray) -> None:
    """The published relations must hold for the true values, or the audit proves nothing."""
    matrix = relations.matrix
    hidden = np.isnan(truth)
    complete = (abs(matrix) @ hidden.astype(float)) == 0
    values = np.nan_to_num(truth)
    residual = np.abs(matrix @ values - relations.rhs)
    scale = 1 + abs(matrix) @ np.abs(values)
    bad = np.flatnonzero(complete & (residual > _TOL * scale))
    if bad.size:
        kinds = sorted(set(relations.kind[bad]))
        raise DataError(
            f"cells: {bad.size} published relations do not add up ({kinds}), e.g. "
            f"relation {bad[0]} is off by {residual[bad[0]]:g}",
            fix="audit exact (unperturbed, unrounded) tables; perturbation or "
            "rounding breaks the sums the attack relies on",
        )


def _propagate(
    matrix: sparse.csr_array, rhs: np.ndarray, integer: np.ndarray, rounds: int = 40
) -> tuple[np.ndarray, np.ndarray]:
    """Valid bounds of each unknown from each relation in turn, repeated to a fixed point."""
    coo = matrix.tocoo()
    rows, cols, coefs = coo.row, coo.col, coo.data
    n_rows, n_cols = matrix.shape
    lower, upper = np.zeros(n_cols), np.full(n_cols, np.inf)
    for _ in range(rounds):
        with np.errstate(invalid="ignore"):
            low_term = np.where(coefs > 0, coefs * lower[cols], coefs * upper[cols])
            high_term = np.where(coefs > 0, coefs * upper[cols], coefs * lower[cols])
        others_low = _sum_of_others(rows, low_term, n_rows, -np.inf)
        others_high = _sum_of_others(rows, high_term, n_rows, np.inf)
        span_low, span_high = rhs[rows] - others_high, rhs[rows] - others_low
        with np.errstate(invalid="ignore"):
            new_lower = np.where(coefs > 0, span_low, span_high) / coefs
            new_upper = np.where(coefs > 0, span_high, span_low) / coefs
        tighter_lower, tighter_upper = lower.copy(), upper.copy()
        np.maximum.at(tighter_lower, cols, np.nan_to_num(new_lower, nan=-np.inf))
        np.minimum.at(tighter_upper, cols, np.nan_to_num(new_upper, nan=np.inf))
        tighter_lower[integer] = np.ceil(tighter_lower[integer] - _TOL) + 0.0
        tighter_upper[integer] = np.floor(tighter_upper[integer] + _TOL)
        scale = _TOL * (1 + np.abs(np.where(np.isfinite(upper), upper, lower)))
        moved = (tighter_lower > lower + scale) | (tighter_upper < upper - scale)
        lower, upper = tighter_lower, tighter_upper
        if not moved.any():
            break
    if (lower > upper + _TOL * (1 + np.abs(lower))).any():
        raise DataError(
            "cells: the published values contradict the relations between them",
            fix="audit exact (unperturbed, unrounded) tables",
        )
    return lower, np.maximum(upper, lower)


def _sum_of_others(
    rows: np.ndarray,
    terms: np.ndarray,
    n_rows: int,
    infinity: float,
) -> np.ndarray:
    infinite = np.isinf(terms)
    finite = np.where(infinite, 0.0, terms)
    total = np.bincount(rows, finite, n_rows)[rows] - finite
    infinite_others = np.bincount(rows, infinite, n_rows)[rows] - infinite
    return np.where(infinite_others > 0, infinity, total)


def _solve_components(
    system: _System,
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
    exact, method = np.zeros(n_cols, dtype=bool), np.full(n_cols, _PROPAGATION)
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
    system: _System,
    exact: np.ndarray,
    method: np.ndarray,
) -> None:
    system.lower[cols], system.upper[cols], exact[cols], method[cols] = result


def _solve_job(job: tuple[_System, bool, bool]) -> tuple[np.ndarray, ...]:
    """Prove safe by witness tables what can be; solve the rest exactly by LP."""
    comp, exact_all, integer_programs = job
    lower, upper = comp.lower.copy(), comp.upper.copy()
    exact = np.zeros(lower.size, dtype=bool)
    method = np.full(lower.size, _PROPAGATION)
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


def _integrality(comp: _System, integer_programs: bool) -> np.ndarray | None:
    return comp.integer.astype(int) if integer_programs else None


def _bounds(comp: _System, cell: int, integer_programs: bool) -> tuple[float, float, bool]:
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
        low, high = np.ceil(low - _TOL) + 0.0, np.floor(high + _TOL) + 0.0
    return low, high, solved


def _witnessed(comp: _System, todo: np.ndarray, integer_programs: bool) -> np.ndarray:
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
        top = np.where(comp.integer, np.floor(highest + _TOL), highest)
        bottom = np.where(comp.integer, np.ceil(lowest - _TOL), lowest)
        newly = undecided & (top - bottom >= comp.required - _TOL) & (top - bottom > _TOL)
        proven |= newly
        idle = 0 if newly.any() else idle + 1
    return proven


def _intervals_frame(
    frame: pd.DataFrame,
    cells: np.ndarray,
    system: _System,
    positions: np.ndarray,
    exact: np.ndarray,
    method: np.ndarray,
) -> pd.DataFrame:
    """One row per suppressed cell; suppressed structural zeros are known and safe."""
    structural = np.flatnonzero(
        frame["structural_zero"].to_numpy(bool) & (frame["status"].to_numpy() == "suppressed")
    )
    zeros = np.zeros(structural.size)
    rows = np.r_[cells, structural]
    result = pd.DataFrame(
        frame[[*KEY_COLUMNS, "rule"]].to_numpy()[rows], columns=[*KEY_COLUMNS, "rule"]
    )
    result.insert(0, "cell", rows)
    result["lower"] = np.r_[system.lower[positions], zeros]
    result["upper"] = np.r_[system.upper[positions], zeros]
    result["width"] = result["upper"] - result["lower"]
    result["required"] = np.r_[system.required[positions], zeros]
    result["exact"] = np.r_[exact[positions], np.ones(structural.size, dtype=bool)]
    result["method"] = _METHODS[np.r_[method[positions], np.full(structural.size, _STRUCTURAL)]]
    width, required = result["width"].to_numpy(), result["required"].to_numpy()
    result["safe"] = result["method"].eq("structural-zero").to_numpy() | (
        (width >= required - _TOL) & (width > _TOL)
    )
    return result.sort_values("cell", ignore_index=True)


def _check_result(
    intervals: pd.DataFrame, settings: RuleSettings, relations: Relations
) -> CheckResult:
    """One finding per suppressed cell, failures first."""
    failing = ~intervals["safe"]
    recovered = failing & (intervals["width"] <= _TOL)
    findings = [
        Finding(
            {key: row[key] for key in KEY_COLUMNS},
            row["rule"] or "suppressed",
            _detail({str(k): v for k, v in row.items()}),
        )
        for row in pd.concat([intervals[failing], intervals[~failing]]).to_dict("records")
    ]
    summary = (
        f"{len(intervals)} suppressed cells attacked with all {relations.matrix.shape[0]}"
        " public relations of the release (areas sum to their parents, categories to"
        f" their totals). {int(recovered.sum())} can be recovered exactly and"
        f" {int((failing & ~recovered).sum())} narrowed below the protection width of"
        f" {settings.protection_width:g}. Intervals are linear-programming bounds, rounded"
        " inward to whole numbers for counts."
    )
    return CheckResult(
        "Attack on suppressed cells",
        not failing.any(),
        summary,
        tuple(findings),
        rationale="a withheld cell protects nobody if it can be worked out from the totals,"
        " the other areas and the other tables published beside it",
        category="suppression-audit",
        metrics={
            "suppressed_cells": len(intervals),
            "recovered_exactly": int(recovered.sum()),
            "below_protection": int(failing.sum()),
            "protection_width": settings.protection_width,
            "methods": intervals["method"].value_counts().to_dict(),
        },
    )


def _detail(row: dict[str, object]) -> str:
    interval = f"[{row['lower']:g}, {row['upper']:g}]"
    if not row["safe"]:
        if float(row["width"]) <= _TOL:  # type: ignore[arg-type]
            return f"recovered exactly: an intruder can compute it as {row['lower']:g}"
        bound = "exactly" if row["exact"] else "within"
        return f"an intruder can narrow it {bound} to {interval}, narrower than {row['required']:g}"
    if row["method"] == "structural-zero":
        return "structural zero: known to be 0 by definition, not disclosive"
    if row["exact"]:
        return f"an intruder can only narrow it to {interval}"
    return f"interval proven at least {row['required']:g} wide (outer bounds {interval})"
