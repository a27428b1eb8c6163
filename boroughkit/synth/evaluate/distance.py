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
    """Records ready for distance computations: numeric part and one-hot categorical part."""

    numeric: np.ndarray  # rows × numeric columns, in [0, 1], NaN for missing
    onehot: np.ndarray  # rows × (sum of category counts), float32 one-hot per discrete column
    n_discrete: int

    def __len__(self) -> int:
        return len(self.numeric)

    @property
    def width(self) -> int:
        """Number of columns the distance averages over."""
        return self.n_discrete + self.numeric.shape[1]


def encode_for_distance(
    data: pd.DataFrame, schema: SynthSchema, columns: Sequence[str] | None = None
) -> Encoded:
    """Encode ``columns`` (default: every synthesised column) of ``data``."""
    specs = [schema.column(name) for name in (columns or schema.names)]
    n = len(data)
    numeric = [_scaled(s, data[s.name]) for s in specs if s.is_numeric]
    blocks = []
    for spec in specs:
        if not spec.is_numeric:
            block = np.zeros((n, spec.n_codes), dtype=np.float32)
            block[np.arange(n), spec.encode(data[spec.name])] = 1.0
            blocks.append(block)
    return Encoded(
        numeric=np.column_stack(numeric) if numeric else np.zeros((n, 0)),
        onehot=np.hstack(blocks) if blocks else np.zeros((n, 0), dtype=np.float32),
        n_discrete=len(blocks),
    )


def _chunk_distances(query: Encoded, start: int, stop: int, reference: Encoded) -> np.ndarray:
    # Categorical mismatches = columns − matches, and matches is a product of one-hot matrices.
    total = query.n_discrete - (query.onehot[start:stop] @ reference.onehot.T).astype(float)
    for j in range(query.numeric.shape[1]):
        a, b = query.numeric[start:stop, j][:, None], reference.numeric[:, j][None, :]
        diff = np.abs(a - b)
        unequal_missing = 1.0 - (np.isnan(a) & np.isnan(b))
        total += np.where(np.isnan(diff), unequal_missing, diff)
    return total / max(query.width, 1)


def nearest(query: Encoded, reference: Encoded) -> tuple[np.ndarray, np.ndarray]:
    """For each query record: the distance to, and index of, its closest reference record.

    Ties go to the first reference record. Identical records are compared once (on a few
    quasi-identifiers, 200,000 records often hold only a few thousand distinct ones), which
    gives exactly the answer of comparing them all.
    """
    query_rows, query_inverse = _distinct(query)
    reference_rows, _ = _distinct(reference)
    # Keep reference records in order of first appearance, so ties still go to the first.
    reference_rows = np.sort(reference_rows)
    distinct_query = subset(query, query_rows)
    distinct_reference = subset(reference, reference_rows)
    step = max(1, _CHUNK_CELLS // max(len(distinct_reference) * 8, 1))
    distances = np.empty(len(distinct_query))
    indices = np.empty(len(distinct_query), dtype=np.int64)
    for start in range(0, len(distinct_query), step):
        stop = min(start + step, len(distinct_query))
        block = _chunk_distances(distinct_query, start, stop, distinct_reference)
        indices[start:stop] = block.argmin(axis=1)
        distances[start:stop] = block[np.arange(stop - start), indices[start:stop]]
    return distances[query_inverse], reference_rows[indices][query_inverse]


def _distinct(encoded: Encoded) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the first occurrence of each distinct record, and each record's distinct row."""
    n = len(encoded)
    # Compare compact bytes: numbers as float64 (missing as a sentinel, -0.0 as 0.0, as in the
    # distance) and the one-hot part packed to bits, one byte string per record.
    numeric = np.where(np.isnan(encoded.numeric), -1.0, encoded.numeric) + 0.0
    packed = np.packbits(encoded.onehot.astype(bool), axis=1)
    raw = np.hstack([np.ascontiguousarray(numeric).view(np.uint8).reshape(n, -1), packed])
    if raw.shape[1] == 0:
        return np.zeros(min(n, 1), dtype=np.int64), np.zeros(n, np.int64)
    keys = np.ascontiguousarray(raw).view(np.dtype((np.void, raw.shape[1]))).reshape(n)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def subset(encoded: Encoded, rows: np.ndarray) -> Encoded:
    """The encoded records at ``rows``."""
    return Encoded(encoded.numeric[rows], encoded.onehot[rows], encoded.n_discrete)
