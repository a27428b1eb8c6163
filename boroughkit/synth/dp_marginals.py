"""DP synthesis from noisy marginals measured with OpenDP: MST (fast) and AIM (OpenDP's ``mbi``).

The only module of this package importing ``opendp`` (and, through it, Private-PGM ``mbi``).

- The domain is public: every column reaches OpenDP as integer codes of the schema's declared
  values and bins, so no budget is spent discovering categories and no cut point comes from data.
- ``mst`` follows MST (McKenna, Miklau & Sheldon 2021): a spanning tree of column pairs is chosen
  one edge at a time by OpenDP's report-noisy-max on each pair's dependence score
  (L1 distance between the pair's table and the product of its margins; sensitivity < 4), the
  chosen 2-way tables are measured with OpenDP's Gaussian (zCDP) or Laplace (pure ε) noise, and
  the tree model is fitted and sampled by post-processing (:mod:`boroughkit.synth.dp_model`).
  Seconds, not minutes.
- ``aim`` runs OpenDP's AIM contingency table (``dp.mbi.AIM``); slow on wide data, so its rounds
  and model size are capped.
- A child column of a declared hierarchy (industry code under industry category) is left out of
  the model; its one-way counts are measured and it is drawn within its sampled parent.
- DP noise is OpenDP's and never seeded. The privacy unit is the person (one row each).
"""

from __future__ import annotations

import itertools
from typing import Any, Literal

import numpy as np
import opendp.prelude as dp
import pandas as pd
import polars as pl
from opendp._internal import _make_transformation
from opendp.extras.mbi._utilities import make_noise_marginals, make_stable_marginals
from opendp.extras.polars import Bound
from opendp.metrics import _get_bound

from boroughkit.errors import BudgetError, ConfigError
from boroughkit.synth.base import Synthesiser
from boroughkit.synth.budget import PrivacyBudget
from boroughkit.synth.dp_model import TreeModel, draw_children, fit_tree
from boroughkit.synth.schema import SynthSchema

DPAlgorithm = Literal["mst", "aim"]
_ONE_PERSON = [Bound(per_group=1)]
_SAFETY = 1.0 - 1e-9  # each query aims just inside its share, so rounded-up sums stay in budget
_SCORE_SENSITIVITY = 4.0  # one person moves |table - product of margins| by less than 4


def _frame_space(sizes: dict[str, int]) -> tuple[Any, Any]:
    columns = [
        dp.series_domain(c, dp.atom_domain(bounds=(0, k - 1), T="u32")) for c, k in sizes.items()
    ]
    return dp.lazyframe_domain(columns), dp.frame_distance(dp.symmetric_distance())


def _within(make: Any, scale: float, d_out: float) -> Any:
    """The measurement ``make(scale)``, the scale nudged up until it spends at most ``d_out``."""
    for _ in range(60):
        measurement = make(scale)
        if measurement.map(_ONE_PERSON) <= d_out:
            return measurement
        scale *= 1.0 + 1e-6
    raise BudgetError(f"cannot fit a query within {d_out}", fix="raise the privacy budget")


def _noisy_tables(
    queryable: Any,
    space: tuple,
    measure: Any,
    sizes: dict[str, int],
    cliques: list[tuple[str, ...]],
    d_out: float,
) -> dict[tuple[str, ...], np.ndarray]:
    """Noisy counts of every clique's table, released in one query spending ``d_out``."""
    pure = measure == dp.max_divergence()
    metric = dp.l1_distance(T="u32") if pure else dp.l2_distance(T="u32")
    exact = make_stable_marginals(space[0], space[1], metric, cliques)
    # One person is one cell of each table: sensitivity 1 per table, in L1 and in L2.
    k = len(cliques)
    scale = k / d_out if pure else float(np.sqrt(k / (2.0 * d_out)))
    noisy = _within(
        lambda s: (
            exact
            >> make_noise_marginals(exact.output_domain, exact.output_metric, measure, cliques, s)
        ),
        scale,
        d_out,
    )
    return {
        tuple(m.clique): np.asarray(m.noisy_measurement, dtype=float).reshape(
            [sizes[name] for name in m.clique]
        )
        for m in queryable(noisy)
    }


def _pair_scores(space: tuple, sizes: dict[str, int], candidates: list[tuple[str, str]]) -> Any:
    """Transformation: the frame -> each candidate pair's dependence score.

    The score is the L1 distance between the pair's count table and the product of its margins;
    adding or removing one person moves it by less than 4 (1 for the cell, under 3 for the
    product), so the scores' L-infinity sensitivity is 4 per person.
    """

    def scores(frame: pl.LazyFrame) -> list[float]:
        data = frame.collect()
        out = []
        for a, b in candidates:
            cells = data[a].to_numpy().astype(np.int64) * sizes[b] + data[b].to_numpy()
            table = np.bincount(cells, minlength=sizes[a] * sizes[b]).reshape(sizes[a], sizes[b])
            expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / max(len(data), 1)
            out.append(float(np.abs(table - expected).sum()))
        return out

    return _make_transformation(
        input_domain=space[0],
        input_metric=space[1],
        output_domain=dp.vector_domain(dp.atom_domain(T="f64", nan=False)),
        output_metric=dp.linf_distance(T="f64", monotonic=False),
        function=scores,
        stability_map=lambda d_in: _SCORE_SENSITIVITY * float(_get_bound(d_in, []).per_group),
    )


def _select_tree(
    queryable: Any,
    space: tuple,
    measure: Any,
    sizes: dict[str, int],
    columns: list[str],
    d_each: float,
) -> list[tuple[str, str]]:
    """A spanning tree of column pairs, each edge picked by report-noisy-max (MST's selection)."""
    component = {name: name for name in columns}

    def root(name: str) -> str:
        while component[name] != name:
            name = component[name]
        return name

    pure = measure == dp.max_divergence()
    # Report-noisy-max on scores that are not monotone costs 2Δ/scale (ε) or (2Δ/scale)²/8 (ρ).
    scale = (
        2 * _SCORE_SENSITIVITY / d_each if pure else 2 * _SCORE_SENSITIVITY / np.sqrt(8 * d_each)
    )
    chosen: list[tuple[str, str]] = []
    for _ in range(len(columns) - 1):
        candidates = [p for p in itertools.combinations(columns, 2) if root(p[0]) != root(p[1])]
        scores = _pair_scores(space, sizes, candidates)
        pick = queryable(
            _within(lambda s, t=scores: t >> dp.m.then_noisy_max(measure, s), scale, d_each)
        )
        a, b = candidates[int(pick)]
        chosen.append((a, b))
        component[root(a)] = root(b)
    return chosen


class DPMarginalSynthesiser(Synthesiser):
    """MST or AIM on the schema's public domain, with an exact privacy budget.

    Budget shares: ``child_share`` measures each hierarchy child's one-way counts; of the rest,
    ``select_share`` chooses MST's tree and the remainder measures the chosen 2-way tables.
    """

    differentially_private = True

    def __init__(
        self,
        schema: SynthSchema,
        *,
        budget: PrivacyBudget,
        algorithm: DPAlgorithm = "mst",
        select_share: float = 0.15,
        child_share: float = 0.05,
        aim_rounds: int | None = 10,
        aim_max_size_mb: float = 10.0,
    ) -> None:
        super().__init__(schema)
        if algorithm not in ("mst", "aim"):
            raise ConfigError(f"unknown DP algorithm {algorithm!r}", fix="use 'mst' or 'aim'")
        self.method = f"dp_{algorithm}"
        self.budget, self.algorithm = budget, algorithm
        self.select_share, self.child_share = select_share, child_share
        self.aim_rounds, self.aim_max_size_mb = aim_rounds, aim_max_size_mb
        self._children = {h.child: h for h in schema.hierarchies}
        self.modelled = [name for name in schema.names if name not in self._children]
        self._model: Any = None
        self._child_counts: dict[str, np.ndarray] = {}
        self.measured: list[list[str]] = []
        # The number of people as the released noisy tables say: sample this many rows, since
        # the true count is itself private.
        self.estimated_rows: int | None = None

    def parameters(self) -> dict[str, Any]:
        """Settings and budget recorded with the extract, with the public cut points used."""
        return {
            "algorithm": self.algorithm,
            "budget": self.budget.describe(),
            "select_share": self.select_share if self.algorithm == "mst" else None,
            "child_share": self.child_share if self._children else 0.0,
            "aim_rounds": self.aim_rounds if self.algorithm == "aim" else None,
            "modelled_columns": self.modelled,
            "drawn_within_parent": {c: h.parent for c, h in self._children.items()},
            "cut_points": {s.name: list(s.bins) for s in self.schema.synthesised if s.is_numeric},
            "measured_marginals": self.measured,
            "estimated_rows": self.estimated_rows,
        }

    def _fit(self, data: pd.DataFrame) -> None:
        dp.enable_features("contrib")  # OpenDP's contributed (vetted, not yet proven) code paths
        sizes = {name: self.schema.column(name).n_codes for name in self.schema.names}
        space = _frame_space(sizes)
        if self.budget.kind == "pure":
            measure, total = dp.max_divergence(), float(self.budget.epsilon or 0.0)
        else:
            measure, total = dp.zero_concentrated_divergence(), self.budget.zcdp_rho
        child_loss = total * self.child_share * _SAFETY
        model_loss = total * (1.0 - self.child_share * len(self._children)) * _SAFETY
        if not 0.0 < self.select_share < 1.0 or model_loss <= 0:
            raise ConfigError("budget shares must leave something to measure", fix="lower them")
        n_select = len(self.modelled) - 1 if self.algorithm == "mst" else 0
        select_each = model_loss * self.select_share / max(n_select, 1)
        model_mids = [select_each] * n_select + [model_loss - select_each * n_select]
        d_mids = [*model_mids, *[child_loss] * len(self._children)]
        compositor = dp.c.make_adaptive_composition(*space, measure, _ONE_PERSON, d_mids)
        if compositor.map(_ONE_PERSON) > total:
            raise BudgetError("the planned queries would exceed the privacy budget")
        queryable = compositor(pl.from_pandas(self.schema.encode(data).astype(np.uint32)).lazy())
        if self.algorithm == "mst":
            edges = _select_tree(queryable, space, measure, sizes, self.modelled, select_each)
            # A single modelled column has no pair: its one-way table is measured instead.
            cliques: list[tuple[str, ...]] = [*edges] or [(self.modelled[0],)]
            tables = _noisy_tables(queryable, space, measure, sizes, cliques, model_mids[-1])
            total_rows = float(np.mean([table.sum() for table in tables.values()]))
            pairs: dict[tuple[str, ...], np.ndarray] = {
                clique: table for clique, table in tables.items() if len(clique) == 2
            }
            oneway = {clique[0]: table for clique, table in tables.items() if len(clique) == 1}
            self._model = fit_tree(self.schema, self.modelled, pairs, oneway, total_rows)
            self.measured = [list(clique) for clique in cliques]
        else:
            self._model = queryable(self._aim(space, measure, sizes, model_mids[-1]))
            self.measured = [list(clique) for clique in self._model.marginals.cliques()]
            total_rows = float(np.asarray(self._model.project(self.modelled[0])).sum())
        self.estimated_rows = max(1, round(total_rows))
        self._child_counts = {
            child: _noisy_tables(queryable, space, measure, sizes, [(child,)], child_loss)[(child,)]
            for child in self._children
        }

    def _aim(self, space: tuple, measure: Any, sizes: dict[str, int], d_out: float) -> Any:
        select = dp.t.make_stable_lazyframe(
            space[0],
            space[1],
            pl.LazyFrame(schema={c: pl.UInt32 for c in sizes}).select(self.modelled),
        )
        algorithm = dp.mbi.AIM(
            queries=2, rounds=self.aim_rounds, max_size=self.aim_max_size_mb, oneway_split=0.2
        )
        table, _, _ = dp.mbi.make_contingency_table(
            *select.output_space,
            measure,
            select.map(_ONE_PERSON),
            d_out,
            keys={name: list(range(sizes[name])) for name in self.modelled},
            algorithm=algorithm,
        )
        return select >> table

    def _sample_batch(self, n: int) -> pd.DataFrame:
        rng = np.random.default_rng()  # post-processing draws: fresh entropy, never seeded
        if isinstance(self._model, TreeModel):
            table = self._model.sample(n, rng)
        else:
            # A null key is the model's cell for "outside the public domain": drop those rows.
            drawn = self._model.synthesize(rows=n, method="sample").to_pandas()
            table = drawn.dropna().astype(np.int64).reset_index(drop=True)
        for child, hierarchy in self._children.items():
            counts = self._child_counts[child]
            table[child] = draw_children(
                self.schema, hierarchy, table[hierarchy.parent].to_numpy(), counts, rng
            )
        return self.schema.decode(table[self.schema.names], rng)
