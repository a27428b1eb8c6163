"""A mixed-type (Gower-like) distance between records, vectorised and chunked.

Categories, areas and flags differ by 0 or 1. Numbers are first mapped to [0, 1] through the
schema's public bin edges (piecewise linear, so each public bin gets an equal share of the scale:
a robust, data-independent scaling for long-tailed columns such as income), then differ by the
absolute difference. Missing equals missing (0) and differs from any value (1). The distance of two
records is the mean over the columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from boroughkit.synth.schema import ColumnSpec, SynthSchema

_CHUNK_CELLS = 4_000_000  # query rows × reference rows × columns per chunk (bounds memory)


def _scaled(spec: ColumnSpec, series: pd.Series) -> np.ndarray:
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    edges = np.asarray(spec.bins, dtype=float)
    return np.interp(numbers, edges, np.linspace(0.0, 1.0, len(edges)))


@dataclass(frozen=True)
class Encoded:
    """Records ready for distance computations: numeric part and categorical codes."""

    numeric: np.ndarray  # rows × numeric columns, in [0, 1], NaN for missing
    codes: np.ndarray  # rows × discrete columns, integer codes (missing has its own code)

    def __len__(self) -> int:
        return len(self.codes) if self.codes.size else len(self.numeric)


def encode_for_distance(
    data: pd.DataFrame, schema: SynthSchema, columns: Sequence[str] | None = None
) -> Encoded:
    """Encode ``columns`` (default: every synthesised column) of ``data``."""
    specs = [schema.column(name) for name in (columns or schema.names)]
    numeric = [_scaled(s, data[s.name]) for s in specs if s.is_numeric]
    codes = [s.encode(data[s.name]) for s in specs if not s.is_numeric]
    n = len(data)
    return Encoded(
        numeric=np.column_stack(numeric) if numeric else np.zeros((n, 0)),
        codes=np.column_stack(codes).astype(np.int32) if codes else np.zeros((n, 0), np.int32),
    )


def _chunk_distances(query: Encoded, start: int, stop: int, reference: Encoded) -> np.ndarray:
    total = np.zeros((stop - start, len(reference)))
    if query.codes.shape[1]:
        total += (query.codes[start:stop, None, :] != reference.codes[None, :, :]).sum(axis=2)
    if query.numeric.shape[1]:
        a = query.numeric[start:stop, None, :]
        b = reference.numeric[None, :, :]
        both_missing = np.isnan(a) & np.isnan(b)
        diff = np.where(both_missing, 0.0, np.abs(a - b))
        total += np.where(np.isnan(diff), 1.0, diff).sum(axis=2)
    return total / (query.codes.shape[1] + query.numeric.shape[1])


def nearest(query: Encoded, reference: Encoded) -> tuple[np.ndarray, np.ndarray]:
    """For each query record: the distance to, and index of, its closest reference record."""
    width = max(query.codes.shape[1] + query.numeric.shape[1], 1)
    step = max(1, _CHUNK_CELLS // max(len(reference) * width, 1))
    distances = np.empty(len(query))
    indices = np.empty(len(query), dtype=np.int64)
    for start in range(0, len(query), step):
        stop = min(start + step, len(query))
        block = _chunk_distances(query, start, stop, reference)
        indices[start:stop] = block.argmin(axis=1)
        distances[start:stop] = block[np.arange(stop - start), indices[start:stop]]
    return distances, indices


def subset(encoded: Encoded, rows: np.ndarray) -> Encoded:
    """The encoded records at ``rows``."""
    return Encoded(numeric=encoded.numeric[rows], codes=encoded.codes[rows])
