"""The attack audit: how tightly could an intruder pin down each suppressed cell?

The intruder takes everything published (every cell, level and total of the release) and the
public relations between cells (:func:`~boroughkit.disclosure.relations.build_relations`), knows
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
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from boroughkit.disclosure.intervals import (
    METHODS,
    STRUCTURAL,
    TOL,
    System,
    solve_components,
)
from boroughkit.disclosure.relations import Relations, build_relations
from boroughkit.disclosure.report import CheckResult, Finding
from boroughkit.disclosure.rules import RuleSettings
from boroughkit.disclosure.tables import KEY_COLUMNS, CellTable
from boroughkit.errors import DataError

#: Below this many suppressed cells every interval is solved exactly; above, screens decide.
EXACT_LIMIT = 300


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
    narrow = (upper - lower < required - TOL) | (upper - lower <= TOL)
    if exact_intervals is None:
        exact_intervals = int(is_cell.sum()) <= EXACT_LIMIT
    system = System(
        sub,
        rhs,
        lower,
        upper,
        truth[columns],
        integer,
        required,
        is_cell & (exact_intervals | ~narrow),
    )
    exact, method = solve_components(
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
    bad = np.flatnonzero(complete & (residual > TOL * scale))
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
        tighter_lower[integer] = np.ceil(tighter_lower[integer] - TOL) + 0.0
        tighter_upper[integer] = np.floor(tighter_upper[integer] + TOL)
        scale = TOL * (1 + np.abs(np.where(np.isfinite(upper), upper, lower)))
        moved = (tighter_lower > lower + scale) | (tighter_upper < upper - scale)
        lower, upper = tighter_lower, tighter_upper
        if not moved.any():
            break
    if (lower > upper + TOL * (1 + np.abs(lower))).any():
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


def _intervals_frame(
    frame: pd.DataFrame,
    cells: np.ndarray,
    system: System,
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
    result["method"] = METHODS[np.r_[method[positions], np.full(structural.size, STRUCTURAL)]]
    width, required = result["width"].to_numpy(), result["required"].to_numpy()
    result["safe"] = result["method"].eq("structural-zero").to_numpy() | (
        (width >= required - TOL) & (width > TOL)
    )
    return result.sort_values("cell", ignore_index=True)


def _check_result(
    intervals: pd.DataFrame, settings: RuleSettings, relations: Relations
) -> CheckResult:
    """One finding per suppressed cell, failures first."""
    failing = ~intervals["safe"]
    recovered = failing & (intervals["width"] <= TOL)
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
        id="suppression-audit",
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
        if float(row["width"]) <= TOL:  # type: ignore[arg-type]
            return f"recovered exactly: an intruder can compute it as {row['lower']:g}"
        bound = "exactly" if row["exact"] else "within"
        return f"an intruder can narrow it {bound} to {interval}, narrower than {row['required']:g}"
    if row["method"] == "structural-zero":
        return "structural zero: known to be 0 by definition, not disclosive"
    if row["exact"]:
        return f"an intruder can only narrow it to {interval}"
    return f"interval proven at least {row['required']:g} wide (outer bounds {interval})"
