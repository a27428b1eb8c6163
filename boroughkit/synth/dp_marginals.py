"""DP synthesis from noisy marginals: MST (fast) and AIM (OpenDP's ``mbi``).

Imports no OpenDP: every query runs through the privacy layer
(:mod:`boroughkit.privacy.opendp_marginals`, :mod:`boroughkit.privacy.opendp_selection`); this
module plans the budget shares and post-processes what those queries release.

- The domain is public: every column reaches OpenDP as integer codes of the schema's declared
  values and bins, so no budget is spent discovering categories and no cut point comes from data.
- ``mst`` follows MST (McKenna, Miklau & Sheldon 2021): a spanning tree of column pairs is chosen
  one edge at a time by OpenDP's report-noisy-max on each pair's dependence score, the chosen
  2-way tables are measured with OpenDP's Gaussian (zCDP) or Laplace (pure ε) noise, and the tree
  model is fitted and sampled by post-processing (:mod:`boroughkit.synth.dp_model`). Seconds, not
  minutes.
- ``aim`` runs OpenDP's AIM contingency table (``mbi.AIM``). Not recommended on wide data: every
  round refits a Private-PGM model and scores every candidate marginal against it, which on NIST's
  24-column Massachusetts excerpt takes minutes per round and gigabytes of memory (3 rounds:
  about 400 s and 3.2 GB on two shared cores). ``mst`` is the DP method to use there.
- A numeric column's value inside its public bin is drawn from a noisy one-way table of finer
  public cells (``detail_share`` of the budget; :mod:`boroughkit.synth.dp_detail`) rather than
  uniformly, so spikes and skew inside a bin survive.
- A child column of a declared hierarchy (industry code under industry category) is left out of
  the model; its one-way counts are measured and it is drawn within its sampled parent.
- DP noise is OpenDP's and never seeded. The privacy unit is the person (one row each).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from boroughkit.errors import ConfigError
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.dp_budget import DPBudget
from boroughkit.privacy.opendp_marginals import AIMModel, Clique, MarginalSession
from boroughkit.privacy.opendp_selection import select_tree
from boroughkit.synth.base import Synthesiser
from boroughkit.synth.dp_detail import BinDetail, fine_spec
from boroughkit.synth.dp_model import TreeModel, draw_children, fit_tree
from boroughkit.synth.schema import ColumnSpec, SynthSchema

DPAlgorithm = Literal["mst", "aim"]
_SAFETY = 1.0 - 1e-9  # each query aims just inside its share, so rounded-up sums stay in budget


class DPMarginalSynthesiser(Synthesiser):
    """MST or AIM on the schema's public domain, with an exact privacy budget.

    Budget shares: ``child_share`` measures each hierarchy child's one-way counts,
    ``detail_share`` the fine cells of the numeric columns (``cells_per_bin`` per public bin at
    most; 0 draws values uniformly inside bins); of the rest, ``select_share`` chooses MST's tree
    and the remainder measures the chosen 2-way tables.
    """

    differentially_private = True

    def __init__(
        self,
        schema: SynthSchema,
        *,
        budget: Rho | DPBudget,
        algorithm: DPAlgorithm = "mst",
        select_share: float = 0.15,
        child_share: float = 0.05,
        detail_share: float = 0.1,
        cells_per_bin: int = 10,
        aim_rounds: int | None = 10,
        aim_max_size_mb: float = 10.0,
    ) -> None:
        super().__init__(schema)
        if algorithm not in ("mst", "aim"):
            raise ConfigError(f"unknown DP algorithm {algorithm!r}", fix="use 'mst' or 'aim'")
        self.method = f"dp_{algorithm}"
        self.budget, self.algorithm = DPBudget.of(budget), algorithm
        self.select_share, self.child_share = select_share, child_share
        self.detail_share, self.cells_per_bin = detail_share, cells_per_bin
        self.aim_rounds, self.aim_max_size_mb = aim_rounds, aim_max_size_mb
        self._children = {h.child: h for h in schema.hierarchies}
        self.modelled = [name for name in schema.names if name not in self._children]
        self._model: TreeModel | AIMModel | None = None
        self._child_counts: dict[str, np.ndarray] = {}
        self._details: dict[str, BinDetail] = {}
        # The loss of every OpenDP query of the last fit, in order (ρ, or ε for a pure budget).
        self.query_losses: list[float] = []
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
            "detail_share": self.detail_share if self._details else 0.0,
            "fine_cut_points": {name: list(d.fine.bins) for name, d in self._details.items()},
            "aim_rounds": self.aim_rounds if self.algorithm == "aim" else None,
            "modelled_columns": self.modelled,
            "drawn_within_parent": {c: h.parent for c, h in self._children.items()},
            "cut_points": {s.name: list(s.bins) for s in self.schema.synthesised if s.is_numeric},
            "measured_marginals": self.measured,
            "estimated_rows": self.estimated_rows,
        }

    def _fine_specs(self) -> dict[str, ColumnSpec]:
        if self.detail_share <= 0:
            return {}
        fine = {
            spec.name: fine_spec(spec, self.cells_per_bin)
            for spec in self.schema.synthesised
            if spec.is_numeric and spec.name in self.modelled
        }
        return {name: f for name, f in fine.items() if f.bins != self.schema.column(name).bins}

    def _fit(self, data: pd.DataFrame) -> None:
        sizes = {name: self.schema.column(name).n_codes for name in self.schema.names}
        codes = self.schema.encode(data)
        fine = self._fine_specs()
        for name, spec in fine.items():
            codes[_fine(name)] = spec.encode(data[name])
            sizes[_fine(name)] = spec.n_codes
        total = self.budget.spendable  # ρ, or ε for a pure budget: never above the exact budget
        child_loss = total * self.child_share * _SAFETY
        detail_loss = total * self.detail_share * _SAFETY if fine else 0.0
        shares = self.child_share * len(self._children) + (self.detail_share if fine else 0.0)
        model_loss = total * (1.0 - shares) * _SAFETY
        if not 0.0 < self.select_share < 1.0 or model_loss <= 0:
            raise ConfigError("budget shares must leave something to measure", fix="lower them")
        n_select = len(self.modelled) - 1 if self.algorithm == "mst" else 0
        select_each = model_loss * self.select_share / max(n_select, 1)
        model_mids = [select_each] * n_select + [model_loss - select_each * n_select]
        d_mids = [*model_mids, *[child_loss] * len(self._children)]
        d_mids += [detail_loss] if fine else []
        session = MarginalSession(codes, sizes, self.budget, d_mids)
        self.query_losses = d_mids
        if self.algorithm == "mst":
            edges = select_tree(session, self.modelled, select_each)
            # A single modelled column has no pair: its one-way table is measured instead.
            cliques: list[Clique] = [*edges] or [(self.modelled[0],)]
            tables = session.noisy_tables(cliques, model_mids[-1])
            total_rows = float(np.mean([table.sum() for table in tables.values()]))
            pairs: dict[Clique, np.ndarray] = {
                clique: table for clique, table in tables.items() if len(clique) == 2
            }
            oneway = {clique[0]: table for clique, table in tables.items() if len(clique) == 1}
            self._model = fit_tree(self.schema, self.modelled, pairs, oneway, total_rows)
            self.measured = [list(clique) for clique in cliques]
        else:
            aim = session.aim(
                self.modelled,
                model_mids[-1],
                rounds=self.aim_rounds,
                max_size_mb=self.aim_max_size_mb,
            )
            self._model, self.measured = aim, aim.cliques()
            total_rows = aim.total_rows(self.modelled[0])
        self.estimated_rows = max(1, round(total_rows))
        self._child_counts = {
            child: session.noisy_tables([(child,)], child_loss)[(child,)]
            for child in self._children
        }
        if fine:
            noisy = session.noisy_tables([(_fine(name),) for name in fine], detail_loss)
            self._details = {
                name: BinDetail.from_noisy(self.schema.column(name), spec, noisy[(_fine(name),)])
                for name, spec in fine.items()
            }

    def _sample_batch(self, n: int) -> pd.DataFrame:
        rng = np.random.default_rng()  # post-processing draws: fresh entropy, never seeded
        if isinstance(self._model, TreeModel):
            table = self._model.sample(n, rng)
        else:
            assert self._model is not None, "fit() first"
            table = self._model.sample_codes(n)
        for child, hierarchy in self._children.items():
            counts = self._child_counts[child]
            table[child] = draw_children(
                self.schema, hierarchy, table[hierarchy.parent].to_numpy(), counts, rng
            )
        decoded = self.schema.decode(table[self.schema.names], rng)
        for name, detail in self._details.items():
            cells = detail.refine(table[name].to_numpy(), rng)
            decoded[name] = detail.fine.decode(cells, rng)
        return decoded


def _fine(name: str) -> str:
    """The frame column holding ``name``'s fine cell codes."""
    return f"{name}.fine"
