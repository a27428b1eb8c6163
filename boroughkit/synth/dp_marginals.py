"""DP synthesis from noisy marginals (MST, AIM) through OpenDP's ``mbi`` contingency tables.

The only module of this package importing ``opendp`` (and, through it, Private-PGM ``mbi``).

- The domain is public: every column is passed to OpenDP as integer codes of the schema's declared
  values and bins, with every key given, so no budget is spent discovering categories and no cut
  point comes from the data.
- A child column of a declared hierarchy (e.g. industry code under industry category) is left out
  of the graphical model: its parent is modelled, the child's one-way counts are measured with a
  small share of the budget, and the child is drawn within its parent from those noisy counts.
- DP noise is OpenDP's; nothing is seeded. The one privacy unit is the person (one row each).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import numpy as np
import opendp.prelude as dp
import pandas as pd
import polars as pl
from opendp._internal import _new_pure_function
from opendp.extras.mbi import MST

from boroughkit.errors import ConfigError, DataError
from boroughkit.synth.base import Synthesiser
from boroughkit.synth.budget import PrivacyBudget
from boroughkit.synth.schema import Hierarchy, SynthSchema

DPAlgorithm = Literal["mst", "aim"]
# OpenDP's MST composes its per-edge selections in rounded-up floating point, which can exceed
# the selection budget by an ulp and fail; selecting within a budget one part in 1e9 smaller
# (the rest unspent) avoids that without changing the guarantee.
_SELECTION_SLACK = 1e-9


@dataclass(kw_only=True, frozen=True)
class _MSTWithSlack(MST):
    """OpenDP's MST whose selection stays strictly inside its share of the budget."""

    def make_marginals(  # type: ignore[no-untyped-def]
        self, input_domain, input_metric, output_measure, d_in, d_out, *, marginals, model
    ):
        """Select a spanning tree of pairs with noisy max, measure them, fit the model."""
        from opendp.extras.mbi._mst import _make_mst_select
        from opendp.extras.mbi._utilities import (
            get_associated_metric,
            make_noise_marginals,
            make_stable_marginals,
            prior,
        )

        d_measure = d_out * self.measure_split
        d_select = prior(prior(d_out - d_measure))
        edges = list(itertools.combinations(input_domain.columns, 2))
        metric = get_associated_metric(output_measure)
        t_marginals = make_stable_marginals(input_domain, input_metric, metric, edges)
        d_marginals = t_marginals.map(d_in)
        space = t_marginals.output_space

        def select_measure_fit(queryable):  # type: ignore[no-untyped-def]
            m_select = _make_mst_select(
                *space, output_measure, d_in=d_marginals,
                d_out=d_select * (1.0 - _SELECTION_SLACK), edges=edges, model=model,
                num_selections=self.num_selections,
            )  # fmt: skip
            cliques = queryable(m_select)
            m_measure = dp.binary_search_chain(
                lambda scale: make_noise_marginals(*space, output_measure, cliques, scale=scale),
                d_in=d_marginals,
                d_out=d_measure,
                T=float,
            )
            measured = marginals.add(*queryable(m_measure))
            fitted = self.estimator(model.domain, measured.flatten(), potentials=model.potentials)
            return measured, fitted

        composition = dp.c.then_adaptive_composition(
            output_measure=output_measure, d_in=d_marginals, d_mids=[d_select, d_measure]
        )
        return t_marginals >> composition >> _new_pure_function(select_measure_fit)


def _estimator(iterations: int):  # type: ignore[no-untyped-def]
    from opendp.extras.mbi import mirror_descent

    def estimate(domain, loss_fn, *, potentials=None):  # type: ignore[no-untyped-def]
        from mbi.estimation import mirror_descent as mbi_mirror_descent

        return mbi_mirror_descent(domain, loss_fn, potentials=potentials, iters=iterations)

    return estimate if iterations != 1000 else mirror_descent


class DPMarginalSynthesiser(Synthesiser):
    """MST or AIM on the schema's public domain, with an exact privacy budget.

    ``oneway_split`` is the share of the model's budget spent on one-way marginals;
    ``child_share`` the share spent on each hierarchy child's one-way counts.
    """

    differentially_private = True

    def __init__(
        self,
        schema: SynthSchema,
        *,
        budget: PrivacyBudget,
        algorithm: DPAlgorithm = "mst",
        oneway_split: float = 0.3,
        measure_split: float = 0.9,
        child_share: float = 0.05,
        aim_rounds: int | None = None,
        aim_max_size_mb: float = 20.0,
        iterations: int = 1000,
        sample_method: Literal["round", "sample"] = "round",
    ) -> None:
        super().__init__(schema)
        if algorithm not in ("mst", "aim"):
            raise ConfigError(f"unknown DP algorithm {algorithm!r}", fix="use 'mst' or 'aim'")
        self.method = f"dp_{algorithm}"
        self.budget, self.algorithm = budget, algorithm
        self.oneway_split, self.measure_split = oneway_split, measure_split
        self.child_share, self.aim_rounds = child_share, aim_rounds
        self.aim_max_size_mb, self.iterations = aim_max_size_mb, iterations
        self.sample_method = sample_method
        self._table: Any = None
        self._child_weights: dict[str, np.ndarray] = {}
        self._hierarchies = {h.child: h for h in schema.hierarchies}
        self.modelled = [name for name in schema.names if name not in self._hierarchies]

    def parameters(self) -> dict[str, Any]:
        """Settings and budget recorded with the extract, with the public cut points used."""
        return {
            "algorithm": self.algorithm,
            "budget": self.budget.describe(),
            "oneway_split": self.oneway_split,
            "measure_split": self.measure_split,
            "child_share": self.child_share if self._hierarchies else 0.0,
            "aim_rounds": self.aim_rounds,
            "iterations": self.iterations,
            "modelled_columns": self.modelled,
            "drawn_within_parent": {c: h.parent for c, h in self._hierarchies.items()},
            "cut_points": {s.name: list(s.bins) for s in self.schema.synthesised if s.is_numeric},
            "selected_marginals": self.selected_marginals(),
        }

    def selected_marginals(self) -> list[list[str]]:
        """The cliques measured with noise (public once released)."""
        if self._table is None:
            return []
        return [list(clique) for clique in self._table.marginals.cliques()]

    def _algorithm(self) -> Any:
        estimator = _estimator(self.iterations)
        if self.algorithm == "mst":
            return _MSTWithSlack(
                oneway_split=self.oneway_split, measure_split=self.measure_split,
                estimator=estimator,
            )  # fmt: skip
        return dp.mbi.AIM(
            oneway_split=self.oneway_split, measure_split=self.measure_split, queries=2,
            rounds=self.aim_rounds, max_size=self.aim_max_size_mb, estimator=estimator,
        )  # fmt: skip

    def _fit(self, data: pd.DataFrame) -> None:
        dp.enable_features("contrib")  # OpenDP's contributed (vetted, not yet proven) code paths
        codes = self.schema.encode(data).astype(np.int64)
        children = list(self._hierarchies)
        child_weight = self.child_share * len(children)
        if not 0 <= child_weight < 1:
            raise ConfigError(f"child_share × children = {child_weight} must be below 1")
        weights = [1.0 - child_weight] + [self.child_share] * len(children)
        if self.budget.kind == "pure":
            loss = dp.loss_of(epsilon=self.budget.epsilon)
        else:
            loss = dp.loss_of(rho=self.budget.zcdp_rho)
        context = dp.Context.compositor(
            data=pl.from_pandas(codes).lazy(),
            privacy_unit=dp.unit_of(contributions=1),
            privacy_loss=loss,
            split_by_weights=weights,
        )
        keys = {name: list(range(self.schema.column(name).n_codes)) for name in self.modelled}
        self._table = (
            context.query()
            .select(self.modelled)
            .contingency_table(keys=keys, algorithm=self._algorithm())
            .release()
        )
        self._child_weights = {
            child: self._measure_child(context, child) for child in children
        }

    def _measure_child(self, context: Any, child: str) -> np.ndarray:
        size = self.schema.column(child).n_codes
        released = (
            context.query()
            .group_by(child)
            .agg(dp.len(signed=True))
            .with_keys(pl.LazyFrame({child: list(range(size))}))
            .release()
            .collect()
            .sort(child)
        )
        # Negative noisy counts mean "rare": clip to zero (post-processing).
        return np.clip(released["len"].to_numpy().astype(float), 0.0, None)

    def _sample_batch(self, n: int) -> pd.DataFrame:
        table = self._table.synthesize(rows=n, method=self.sample_method).to_pandas()
        # A null key is the model's "outside the public domain" cell: drop such rows.
        table = table.dropna().astype(np.int64)
        rng = np.random.default_rng()  # post-processing draws: fresh entropy, never seeded
        for child, hierarchy in self._hierarchies.items():
            table[child] = self._draw_child(hierarchy, table[hierarchy.parent].to_numpy(), rng)
        return self.schema.decode(table[self.schema.names], rng)

    def _draw_child(
        self, hierarchy: Hierarchy, parent_codes: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        child_spec = self.schema.column(hierarchy.child)
        parent_spec = self.schema.column(hierarchy.parent)
        weights = self._child_weights[hierarchy.child]
        child_index = {value: i for i, value in enumerate(child_spec.values)}
        missing_child = child_spec.n_codes - 1 if child_spec.nullable else -1
        out = np.full(len(parent_codes), missing_child, dtype=np.int64)
        for parent_value, child_values in hierarchy.children_by_parent().items():
            rows = parent_codes == parent_spec.values.index(parent_value)
            if not rows.any():
                continue
            options = np.array([child_index[value] for value in child_values])
            chance = weights[options] + 1e-9  # uniform within the parent when all counts are 0
            out[rows] = rng.choice(options, size=int(rows.sum()), p=chance / chance.sum())
        if (out < 0).any():
            raise DataError(
                f"{hierarchy.child}: a sampled {hierarchy.parent} has no child value",
                fix=f"declare {hierarchy.child} nullable or map a child to every parent value",
            )
        return out
