"""Post-processing of noisy marginals into a tree-shaped model, and sampling from it (numpy only).

Nothing here touches the private data: it receives noisy 2-way tables released elsewhere and public
knowledge (the schema's structural rules). Steps:

1. cells that the structural rules make impossible are set to zero (public knowledge);
2. each noisy table is projected onto the non-negative tables with the estimated total (the
   least-squares fit under Gaussian noise), which removes most of the noise in empty cells;
3. tables sharing a column are made to agree on that column's distribution (the precision-weighted
   mean of their margins) by iterative proportional fitting;
4. the tree is rooted and sampled ancestrally: root from its margin, each child from its table's
   conditional distribution given the parent.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from boroughkit.synth.rules import StructuralRule
from boroughkit.synth.schema import ColumnSpec, Hierarchy, SynthSchema

Edge = tuple[str, ...]  # a pair of column names


def project_to_simplex(values: np.ndarray, total: float) -> np.ndarray:
    """The closest (Euclidean) non-negative vector summing to ``total``."""
    flat = np.asarray(values, dtype=float).ravel()
    if total <= 0:
        return np.zeros_like(flat).reshape(np.shape(values))
    ordered = np.sort(flat)[::-1]
    cumulative = np.cumsum(ordered) - total
    index = np.arange(1, len(flat) + 1)
    feasible = ordered - cumulative / index > 0
    rank = index[feasible][-1]
    threshold = cumulative[rank - 1] / rank
    return np.maximum(flat - threshold, 0.0).reshape(np.shape(values))


def impossible_cells(schema: SynthSchema, columns: Sequence[str]) -> np.ndarray:
    """Cells of the ``columns`` marginal that break a rule mentioning only those columns.

    Rule thresholds sit on public bin edges, so one representative value per bin (its lower edge)
    decides the whole bin.
    """
    specs = [schema.column(name) for name in columns]
    shape = tuple(spec.n_codes for spec in specs)
    rules: list[StructuralRule] = [r for r in schema.rules if r.columns <= set(columns)]
    if not rules:
        return np.zeros(shape, dtype=bool)
    grid = np.array(list(itertools.product(*[range(size) for size in shape])))
    frame = pd.DataFrame(
        {spec.name: _representatives(spec, grid[:, i]) for i, spec in enumerate(specs)}
    )
    broken = np.zeros(len(frame), dtype=bool)
    for rule in rules:
        broken |= rule.violations(frame)
    return broken.reshape(shape)


def _representatives(spec: ColumnSpec, codes: np.ndarray) -> pd.Series:
    missing = spec.nullable & (codes == spec.n_codes - 1)
    safe = np.where(missing, 0, codes)
    if spec.is_discrete:
        values = pd.Series(np.asarray(spec.values, dtype=object)[safe])
        if all(isinstance(v, (int, float, np.integer)) for v in spec.values):
            values = values.astype(float)
    else:
        values = pd.Series(np.asarray(spec.bins, dtype=float)[safe])
    return values.where(~missing)


@dataclass(frozen=True)
class TreeModel:
    """A rooted tree of columns: the root's distribution and each child's given its parent."""

    order: tuple[str, ...]  # visit order, root first
    parent: Mapping[str, str | None]
    root_distribution: np.ndarray
    conditionals: Mapping[str, np.ndarray]  # child -> [parent code, child code] probabilities

    def sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """``n`` rows of codes drawn ancestrally."""
        codes: dict[str, np.ndarray] = {}
        for name in self.order:
            parent = self.parent[name]
            if parent is None:
                codes[name] = rng.choice(
                    len(self.root_distribution), size=n, p=self.root_distribution
                )
                continue
            table = self.conditionals[name]
            cumulative = np.cumsum(table, axis=1)
            draws = rng.random(n)[:, None]
            picked = (draws > cumulative[codes[parent]]).sum(axis=1)
            codes[name] = np.minimum(picked, table.shape[1] - 1)
        return pd.DataFrame(codes)


def fit_tree(
    schema: SynthSchema,
    columns: Sequence[str],
    tables: Mapping[Edge, np.ndarray],
    oneway: Mapping[str, np.ndarray],
    total: float,
    *,
    harmonise_rounds: int = 5,
) -> TreeModel:
    """A tree model from noisy 2-way ``tables`` (edges of a spanning forest) and noisy 1-ways.

    ``oneway`` supplies the distribution of a column no edge touches (and may be empty otherwise).
    """
    clean = {
        edge: project_to_simplex(np.where(impossible_cells(schema, edge), 0.0, table), total)
        for edge, table in tables.items()
    }
    clean = _harmonise(clean, harmonise_rounds)
    neighbours: dict[str, list[str]] = {name: [] for name in columns}
    for a, b in clean:
        neighbours[a].append(b)
        neighbours[b].append(a)
    order: list[str] = []
    parent: dict[str, str | None] = {}
    for start in sorted(columns, key=lambda name: -len(neighbours[name])):
        if start in parent:
            continue
        parent[start] = None
        queue = [start]
        while queue:
            node = queue.pop(0)
            order.append(node)
            for other in neighbours[node]:
                if other not in parent:
                    parent[other] = node
                    queue.append(other)
    roots = [name for name in order if parent[name] is None]
    conditionals = {
        child: _conditional(clean, parent_name, child)
        for child, parent_name in parent.items()
        if parent_name is not None
    }
    # A forest samples each extra root as the child of a constant: fold it into the first root.
    first = roots[0]
    root_distribution = _margin(clean, first, oneway, schema)
    for other in roots[1:]:
        margin = _margin(clean, other, oneway, schema)
        conditionals[other] = np.tile(margin, (len(root_distribution), 1))
        parent[other] = first
    return TreeModel(tuple(order), parent, root_distribution, conditionals)


def _harmonise(tables: dict[Edge, np.ndarray], rounds: int) -> dict[Edge, np.ndarray]:
    for _ in range(rounds):
        target: dict[str, np.ndarray] = {}
        for name in {name for edge in tables for name in edge}:
            # A margin summed over more cells carries more noise: weight by 1 / cells summed.
            margins, weights = [], []
            for edge, table in tables.items():
                if name in edge:
                    axis = 1 - edge.index(name)
                    margins.append(table.sum(axis=axis))
                    weights.append(1.0 / table.shape[axis])
            target[name] = np.average(margins, axis=0, weights=weights)
        for (a, b), table in tables.items():
            rows = table.sum(axis=1, keepdims=True)
            table = table * np.divide(
                target[a][:, None], rows, out=np.zeros_like(rows), where=rows > 0
            )
            cols = table.sum(axis=0, keepdims=True)
            table = table * np.divide(
                target[b][None, :], cols, out=np.zeros_like(cols), where=cols > 0
            )
            tables[(a, b)] = table
    return tables


def _conditional(tables: Mapping[Edge, np.ndarray], parent: str, child: str) -> np.ndarray:
    table = tables[(parent, child)] if (parent, child) in tables else tables[(child, parent)].T
    rows = table.sum(axis=1, keepdims=True)
    fallback = table.sum(axis=0) + 1e-12
    fallback = fallback / fallback.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        conditional = np.where(rows > 0, table / rows, fallback[None, :])
    return conditional


def _margin(
    tables: Mapping[Edge, np.ndarray],
    name: str,
    oneway: Mapping[str, np.ndarray],
    schema: SynthSchema,
) -> np.ndarray:
    for (a, b), table in tables.items():
        if name in (a, b):
            margin = table.sum(axis=1 if name == a else 0)
            break
    else:
        size = schema.column(name).n_codes
        noisy = np.where(impossible_cells(schema, [name]), 0.0, oneway.get(name, np.ones(size)))
        margin = project_to_simplex(noisy, max(float(noisy.sum()), 1.0))
    margin = np.asarray(margin, dtype=float) + 1e-12
    return margin / margin.sum()


def draw_children(
    schema: SynthSchema,
    hierarchy: Hierarchy,
    parent_codes: np.ndarray,
    weights: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Child codes drawn within each row's parent, in proportion to (noisy) child ``weights``.

    A missing parent gives a missing child; when every weight under a parent is zero the children
    are drawn uniformly.
    """
    child_spec, parent_spec = schema.column(hierarchy.child), schema.column(hierarchy.parent)
    child_index = {value: i for i, value in enumerate(child_spec.values)}
    parent_codes = np.asarray(parent_codes)
    out = np.full(len(parent_codes), child_spec.n_codes - 1, dtype=np.int64)
    for parent_value, child_values in hierarchy.children_by_parent().items():
        rows = parent_codes == parent_spec.values.index(parent_value)
        if rows.any():
            options = np.array([child_index[value] for value in child_values])
            chance = np.clip(weights[options], 0.0, None) + 1e-9
            out[rows] = rng.choice(options, size=int(rows.sum()), p=chance / chance.sum())
    return out
