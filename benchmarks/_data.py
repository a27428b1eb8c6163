"""Benchmark inputs: demo residents written to Parquet in chunks, with bounded memory.

``generate_residents`` builds a whole borough in memory, which is fine for a few million rows but
not for a hundred million. Here the generator runs once per chunk of persons and each chunk is
appended to one Parquet file with a streaming writer, so memory stays at one chunk's worth. Each
chunk draws its own person ids, so ids are made distinct across chunks by putting the chunk
number after the ``R`` prefix.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from boroughkit.demo import generate_residents
from boroughkit.geography import GeographyBundle, build_demo_bundle

#: Levels of the benchmark tables.
LEVELS = ("oa", "ward", "borough")
#: Persons generated per chunk: about 2.2 million rows and 0.7 GB of generator memory.
DEFAULT_CHUNK_PERSONS = 2_000_000
#: Rows per Parquet row group: small enough to stream, large enough to compress well.
ROW_GROUP_ROWS = 1_000_000
#: Long-form demo rows per person (one row per service received, or one 'none' row).
ROWS_PER_PERSON_ESTIMATE = 1.08


@dataclass(frozen=True)
class WrittenResidents:
    """What :func:`write_demo_residents` wrote."""

    path: Path
    rows: int
    chunks: int
    seconds: float


def demo_bundle() -> GeographyBundle:
    """The built-in demo borough (about 600 Output Areas)."""
    return build_demo_bundle()


def _chunk_table(
    bundle: GeographyBundle, persons: int, chunk: int, id_digits: int, seed: int | None
) -> pa.Table:
    frame = generate_residents(bundle.lookup, persons, seed=None if seed is None else seed + chunk)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    # Dictionary columns would carry one dictionary per chunk; plain strings keep one schema.
    table = table.cast(
        pa.schema(
            [
                pa.field(f.name, pa.string()) if pa.types.is_dictionary(f.type) else f
                for f in table.schema
            ]
        )
    )
    ids = pc.utf8_replace_slice(
        table["person_id"].cast(pa.string()), start=0, stop=1, replacement=f"R{chunk:0{id_digits}d}"
    )
    return table.set_column(table.schema.get_field_index("person_id"), "person_id", ids)


def write_demo_residents(
    path: Path,
    rows: int,
    *,
    bundle: GeographyBundle | None = None,
    chunk_persons: int = DEFAULT_CHUNK_PERSONS,
    seed: int | None = None,
    echo: bool = False,
) -> WrittenResidents:
    """Write exactly ``rows`` demo resident rows to the Parquet file ``path``, chunk by chunk.

    The last chunk is cut at ``rows``, which may leave its last person with fewer service rows;
    every other person is whole. ``seed`` makes the data repeatable (the data, never DP noise).
    """
    bundle = bundle or demo_bundle()
    expected_chunks = int(rows / (chunk_persons * ROWS_PER_PERSON_ESTIMATE)) + 2
    id_digits = max(2, len(str(expected_chunks)))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    started = time.perf_counter()
    written, chunk = 0, 0
    writer: pq.ParquetWriter | None = None
    try:
        while written < rows:
            table = _chunk_table(bundle, chunk_persons, chunk, id_digits, seed)
            table = table.slice(0, rows - written)
            if writer is None:
                writer = pq.ParquetWriter(partial, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            written += table.num_rows
            chunk += 1
            if echo:
                print(f"  chunk {chunk}: {written:,} of {rows:,} rows", flush=True)
            del table
    finally:
        if writer is not None:
            writer.close()
    partial.replace(path)
    return WrittenResidents(path, written, chunk, time.perf_counter() - started)


def ensure_data(path: Path, rows: int) -> Path:
    """Reuse ``path`` when it holds ``rows`` rows, otherwise generate it."""
    if path.exists():
        found = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()
        if found and found[0] == rows:
            print(f"Reusing {path} ({rows:,} rows)")
            return path
    print(f"Generating {rows:,} demo resident rows in {path} …", flush=True)
    written = write_demo_residents(path, rows, seed=2024, echo=True)
    print(f"  done in {written.seconds:.0f} s ({written.chunks} chunks)")
    return path
