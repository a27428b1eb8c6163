"""The SDNist 2-way k-marginal fidelity score, overall and per area.

score = 1000 × (1 − mean over column pairs of the total variation distance between the real and
synthetic 2-way marginal distributions). Numbers are binned by the schema's public bins and
missing is a cell of its own; the area column is left out of the pairs (as in SDNist) and used to
score each area on its own rows instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from boroughkit.errors import DataError
from boroughkit.synth.schema import SynthSchema


@dataclass(frozen=True)
class KMarginalResult:
    """The overall score, the score of every pair, and the score of every area."""

    score: float
    pairs: pd.DataFrame  # columns: a, b, score
    per_area: pd.Series  # area code -> score (empty without an area column)

    def pair_matrix(self) -> pd.DataFrame:
        """Pair scores as a symmetric column × column matrix (diagonal 1000)."""
        names = list(dict.fromkeys([*self.pairs["a"], *self.pairs["b"]]))
        matrix = pd.DataFrame(1000.0, index=names, columns=names)
        for a, b, score in self.pairs.itertuples(index=False):
            matrix.loc[a, b] = matrix.loc[b, a] = score
        return matrix


def total_variation(codes_a: np.ndarray, codes_b: np.ndarray, size: int) -> float:
    """Total variation distance between the distributions of two integer code arrays."""
    if len(codes_a) == 0 or len(codes_b) == 0:
        return 1.0 if len(codes_a) != len(codes_b) else 0.0
    p = np.bincount(codes_a, minlength=size) / len(codes_a)
    q = np.bincount(codes_b, minlength=size) / len(codes_b)
    return float(0.5 * np.abs(p - q).sum())


def pair_codes(codes: pd.DataFrame, a: str, b: str, sizes: dict[str, int]) -> np.ndarray:
    """One integer per row for the cell of the (a, b) 2-way marginal."""
    return codes[a].to_numpy() * sizes[b] + codes[b].to_numpy()


def _pair_scores(
    real: pd.DataFrame, synth: pd.DataFrame, pairs: Sequence[tuple[str, str]], sizes: dict
) -> np.ndarray:
    return np.array(
        [
            1000.0
            * (
                1.0
                - total_variation(
                    pair_codes(real, a, b, sizes),
                    pair_codes(synth, a, b, sizes),
                    sizes[a] * sizes[b],
                )
            )
            for a, b in pairs
        ]
    )


def kmarginal(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: SynthSchema,
    *,
    columns: Sequence[str] | None = None,
    by_area: bool = True,
) -> KMarginalResult:
    """Score ``synthetic`` against ``real`` (both validated against ``schema``)."""
    area = schema.area_column
    names = list(columns or [name for name in schema.names if name != area])
    if len(names) < 2:
        raise DataError("k-marginal needs at least two columns", fix="declare more columns")
    real_codes = schema.encode(real, source="real data")
    synth_codes = schema.encode(synthetic, source="synthetic data")
    sizes = {spec.name: spec.n_codes for spec in schema.synthesised}
    pairs = list(itertools.combinations(names, 2))
    scores = _pair_scores(real_codes, synth_codes, pairs, sizes)
    table = pd.DataFrame({"a": [a for a, _ in pairs], "b": [b for _, b in pairs], "score": scores})
    per_area = pd.Series(dtype=float, name="score")
    if by_area and area is not None:
        per_area = _per_area(real, synthetic, real_codes, synth_codes, pairs, sizes, area)
    return KMarginalResult(score=float(scores.mean()), pairs=table, per_area=per_area)


def _per_area(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    real_codes: pd.DataFrame,
    synth_codes: pd.DataFrame,
    pairs: list[tuple[str, str]],
    sizes: dict[str, int],
    area: str,
) -> pd.Series:
    # Within-area distributions: each area's real rows against its synthetic rows.
    scores = {}
    for code in sorted(real[area].dropna().unique()):
        in_real = (real[area] == code).to_numpy()
        in_synth = (synthetic[area] == code).to_numpy()
        scores[code] = float(
            _pair_scores(
                real_codes[in_real].reset_index(drop=True),
                synth_codes[in_synth].reset_index(drop=True),
                pairs,
                sizes,
            ).mean()
        )
    return pd.Series(scores, name="score", dtype=float)


def mean_kmarginal(results: Sequence[KMarginalResult]) -> KMarginalResult:
    """The mean of several scorings (e.g. of samples drawn from one synthetic file)."""
    pairs = (
        pd.concat([result.pairs for result in results])
        .groupby(["a", "b"], sort=False, as_index=False)["score"]
        .mean()
    )
    per_area = pd.concat([result.per_area for result in results], axis=1).mean(axis=1)
    return KMarginalResult(
        score=float(np.mean([result.score for result in results])),
        pairs=pairs,
        per_area=per_area.rename("score").astype(float),
    )
