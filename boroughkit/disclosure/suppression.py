"""Secondary (complementary) suppression: make primary suppression hold against the audit.

A single suppressed cell in a row with a published total is recovered by subtraction; so is a
suppressed OA whose ward and other OAs are published. :func:`secondary_suppression` runs the
attack audit and protects every cell it can still narrow below the protection width, then
audits again until none is left:

- a cell that is the only unknown of a relation (or whose relation's unknowns add up to less
  than the protection width) gets the cheapest published partner in that relation: small
  values, few contributors, and preferably one partner breaking several such relations;
- a cell exposed only by combining relations gets the cheapest published cells that let it
  move by the protection width, found by LP (:func:`_flow`).

A final pass puts back complementary cells that turn out not to be needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

from boroughkit.disclosure.audit import AuditResult, audit_suppression, intruder_intervals
from boroughkit.disclosure.relations import Relations, build_relations
from boroughkit.disclosure.report import Adjustment, CheckResult, Finding
from boroughkit.disclosure.rules import RuleSettings
from boroughkit.disclosure.tables import KEY_COLUMNS, PUBLISHED, CellTable

SECONDARY = "secondary"


@dataclass(frozen=True)
class SecondaryResult:
    """The protected cells, what was suppressed and why, and the final audit."""

    cells: CellTable
    check: CheckResult
    adjustments: tuple[Adjustment, ...]
    audit: AuditResult


def secondary_suppression(
    cells: CellTable,
    lookup: pd.DataFrame,
    settings: RuleSettings,
    *,
    custom_levels: Mapping[str, pd.Series] | None = None,
    linked_totals: Sequence[Sequence[str]] = (),
    max_rounds: int = 60,
    prune_limit: int = 50,
    workers: int = 1,
) -> SecondaryResult:
    """Suppress further cells until no suppressed cell can be recovered or narrowed.

    ``prune_limit`` bounds how many complementary cells the final pass tries to put back (each
    try is an audit); ``workers`` > 1 audits independent parts of the release in parallel.
    """
    relations = build_relations(
        cells, lookup, custom_levels=custom_levels, linked_totals=linked_totals
    )
    release = _Release.of(cells, relations)
    cache: dict[bytes, tuple[np.ndarray, ...]] = {}
    current, protects, history = cells, {}, [np.inf, np.inf]
    for _ in range(max_rounds):
        intervals = intruder_intervals(
            current, relations, settings, exact_intervals=False, cache=cache, workers=workers
        )
        exposed = intervals.loc[~intervals["safe"], "cell"].to_numpy()
        if exposed.size == 0:
            break
        # Cells exposed by plain subtraction first: others are often exposed only through
        # them. The LP search is slower; it joins in when subtraction stops making progress.
        chosen = release.subtraction_complements(current, exposed, settings)
        if not chosen or exposed.size > 0.9 * history[-2]:
            others = exposed[~np.isin(exposed, list(chosen.values()))]
            chosen |= release.flow_complements(current, others, settings, dict(chosen))
        if not chosen:
            break
        protects.update(chosen)
        history.append(exposed.size)
        current = current.suppress(np.isin(np.arange(len(current)), list(chosen)), SECONDARY)
    current = _prune(current, release, relations, settings, prune_limit, cache, workers)
    audit = audit_suppression(current, lookup, settings, relations=relations, workers=workers)
    added = np.flatnonzero(current.suppressed & ~cells.suppressed)
    primary = int(cells.suppressed.sum())
    return SecondaryResult(
        current,
        _check(current, added, protects, primary, audit),
        _adjustments(current, added),
        audit,
    )


@dataclass(frozen=True)
class _Release:
    """The fixed structure of a release: its relations, values and independent parts."""

    matrix: sparse.csr_array
    pattern: sparse.csr_array
    part: np.ndarray
    value: np.ndarray
    contributors: np.ndarray
    structural: np.ndarray
    n_cells: int

    @classmethod
    def of(cls, cells: CellTable, relations: Relations) -> _Release:
        """Precompute what every round needs."""
        matrix = relations.matrix.tocsr()
        pattern = abs(matrix).astype(bool).astype(float).tocsr()
        n_columns = matrix.shape[1]
        graph = sparse.bmat([[None, pattern.T], [pattern, None]], format="csr")
        part = connected_components(graph, directed=False)[1][:n_columns]
        extra = np.zeros(n_columns - relations.n_cells)
        frame = cells.frame
        return cls(
            matrix,
            pattern,
            part,
            np.r_[frame["value"].to_numpy(float), extra],
            np.r_[frame["contributors"].fillna(0).to_numpy(float), extra],
            np.r_[frame["structural_zero"].to_numpy(bool), extra.astype(bool)],
            relations.n_cells,
        )

    def unknown(self, cells: CellTable) -> np.ndarray:
        """Columns an intruder does not see: suppressed cells and cells not in the release."""
        unknown = np.ones(self.value.size, dtype=bool)
        unknown[: self.n_cells] = cells.suppressed
        return unknown & ~self.structural

    def candidates(self, cells: CellTable) -> np.ndarray:
        """Columns that may still be suppressed: published cells that are not structural."""
        candidate = ~self.unknown(cells) & ~self.structural
        candidate[self.n_cells :] = False
        return candidate

    def subtraction_complements(
        self, cells: CellTable, exposed: np.ndarray, settings: RuleSettings
    ) -> dict[int, int]:
        """For each relation in which an exposed cell is the only unknown, its cheapest partner.

        Returns complementary cell → the exposed cell it protects.
        """
        unknown = self.unknown(cells)
        unknown_per_row = self.pattern @ unknown.astype(float)
        hidden_mass = self.pattern @ np.where(unknown, self.value, 0.0)
        entries = self.pattern[:, exposed].tocoo()
        # Exposing relations: the cell is their only unknown, or their unknowns add up to
        # less than the protection width (so each is narrower than that).
        alone = (unknown_per_row[entries.row] == 1) | (
            hidden_mass[entries.row] < settings.protection_width
        )
        blamed, owner = entries.row[alone], exposed[entries.col[alone]]
        if blamed.size == 0:
            return {}
        options = self.pattern[blamed].tocoo()
        row, cell = options.row, options.col
        keep = self.candidates(cells)[cell]
        row, cell = row[keep], cell[keep]
        if row.size == 0:
            # Every cell of the exposing relations is already unknown: e.g. an LSOA and all its
            # OAs suppressed, adding up to less than the protection width. No partner can be
            # found by subtraction; the LP search (flow_complements) looks further out.
            return {}
        # One cell that breaks several exposing relations beats one per relation; then small
        # values (but at least the protection width, to leave room to hide), few contributors.
        coverage = np.bincount(cell, minlength=self.value.size)
        too_small = self.value < settings.protection_width
        order = np.lexsort(
            (self.contributors[cell], self.value[cell], -coverage[cell], too_small[cell], row)
        )
        first = np.r_[True, row[order][1:] != row[order][:-1]]
        return {
            int(c): int(owner[r])
            for r, c in zip(row[order][first], cell[order][first], strict=True)
        }

    def flow_complements(
        self, cells: CellTable, exposed: np.ndarray, settings: RuleSettings, chosen: dict[int, int]
    ) -> dict[int, int]:
        """Cheapest published cells letting each exposed cell move by the protection width.

        An LP finds two changes of the table that keep every published relation true and
        every cell non-negative, and between them move the exposed cell up and down by the
        protection width, paying for each published cell they change. Once those cells are
        suppressed the intruder cannot tell the true table from either changed one. ``chosen``
        (cells already picked this round) are free; it is returned with the new picks.
        """
        unknown = self.unknown(cells)
        candidate = self.candidates(cells)
        picked = np.zeros(self.value.size, dtype=bool)
        picked[list(chosen)] = True
        needed = np.maximum(
            settings.protection_width, settings.protection_percent / 100 * self.value
        )
        done = np.zeros(self.value.size, dtype=bool)
        for cell in exposed:
            if done[cell]:
                continue
            # Changes near the cell first (cells further out held fixed), then further out.
            for columns in self._neighbourhoods(cell):
                free = unknown[columns] | picked[columns]
                found = _flow(
                    self.matrix[:, columns],
                    self.value[columns],
                    free,
                    candidate[columns],
                    int(np.searchsorted(columns, cell)),
                    needed[cell],
                    columns >= self.n_cells,
                )
                if found is not None:
                    support, spread = found
                    for complement in columns[support]:
                        chosen.setdefault(int(complement), int(cell))
                    picked[columns[support]] = True
                    # The two changed tables protect every cell they move far enough.
                    done[columns[spread >= needed[columns] - 1e-7]] = True
                    break
        return chosen

    def _neighbourhoods(self, cell: int) -> list[np.ndarray]:
        """Cells within 2 and 4 relations of ``cell``, then its whole independent part."""
        inside = np.zeros(self.value.size, dtype=bool)
        inside[cell] = True
        found = []
        for hops in range(1, 5):
            inside = (self.pattern.T @ ((self.pattern @ inside) > 0)) > 0
            if hops % 2 == 0:
                found.append(np.flatnonzero(inside))
        return [*found, np.flatnonzero(self.part == self.part[cell])]


def _flow(
    block: sparse.csr_array,
    value: np.ndarray,
    free: np.ndarray,
    candidate: np.ndarray,
    cell: int,
    width: float,
    hidden: np.ndarray,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The published cells two protecting changes of the table have to touch (one LP).

    One change raises the cell by ``a``, the other lowers it by ``width - a``: between them
    the intruder cannot narrow it below ``width``. Each change is split into rises ``p`` and
    falls ``q``; ``z`` covers both changes on each published cell and is what is paid for.
    Only ``block``'s columns may change and every relation touching them is kept. Returns the
    published cells to suppress and how far apart the true and changed tables put each cell;
    None when no such pair of changes exists.
    """
    block = block[np.diff(block.tocsr().indptr) > 0]
    n_rows, n = block.shape
    movable = free | candidate
    # A cell cannot fall below zero; cells missing from the release may only rise.
    rise = np.where(movable, np.inf, 0.0)
    fall = np.where(movable & ~hidden, value, 0.0)
    # Variables: p1, q1 (rising change), p2, q2 (falling change), z, a.
    low = np.zeros(5 * n + 1)
    high = np.r_[rise, fall, rise, fall, np.full(n, np.inf), width]
    high[n + cell] = high[2 * n + cell] = 0.0  # the cell only rises in one, falls in the other
    eye = sparse.eye_array(n, format="csr")
    pick = sparse.csr_array(([1.0], ([0], [cell])), shape=(1, n))
    none = sparse.csr_array((n_rows, n))
    zero, one = sparse.csr_array((1, n)), sparse.csr_array(([1.0], ([0], [0])), shape=(1, 1))
    equalities = sparse.vstack(
        [
            sparse.hstack([block, -block, none, none, none, sparse.csr_array((n_rows, 1))]),
            sparse.hstack([none, none, block, -block, none, sparse.csr_array((n_rows, 1))]),
            sparse.hstack([pick, zero, zero, zero, zero, -one]),
            sparse.hstack([zero, zero, zero, pick, zero, one]),
        ]
    )
    cover = sparse.vstack(
        [
            sparse.hstack([-eye, -eye, 0 * eye, 0 * eye, eye, sparse.csr_array((n, 1))]),
            sparse.hstack([0 * eye, 0 * eye, -eye, -eye, eye, sparse.csr_array((n, 1))]),
        ]
    )
    targets = np.r_[np.zeros(2 * n_rows), 0.0, width]
    cost = np.r_[np.zeros(4 * n), np.where(candidate, 1.0 + np.log1p(value), 0.0), 0.0]
    result = milp(
        cost,
        bounds=Bounds(low, high),
        constraints=[
            LinearConstraint(equalities, targets, targets),
            LinearConstraint(cover, 0.0, np.inf),
        ],
    )
    if result.status != 0 or result.x is None:
        return None
    x = result.x
    rising, falling = x[:n] - x[n : 2 * n], x[2 * n : 3 * n] - x[3 * n : 4 * n]
    spread = np.maximum.reduce([rising, falling, np.zeros(n)]) - np.minimum.reduce(
        [rising, falling, np.zeros(n)]
    )
    return np.flatnonzero(candidate & (x[4 * n : 5 * n] > 1e-7)), spread


def _prune(
    cells: CellTable,
    release: _Release,
    relations: Relations,
    settings: RuleSettings,
    limit: int,
    cache: dict[bytes, tuple[np.ndarray, ...]],
    workers: int,
) -> CellTable:
    """Put back complementary cells, largest first, while the audit still passes.

    A cell whose return would leave a relation with a single unknown, or with unknowns adding
    up to less than the protection width, is needed and is not tried.
    """
    secondary = np.flatnonzero(cells.frame["rule"].to_numpy() == SECONDARY)
    values = release.value[secondary]
    tried = 0
    for cell in secondary[np.argsort(-values, kind="stable")]:
        if tried == limit:
            break
        unknown = release.unknown(cells)
        unknown[cell] = False
        rows = release.pattern[:, [cell]].tocoo().row
        left = release.pattern[rows] @ unknown.astype(float)
        mass = release.pattern[rows] @ np.where(unknown, release.value, 0.0)
        if ((left == 1) | ((left > 0) & (mass < settings.protection_width))).any():
            continue
        tried += 1
        frame = cells.frame.copy()
        frame.loc[cell, ["status", "rule"]] = [PUBLISHED, ""]
        trial = CellTable(frame)
        intervals = intruder_intervals(
            trial, relations, settings, exact_intervals=False, cache=cache, workers=workers
        )
        if intervals["safe"].all():
            cells = trial
    return cells


def _check(
    cells: CellTable, added: np.ndarray, protects: dict[int, int], primary: int, audit: AuditResult
) -> CheckResult:
    frame = cells.frame
    keys = frame[list(KEY_COLUMNS)].to_dict("records")
    findings = []
    for cell in added:
        target = protects.get(int(cell))
        why = (
            "suppressed so that suppressed cells in the same sums cannot be worked out"
            if target is None
            else "suppressed so that "
            + "/".join(str(keys[target][key]) for key in KEY_COLUMNS)
            + " cannot be worked out from the sums it shares with this cell"
        )
        findings.append(Finding({str(k): v for k, v in keys[int(cell)].items()}, SECONDARY, why))
    verdict = (
        "every suppressed cell is now protected"
        if audit.passed
        else "some suppressed cells are still exposed (see the attack audit)"
    )
    summary = (
        f"{len(added)} further cells suppressed to protect {primary} primary"
        f" suppressions; {verdict}."
    )
    return CheckResult(
        "Secondary suppression",
        audit.passed,
        summary,
        tuple(findings),
        id="secondary-suppression",
        rationale="suppressing only the disclosive cells is not enough when the"
        " totals and other areas published beside them let anyone subtract",
        category="suppression-audit",
        metrics={"primary": primary, "secondary": len(added)},
    )


def _adjustments(cells: CellTable, added: np.ndarray) -> tuple[Adjustment, ...]:
    per_table = cells.frame.iloc[added].groupby("table").size()
    return tuple(
        Adjustment(
            "suppressed",
            int(count),
            "complementary suppression so withheld cells cannot be derived",
            {"table": str(table), "rule": SECONDARY},
        )
        for table, count in per_table.items()
    )
