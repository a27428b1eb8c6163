"""The text of a published file, cut into segments named by where each sits.

Used by the leak scan. Every format boroughkit publishes is read for what a downloader sees:
Parquet and GeoParquet through pyarrow (column names, key-value metadata, each column's distinct
values; WKB geometry columns are positions, not values of the input, and are left out), CSV
(header and columns, every value read as text so ``000123`` stays ``000123``), JSON, GeoJSON and
TopoJSON (keys and values by key path; coordinate arrays left out), HTML (entities decoded), and
anything else as raw UTF-8 text. A file that cannot be parsed in its format is read as raw text.
"""

from __future__ import annotations

import csv
import html
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

#: Segment location of a file read as plain text (the scan reports line numbers there).
RAW_TEXT = "text"
_GEOMETRY_KEYS = {"coordinates", "arcs", "bbox"}


def file_segments(path: Path) -> Iterator[tuple[str, list[str]]]:
    """Yield ``(location, texts)`` pairs covering everything a downloader of ``path`` can read.

    A data column gives its distinct values; a plain-text file gives one text, its whole body.
    """
    suffix = path.suffix.lower()
    readers = {
        ".parquet": _parquet,
        ".geoparquet": _parquet,
        ".csv": _csv,
        ".tsv": _csv,
        ".json": _json,
        ".geojson": _json,
        ".topojson": _json,
    }
    reader = readers.get(suffix)
    if reader is not None:
        try:
            # Materialised so that a parse error falls back before anything is yielded.
            yield from list(reader(path))
            return
        except (pa.ArrowException, ValueError, OSError, csv.Error):
            pass
    text = path.read_bytes().decode("utf-8", errors="replace")
    yield RAW_TEXT, [html.unescape(text) if suffix in (".html", ".htm") else text]


def _parquet(path: Path) -> Iterator[tuple[str, list[str]]]:
    parquet = pq.ParquetFile(path)
    schema = parquet.schema_arrow
    yield "column names", _field_names(schema)
    metadata = schema.metadata or {}
    for key, value in metadata.items():
        name = key.decode("utf-8", errors="replace")
        yield f"metadata {name}", [name, value.decode("utf-8", errors="replace")]
    for field in schema:
        for key, value in (field.metadata or {}).items():
            texts = [key.decode("utf-8", "replace"), value.decode("utf-8", "replace")]
            yield f"metadata of column {field.name}", texts
    yield from arrow_segments(parquet.read(), skip=_geometry_columns(metadata))


def _geometry_columns(metadata: dict[bytes, bytes]) -> set[str]:
    try:
        return set(json.loads(metadata[b"geo"])["columns"])
    except (KeyError, TypeError, ValueError):
        return set()


def _field_names(schema: pa.Schema) -> list[str]:
    names: list[str] = []
    pending: list[pa.Field] = list(schema)
    while pending:
        field = pending.pop()
        names.append(field.name)
        if pa.types.is_struct(field.type):
            pending.extend(field.type.field(i) for i in range(field.type.num_fields))
        elif pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
            pending.append(field.type.value_field)
    return names


def _csv(path: Path) -> Iterator[tuple[str, list[str]]]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle, delimiter=delimiter), None)
    if not header or len(set(header)) != len(header):
        raise ValueError("no header, or repeated column names")
    yield "column names", header
    options = pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in header}, strings_can_be_null=False
    )
    table = pa_csv.read_csv(
        path, parse_options=pa_csv.ParseOptions(delimiter=delimiter), convert_options=options
    )
    yield from arrow_segments(table, skip=set())


def arrow_segments(table: pa.Table, *, skip: set[str]) -> Iterator[tuple[str, list[str]]]:
    """One segment per column: its distinct values as text."""
    for name in table.column_names:
        if name not in skip:
            yield f"column {name}", _column_strings(table.column(name))


def _column_strings(column: pa.ChunkedArray) -> list[str]:
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = pc.cast(column, kind.value_type)
        kind = column.type
    if pa.types.is_nested(kind):
        return [json.dumps(v, default=str) for v in column.to_pylist() if v is not None]
    values = pc.unique(column)
    if pa.types.is_floating(kind):
        return _float_strings(values.to_numpy(zero_copy_only=False))
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return [v.decode("utf-8", "replace") for v in values.to_pylist() if v is not None]
    try:
        return [v for v in pc.cast(values, pa.string()).to_pylist() if v is not None]
    except pa.ArrowNotImplementedError:
        return [str(v) for v in values.to_pylist() if v is not None]


def _float_strings(values: np.ndarray) -> list[str]:
    # An identifier is never a fraction: only whole numbers are kept, written as integers so
    # that a UPRN stored as 100023456789.0 is still found. (The digits of fractions would only
    # collide with numeric ids by chance.)
    values = values[np.isfinite(values)]
    whole = (values == np.floor(values)) & (np.abs(values) < 1e18)
    return [str(v) for v in values[whole].astype(np.int64).tolist()]


def _json(path: Path) -> Iterator[tuple[str, list[str]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    values: defaultdict[str, list[str]] = defaultdict(list)
    keys: set[str] = set()
    stack: list[tuple[Any, str]] = [(data, "$")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                keys.add(str(key))
                if key not in _GEOMETRY_KEYS:
                    stack.append((value, f"{where}.{key}"))
        elif isinstance(node, list):
            stack.extend((item, f"{where}[]") for item in node)
        elif node is not None:
            values[where].append(_json_scalar(node))
    yield "keys", sorted(keys)
    for where, texts in sorted(values.items()):
        yield f"key {where}", texts


def _json_scalar(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        return str(int(value))
    return str(value)
