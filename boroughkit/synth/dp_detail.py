"""Where a number falls inside its public bin, from a noisy one-way table of finer public cells.

The DP model draws each numeric column's public bin; drawing the value uniformly inside the bin
throws away the shape within it (spikes at a few densities, round incomes, small weights), which
the 2-way scores of SDNist's finer percentile bins then miss. Each numeric column's bins are cut
into finer cells (every whole number for integers, up to ``cells_per_bin`` parts of each bin),
a noisy count of every fine cell is released (by the privacy layer, within the synthesiser's
budget), and here, as post-processing, a sampled bin is refined to a fine cell in proportion to
those counts, then to a value uniform inside the cell. Fine cells nest in the public bins, so the
model's bins (and the structural rules on them) are kept.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np

from boroughkit.synth.dp_model import project_to_simplex
from boroughkit.synth.schema import ColumnSpec


def fine_spec(spec: ColumnSpec, cells_per_bin: int) -> ColumnSpec:
    """``spec`` with each public bin cut into at most ``cells_per_bin`` equal public cells."""
    edges = np.asarray(spec.bins, dtype=float)
    cuts: set[float] = set(edges.tolist())
    for low, high in itertools.pairwise(edges):
        inner = np.linspace(low, high, cells_per_bin + 1)[1:-1]
        if spec.kind == "integer":
            inner = np.unique(np.round(inner))
        cuts.update(float(cut) for cut in inner if low < cut < high)
    return replace(spec, bins=tuple(sorted(cuts)))


@dataclass(frozen=True)
class BinDetail:
    """Noisy counts of a column's fine cells, and the draw of a fine cell inside a public bin."""

    coarse: ColumnSpec
    fine: ColumnSpec
    weights: np.ndarray  # cleaned (non-negative) noisy count of every fine cell

    @classmethod
    def from_noisy(cls, coarse: ColumnSpec, fine: ColumnSpec, noisy: np.ndarray) -> BinDetail:
        """Clean released counts: the closest non-negative table with the same total."""
        noisy = np.asarray(noisy, dtype=float)
        return cls(coarse, fine, project_to_simplex(noisy, max(float(noisy.sum()), 1.0)))

    def parent_bins(self) -> np.ndarray:
        """The public bin (code) of every fine cell; missing stays missing."""
        lows = np.asarray(self.fine.bins[:-1], dtype=float)
        parents = np.clip(
            np.searchsorted(np.asarray(self.coarse.bins), lows, side="right") - 1,
            0,
            len(self.coarse.bins) - 2,
        )
        if self.fine.nullable:
            parents = np.append(parents, self.coarse.n_codes - 1)
        return parents

    def refine(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Fine cell codes for public bin ``codes``, drawn in proportion to the noisy counts.

        A bin whose fine cells all lost their counts to noise is drawn uniformly over its cells.
        """
        codes = np.asarray(codes, dtype=np.int64)
        parents = self.parent_bins()
        out = np.empty(len(codes), dtype=np.int64)
        for code in np.unique(codes):
            rows = codes == code
            cells = np.flatnonzero(parents == code)
            weight = self.weights[cells]
            chance = (
                weight / weight.sum() if weight.sum() > 0 else np.full(len(cells), 1 / len(cells))
            )
            out[rows] = rng.choice(cells, size=int(rows.sum()), p=chance)
        return out
