"""Distinctive synthetic identifiers, built as Arrow strings without a Python loop."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_INT32_LIMIT = 2**31 - 1


def unique_numbers(count: int, low: int, high: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct random integers in ``[low, high)``, so no identifier is ever reused."""
    return low + rng.choice(high - low, size=count, replace=False).astype(np.int64)


def fixed_width_strings(prefix: str, numbers: np.ndarray, digits: int) -> pa.Array:
    """``prefix`` followed by each number zero-padded to ``digits`` digits, as an Arrow array.

    The characters are written straight into one byte buffer with fixed offsets, which is far
    faster and leaner than formatting millions of Python strings.
    """
    head = prefix.encode("ascii")
    width = len(head) + digits
    count = len(numbers)
    characters = np.empty((count, width), dtype=np.uint8)
    characters[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    remaining = np.asarray(numbers, dtype=np.int64).copy()
    for column in range(width - 1, len(head) - 1, -1):
        characters[:, column] = ord("0") + remaining % 10
        remaining //= 10
    large = (count + 1) * width > _INT32_LIMIT
    offsets = np.arange(0, (count + 1) * width, width, dtype=np.int64 if large else np.int32)
    array_type = pa.large_string() if large else pa.string()
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(characters)]
    return pa.Array.from_buffers(array_type, count, buffers)
