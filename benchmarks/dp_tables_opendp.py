"""The OpenDP engines of ``benchmarks/dp_tables.py``: the same truncated counts, and OpenDP's own.

``opendp_same`` gives OpenDP exactly the rows boroughkit counts: each person's distinct
(OA, service) cells cut to ``max_cells`` by boroughkit's rule (the cells with the smallest
``hash(hash(person, cell, salt))``, see ``boroughkit.anonymise.aggregate_sql``), computed here
in DuckDB with the same salt. The rows go to OpenDP without the person id, with the privacy
unit declared as the bound they now meet: at most one row per (area, service) group and at most
``max_cells`` groups at each level. OpenDP's truncation then has nothing left to drop, and its
noise is calibrated to the same L2 sensitivity (√k) as boroughkit's.

``opendp_own`` is OpenDP's documented way (person id as identifier, ``truncate_per_group`` and
``truncate_num_groups``). OpenDP 0.16's ``truncate_num_groups`` filters
``struct(by).rank("dense").over(id) < k``; Polars' dense rank starts at 1, so it keeps k − 1
groups per person while the noise is calibrated to k. Writing ``rank <= k`` keeps k groups,
but OpenDP then charges k + 1. And it keeps the first groups in sort order ("first", "last")
or by hash of the group ("sample"), not a per-person random choice. So through its own
truncation OpenDP cannot release boroughkit's truncated counts at boroughkit's noise.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from dp_tables_workers import LEVELS, level_result, level_weights

from boroughkit.demo.schema import SERVICES
from boroughkit.geography import GeographyBundle, open_bundle

#: Each person's distinct cells with boroughkit's rank of them (smallest salted hash first),
#: the cell being the service's index as a BIGINT as in boroughkit's query.
_PRETRUNCATE_SQL = """
COPY (
    SELECT {area_columns}, ranked.service
    FROM (
        SELECT *, row_number() OVER (
            PARTITION BY person ORDER BY hash(hash(person, cell, $salt::UBIGINT)), cell
        ) AS pick
        FROM (
            SELECT DISTINCT CAST(person_id AS VARCHAR) AS person, oa_code,
                CAST(service AS VARCHAR) AS service,
                (list_position($services, CAST(service AS VARCHAR)) - 1)::BIGINT AS cell
            FROM read_parquet($data)
        )
    ) AS ranked
    JOIN areas USING (oa_code)
    WHERE pick <= $max_cells
) TO '{out}' (FORMAT parquet)
"""


def _keys(bundle: GeographyBundle, level: str) -> Any:
    """Every public (area, service) cell of a level, so no cell depends on the data."""
    import polars as pl

    return pl.DataFrame({f"{level}_code": bundle.areas(level)["code"].tolist()}).join(
        pl.DataFrame({"service": list(SERVICES)}), how="cross"
    )


def pretruncate(args: Any, bundle: GeographyBundle, out: Path) -> None:
    """Write boroughkit's kept (person, cell) contributions as rows with their area codes."""
    areas = pa.table({f"{level}_code": bundle.lookup[f"{level}_code"].tolist() for level in LEVELS})
    area_columns = ", ".join(f"areas.{level}_code" for level in LEVELS)
    with duckdb.connect() as connection:
        connection.execute(f"SET memory_limit = '{args.memory_limit}'")
        connection.execute(f"SET threads = {int(args.threads)}")
        connection.execute(f"SET temp_directory = '{args.data_dir}'")
        connection.register("areas", areas)
        sql = _PRETRUNCATE_SQL.format(area_columns=area_columns, out=str(out).replace("'", "''"))
        parameters = {
            "salt": args.salt,
            "services": list(SERVICES),
            "data": str(args.data),
            "max_cells": args.max_cells,
        }
        connection.execute(sql, parameters)


def opendp_same(args: Any) -> dict[str, Any]:
    """OpenDP's Polars Context on boroughkit's truncated rows (the same counts before noise)."""
    import opendp.prelude as dp
    import polars as pl

    dp.enable_features("contrib")
    bundle = open_bundle(args.geography)
    keys = {level: _keys(bundle, level) for level in LEVELS}
    weights = level_weights()
    with tempfile.TemporaryDirectory(prefix="bk-bench-opendp-", dir=args.data_dir) as folder:
        truncated = Path(folder) / "truncated.parquet"
        started = time.perf_counter()
        pretruncate(args, bundle, truncated)
        pretruncated = time.perf_counter()
        bounds = [
            dp.polars.Bound(by=[f"{level}_code", "service"], per_group=1, num_groups=args.max_cells)
            for level in LEVELS
        ]
        context = dp.Context.compositor(
            data=pl.scan_parquet(truncated),
            privacy_unit=dp.unit_of(contributions=bounds),
            privacy_loss=dp.loss_of(rho=args.rho),
            split_by_weights=[weights[level] for level in LEVELS],
        )
        frames, queries = {}, {}
        for level in LEVELS:
            by = [f"{level}_code", "service"]
            query = context.query().group_by(by).agg(dp.len(signed=True)).with_keys(keys[level])
            frames[level] = query.release().collect()
            queries[level] = query
        seconds = time.perf_counter() - started
        levels = _levels(frames, queries)
    return {"seconds": seconds, "pretruncate_seconds": pretruncated - started, "levels": levels}


def opendp_own(args: Any) -> dict[str, Any]:
    """OpenDP's documented way: person id as identifier, OpenDP's own truncation."""
    import opendp.prelude as dp
    import polars as pl

    dp.enable_features("contrib")
    bundle = open_bundle(args.geography)
    keys = {level: _keys(bundle, level) for level in LEVELS}
    weights = level_weights()
    mapping = {
        level: dict(zip(bundle.lookup["oa_code"], bundle.lookup[f"{level}_code"], strict=True))
        for level in LEVELS[1:]
    }
    started = time.perf_counter()
    context = dp.Context.compositor(
        # Plain strings: a file written from pandas holds categories, whose encoding OpenDP
        # refuses to group by (it depends on the data's order).
        data=pl.scan_parquet(args.data).select(
            pl.col(name).cast(pl.String) for name in ("person_id", "oa_code", "service")
        ),
        privacy_unit=dp.unit_of(contributions=1, identifier="person_id"),
        privacy_loss=dp.loss_of(rho=args.rho),
        split_by_weights=[weights[level] for level in LEVELS],
    )
    frames, queries = {}, {}
    for level in LEVELS:
        area = f"{level}_code"
        query = context.query()
        if level != "oa":
            query = query.with_columns(
                pl.col("oa_code").replace_strict(mapping[level], return_dtype=pl.String).alias(area)
            )
        by = [area, "service"]
        # keep="sample" builds a struct with two fields of one name, which polars 1.36 rejects;
        # "first" gives the same contribution bound and noise.
        query = (
            query.truncate_per_group(1, by=by)
            .truncate_num_groups(args.max_cells, by=by, keep="first")
            .group_by(by)
            .agg(dp.len(signed=True))
            .with_keys(keys[level])
        )
        frames[level] = query.release().collect()
        queries[level] = query
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "levels": _levels(frames, queries)}


def _levels(frames: dict[str, Any], queries: dict[str, Any]) -> dict[str, Any]:
    """Released frames as level results, with the noise scale OpenDP chose (read after the
    clock stops: ``summarize`` resolves the query again)."""
    levels = {}
    for level, frame in frames.items():
        summary: Any = queries[level].summarize()
        area = f"{level}_code"
        levels[level] = level_result(
            frame[area], frame["service"], frame["len"], float(summary["scale"][0])
        )
    return levels
