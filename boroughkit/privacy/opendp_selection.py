"""MST's private selection of a tree of column pairs, by OpenDP's report-noisy-max.

MST (McKenna, Miklau & Sheldon 2021) chooses a spanning tree one edge at a time: each candidate
pair's dependence score is the L1 distance between the pair's count table and the product of its
margins, and OpenDP's report-noisy-max picks the next edge within a fixed share of the budget.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np
import opendp.prelude as dp
import polars as pl
from opendp._internal import _make_transformation
from opendp.metrics import _get_bound

from boroughkit.privacy.opendp_marginals import MarginalSession, within

_SCORE_SENSITIVITY = 4.0  # one person moves |table - product of margins| by less than 4


def _pair_scores(session: MarginalSession, candidates: list[tuple[str, str]]) -> dp.Transformation:
    """Transformation: the frame -> each candidate pair's dependence score.

    Adding or removing one person moves a score by less than 4 (1 for the cell, under 3 for the
    product of margins), so the scores' L-infinity sensitivity is 4 per person.
    """

    sizes = session.sizes

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
        input_domain=session.domain,
        input_metric=session.metric,
        output_domain=dp.vector_domain(dp.atom_domain(T="f64", nan=False)),
        output_metric=dp.linf_distance(T="f64", monotonic=False),
        function=scores,
        stability_map=lambda d_in: _SCORE_SENSITIVITY * float(_get_bound(d_in, []).per_group),
    )


def _noisy_max(scores: dp.Transformation, measure: dp.Measure) -> Callable[[float], dp.Measurement]:
    """Report-noisy-max of ``scores`` as a function of its noise scale."""
    return lambda scale: scores >> dp.m.then_noisy_max(measure, scale)


def select_tree(
    session: MarginalSession, columns: Sequence[str], d_each: float
) -> list[tuple[str, str]]:
    """A spanning tree of ``columns``' pairs, each edge picked by report-noisy-max spending
    ``d_each`` (so ``len(columns) - 1`` queries of the session)."""
    component = {name: name for name in columns}

    def root(name: str) -> str:
        while component[name] != name:
            name = component[name]
        return name

    # Report-noisy-max on scores that are not monotone costs 2Δ/scale (ε) or (2Δ/scale)²/8 (ρ).
    scale = (
        2 * _SCORE_SENSITIVITY / d_each
        if session.pure
        else 2 * _SCORE_SENSITIVITY / float(np.sqrt(8 * d_each))
    )
    chosen: list[tuple[str, str]] = []
    for _ in range(len(columns) - 1):
        candidates = [p for p in itertools.combinations(columns, 2) if root(p[0]) != root(p[1])]
        scores = _pair_scores(session, candidates)
        pick = session.query(within(_noisy_max(scores, session.measure), scale, d_each))
        a, b = candidates[int(pick)]
        chosen.append((a, b))
        component[root(a)] = root(b)
    return chosen
