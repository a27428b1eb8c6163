"""Distinctive synthetic identifiers, built as Arrow strings without a Python loop."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def unique_numbers(count: int, low: int, high: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct random integers in ``[low, high)``, so no identifier is ever reused."""
    return low + rng.choice(high - low, size=count, replace=False).astype(np.int64)


def fixed_width_strings(
    prefix: str, numbers: np.ndarray, digits: int, *, rows: np.ndarray | None = None
) -> pa.Array:
    """``prefix`` and each number zero-padded to ``digits`` digits, as an Arrow large_string.

    With ``rows``, the result holds the string of ``numbers[row]`` for each row (repeats allowed).
    The characters go straight into one byte buffer with fixed offsets, which is far faster and
    leaner than formatting millions of Python strings.
    """
    head = prefix.encode("ascii")
    width = len(head) + digits
    characters = np.empty((len(numbers), width), dtype=np.uint8)
    characters[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    remaining = np.asarray(numbers, dtype=np.int64).copy()
    for column in range(width - 1, len(head) - 1, -1):
        characters[:, column] = ord("0") + remaining % 10
        remaining //= 10
    if rows is not None:
        # Gathering whole fixed-width records is one memory copy per row.
        records = characters.view(np.dtype((np.void, width))).ravel()
        characters = records[rows].view(np.uint8)
    count = len(characters) // width if rows is not None else len(numbers)
    offsets = np.arange(0, (count + 1) * width, width, dtype=np.int64)
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(characters))]
    # large_string is what pandas' Arrow-backed strings hold, so no cast follows.
    return pa.Array.from_buffers(pa.large_string(), count, buffers)
