"""Secondary (complementary) suppression: make primary suppression hold against the audit.

A single suppressed cell in a row with a published total is recovered by subtraction; so is a
suppressed OA whose ward and other OAs are published. :func:`secondary_suppression` runs the
attack audit, and for every cell it can still narrow below the protection width, suppresses the
cheapest published cells (small values, few contributors, preferring one cell that breaks
several of the exposing relations at once) in the relations that expose it; then it audits
again, until every suppressed cell is protected. A final pass puts back complementary cells
that turn out not to be needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from boroughkit.disclosure.audit import AuditResult, audit_suppression, intruder_intervals
from boroughkit.disclosure.report import Adjustment, CheckResult, Finding
from boroughkit.disclosure.rules import RuleSettings
from boroughkit.disclosure.tables import (
    KEY_COLUMNS,
    PUBLISHED,
    CellTable,
    Relations,
    build_relations,
)

SECONDARY = "secondary"


@dataclass(frozen=True)
class SecondaryResult:
    """The protected cells, what was suppressed and why, and the final audit."""

    cells: CellTable
    check: CheckResult
    adjustments: tuple[Adjustment, ...]
    audit: AuditResult


def secondary_suppression(cells: CellTable, lookup: pd.DataFrame, settings: RuleSettings, *,
                          custom_levels: Mapping[str, pd.Series] | None = None,
                          linked_totals: Sequence[Sequence[str]] = (), max_rounds: int = 60,
                          prune_limit: int = 300, workers: int = 1) -> SecondaryResult:
    """Suppress further cells until no suppressed cell can be recovered or narrowed.

    ``prune_limit`` bounds how many complementary cells the final pass tries to put back (each
    try is an audit); ``workers`` > 1 audits independent parts of the release in parallel.
    """
    relations = build_relations(cells, lookup, custom_levels=custom_levels,
                                linked_totals=linked_totals)
    matrix = relations.matrix.tocsr()
    cache: dict[bytes, tuple[np.ndarray, ...]] = {}
    current, protects = cells, {}
    primary = int(cells.suppressed.sum())
    for _ in range(max_rounds):
        intervals = intruder_intervals(current, relations, settings, exact_intervals=False,
                                       cache=cache, workers=workers)
        exposed = intervals.loc[~intervals["safe"], "cell"].to_numpy()
        chosen = _complements(current, matrix, exposed, settings)
        if chosen.size == 0:
            break
        protects.update(_protected_by(matrix, chosen, exposed))
        current = current.suppress(np.isin(np.arange(len(current)), chosen), SECONDARY)
    current = _prune(current, relations, settings, prune_limit, cache, workers)
    audit = audit_suppression(current, lookup, settings, relations=relations, workers=workers)
    added = np.flatnonzero(current.suppressed & ~cells.suppressed)
    return SecondaryResult(current, _check(current, added, protects, primary, audit),
                           _adjustments(current, added), audit)


def _complements(cells: CellTable, matrix: sparse.csr_array, exposed: np.ndarray,
                 settings: RuleSettings) -> np.ndarray:
    """Published cells to suppress so each exposed cell shares its tightest relations."""
    if exposed.size == 0:
        return np.zeros(0, dtype=int)
    frame = cells.frame
    n_cells, n_columns = len(frame), matrix.shape[1]
    candidate = np.zeros(n_columns, dtype=bool)
    candidate[:n_cells] = ((frame["status"].to_numpy() == PUBLISHED)
                           & ~frame["structural_zero"].to_numpy(bool))
    unknown = np.ones(n_columns, dtype=bool)
    unknown[:n_cells] = cells.suppressed & ~frame["structural_zero"].to_numpy(bool)
    pattern = abs(sparse.csr_array(matrix)).astype(bool).astype(float)
    unknown_per_row = pattern @ unknown.astype(float)
    usable = (pattern @ candidate.astype(float)) > 0
    # The exposing relations of a cell: its usable relations with the fewest unknowns.
    entries = pattern[:, exposed].tocoo()
    rows, owner = entries.row, entries.col
    keep = usable[rows]
    rows, owner = rows[keep], owner[keep]
    if rows.size == 0:
        return np.zeros(0, dtype=int)
    fewest = np.full(exposed.size, np.inf)
    np.minimum.at(fewest, owner, unknown_per_row[rows])
    # Fix the most exposed cells first: others are often exposed only through them.
    blamed = np.unique(rows[(unknown_per_row[rows] == fewest[owner])
                            & (fewest[owner] == fewest.min())])
    options = pattern[blamed].tocoo()
    row, cell = blamed[options.row], options.col
    keep = candidate[cell]
    row, cell = row[keep], cell[keep]
    coverage = np.bincount(cell, minlength=n_columns)
    value = np.r_[frame["value"].to_numpy(float), np.zeros(n_columns - n_cells)]
    contributors = np.r_[frame["contributors"].fillna(0).to_numpy(float),
                         np.zeros(n_columns - n_cells)]
    # A complement smaller than the protection width cannot hide much: use it only if needed.
    too_small = value < settings.protection_width
    order = np.lexsort((contributors[cell], value[cell], -coverage[cell], too_small[cell], row))
    first = np.r_[True, row[order][1:] != row[order][:-1]]
    return np.unique(cell[order][first])


def _protected_by(matrix: sparse.csr_array, chosen: np.ndarray,
                  exposed: np.ndarray) -> dict[int, int]:
    """For each complementary cell, one exposed cell it shares a relation with."""
    shared = (abs(matrix[:, chosen]).T @ abs(matrix[:, exposed])).tocoo()
    return {int(chosen[i]): int(exposed[j]) for i, j in zip(shared.row, shared.col, strict=True)}


def _prune(cells: CellTable, relations: Relations, settings: RuleSettings, limit: int,
           cache: dict[bytes, tuple[np.ndarray, ...]], workers: int) -> CellTable:
    """Put back complementary cells, largest first, while the audit still passes."""
    secondary = np.flatnonzero(cells.frame["rule"].to_numpy() == SECONDARY)
    values = cells.frame["value"].to_numpy(float)[secondary]
    for cell in secondary[np.argsort(-values, kind="stable")][:limit]:
        frame = cells.frame.copy()
        frame.loc[cell, ["status", "rule"]] = [PUBLISHED, ""]
        trial = CellTable(frame)
        intervals = intruder_intervals(trial, relations, settings, exact_intervals=False, cache=cache, workers=workers)
        if intervals["safe"].all():
            cells = trial
    return cells


def _check(cells: CellTable, added: np.ndarray, protects: dict[int, int], primary: int,
           audit: AuditResult) -> CheckResult:
    frame = cells.frame
    keys = frame[list(KEY_COLUMNS)].to_dict("records")
    findings = []
    for cell in added:
        target = protects.get(int(cell))
        why = ("suppressed so that suppressed cells in the same sums cannot be worked out"
               if target is None else "suppressed so that "
               + "/".join(str(keys[target][key]) for key in KEY_COLUMNS)
               + " cannot be worked out from the sums it shares with this cell")
        findings.append(Finding(keys[int(cell)], SECONDARY, why))
    verdict = ("every suppressed cell is now protected" if audit.passed
               else "some suppressed cells are still exposed (see the attack audit)")
    summary = (f"{len(added)} further cells suppressed to protect {primary} primary"
               f" suppressions; {verdict}.")
    return CheckResult("Secondary suppression", audit.passed, summary, tuple(findings),
                       rationale="suppressing only the disclosive cells is not enough when the"
                       " totals and other areas published beside them let anyone subtract",
                       category="suppression-audit",
                       metrics={"primary": primary, "secondary": len(added)})


def _adjustments(cells: CellTable, added: np.ndarray) -> tuple[Adjustment, ...]:
    per_table = cells.frame.iloc[added].groupby("table").size()
    return tuple(Adjustment("suppressed", int(count),
                            "complementary suppression so withheld cells cannot be derived",
                            {"table": str(table), "rule": SECONDARY})
                 for table, count in per_table.items())
