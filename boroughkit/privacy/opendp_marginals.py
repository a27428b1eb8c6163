"""OpenDP's marginal queries for the DP synthesisers: one adaptive composition per fit.

- The domain is public: every column reaches OpenDP as integer codes of the schema's declared
  values and bins (``sizes`` codes each), so no budget is spent discovering categories.
- Every query's budget is fixed when the session opens; OpenDP's adaptive compositor certifies
  their sum within the :class:`DPBudget` before any data is read, and refuses any query beyond.
- Noisy tables use OpenDP's Gaussian (zCDP) or Laplace (pure ε) noise; AIM is OpenDP's
  ``mbi.AIM`` contingency table. DP noise is OpenDP's and never seeded. The privacy unit is the
  person (one row each).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import opendp.prelude as dp
import pandas as pd
import polars as pl
from opendp.extras.mbi import AIM, make_contingency_table
from opendp.extras.mbi._utilities import make_noise_marginals, make_stable_marginals
from opendp.extras.polars import Bound

from boroughkit.errors import BudgetError
from boroughkit.privacy.dp_budget import DPBudget
from boroughkit.privacy.opendp_adapter import enable_opendp

Clique = tuple[str, ...]
ONE_PERSON = [Bound(per_group=1)]


def within(make: Callable[[float], dp.Measurement], scale: float, d_out: float) -> dp.Measurement:
    """The measurement ``make(scale)``, the scale nudged up until it spends at most ``d_out``."""
    for _ in range(60):
        measurement = make(scale)
        if measurement.map(ONE_PERSON) <= d_out:
            return measurement
        scale *= 1.0 + 1e-6
    raise BudgetError(f"cannot fit a query within {d_out}", fix="raise the privacy budget")


@dataclass(frozen=True)
class AIMModel:
    """OpenDP's fitted AIM model (Private-PGM): read and sampled by post-processing only."""

    table: Any  # opendp.extras.mbi.ContingencyTable

    def cliques(self) -> list[list[str]]:
        """The marginals AIM measured."""
        return [list(clique) for clique in self.table.marginals.cliques()]

    def total_rows(self, column: str) -> float:
        """The number of people the model holds, read from one column's margin."""
        return float(np.asarray(self.table.project(column)).sum())

    def sample_codes(self, n: int) -> pd.DataFrame:
        """Up to ``n`` rows of codes (fewer when some fall outside the public domain)."""
        drawn = self.table.synthesize(rows=n, method="sample").to_pandas()
        # A null key is the model's cell for "outside the public domain": drop those rows.
        return drawn.dropna().astype(np.int64).reset_index(drop=True)


class MarginalSession:
    """An adaptive composition of OpenDP queries over one frame of public-domain codes.

    ``query_budgets`` are the budgets of the queries to come, in order, in the budget's unit
    (ρ or ε); each query below spends the next one.
    """

    def __init__(
        self,
        codes: pd.DataFrame,
        sizes: Mapping[str, int],
        budget: DPBudget,
        query_budgets: Sequence[float],
    ) -> None:
        enable_opendp()
        self.sizes = dict(sizes)
        self.pure = budget.kind == "pure"
        self.measure = dp.max_divergence() if self.pure else dp.zero_concentrated_divergence()
        columns = [
            dp.series_domain(c, dp.atom_domain(bounds=(0, k - 1), T="u32"))
            for c, k in self.sizes.items()
        ]
        self.domain = dp.lazyframe_domain(columns)
        self.metric = dp.frame_distance(dp.symmetric_distance())
        compositor = dp.c.make_adaptive_composition(
            self.domain, self.metric, self.measure, ONE_PERSON, list(query_budgets)
        )
        if compositor.map(ONE_PERSON) > budget.spendable:
            raise BudgetError("the planned queries would exceed the privacy budget")
        self._queryable = compositor(pl.from_pandas(codes.astype(np.uint32)).lazy())

    def query(self, measurement: dp.Measurement) -> Any:
        """Run one measurement on the frame, spending its share of the composition."""
        return self._queryable(measurement)

    def noisy_tables(self, cliques: Sequence[Clique], d_out: float) -> dict[Clique, np.ndarray]:
        """Noisy counts of every clique's table, released in one query spending ``d_out``."""
        metric = dp.l1_distance(T="u32") if self.pure else dp.l2_distance(T="u32")
        exact = make_stable_marginals(self.domain, self.metric, metric, list(cliques))
        # One person is one cell of each table: sensitivity 1 per table, in L1 and in L2.
        k = len(cliques)
        scale = k / d_out if self.pure else float(np.sqrt(k / (2.0 * d_out)))
        noisy = within(
            lambda s: (
                exact
                >> make_noise_marginals(
                    exact.output_domain, exact.output_metric, self.measure, list(cliques), s
                )
            ),
            scale,
            d_out,
        )
        return {
            tuple(m.clique): np.asarray(m.noisy_measurement, dtype=float).reshape(
                [self.sizes[name] for name in m.clique]
            )
            for m in self.query(noisy)
        }

    def aim(
        self, columns: Sequence[str], d_out: float, *, rounds: int | None, max_size_mb: float
    ) -> AIMModel:
        """OpenDP's AIM on ``columns``, spending ``d_out``."""
        select = dp.t.make_stable_lazyframe(
            self.domain,
            self.metric,
            pl.LazyFrame(schema={c: pl.UInt32 for c in self.sizes}).select(list(columns)),
        )
        algorithm = AIM(queries=2, rounds=rounds, max_size=max_size_mb, oneway_split=0.2)
        table, _, _ = make_contingency_table(
            *select.output_space,
            self.measure,
            select.map(ONE_PERSON),
            d_out,
            keys={name: list(range(self.sizes[name])) for name in columns},
            algorithm=algorithm,
        )
        return AIMModel(self.query(select >> table))
