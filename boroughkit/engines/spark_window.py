"""Sums and cell-key sums on Spark: the window query of :mod:`boroughkit.engines.window_sql` as
DataFrame operations, so every engine keeps the same rows and gives the same totals.

Sums: each person's counted cells are ranked by the MD5 bounding key (``dense_rank``), the rows
of the first ``max_cells`` cells by the row key ``md5(salt|person|cell|value)`` (``row_number``),
and the first ``max_rows`` rows are kept. Cell-key sums: each distinct (person, cell) carries
the person's record key (stored, else the first byte of SHA-256 of ``secret|person``).
"""

from __future__ import annotations

from typing import Any

from boroughkit.engines.protocol import CellRequest

Cells = list[tuple[int, int, int, int | None]]
Persons = list[tuple[int, int, int | None]]


def window_tallies(
    rows: Any, request: CellRequest, salt: int
) -> tuple[Cells, Persons, int, int, int]:
    """Cells (OA, cell, kept, sum), persons per OA (with their key sum), movers,
    contributions and kept contributions, from the per-row ``rows`` of the Spark engine."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    counted = rows.where(F.col("status") == "counted")
    persons = (
        rows.where(F.col("person").isNotNull())
        .groupBy("person")
        .agg(F.min("oa").alias("oa_first"), F.max("oa").alias("oa_last"))
    )
    salt_text = F.lit(str(salt))
    if request.sums is not None:
        by_person = Window.partitionBy("person")
        cell_key = F.md5(F.concat_ws("|", salt_text, F.col("person"), F.col("cell").cast("string")))
        row_key = F.md5(
            F.concat_ws(
                "|",
                salt_text,
                F.col("person"),
                F.col("cell").cast("string"),
                F.col("value").cast("string"),
            )
        )
        ranked = counted.withColumn(
            "cell_rank", F.dense_rank().over(by_person.orderBy(cell_key, "cell"))
        ).where(F.col("cell_rank") <= request.max_cells)
        bounded = ranked.withColumn(
            "kept",
            F.row_number().over(by_person.orderBy(row_key, "cell", "value"))
            <= request.sums.max_rows,
        ).withColumn("s", F.col("value"))
        persons = persons.withColumn("rkey", F.lit(None).cast("long"))
    else:
        persons = _with_record_keys(persons, request)
        distinct = counted.select("person", "oa", "cell").distinct()
        bounded = distinct.join(persons.select("person", "rkey"), "person").select(
            "oa", "cell", F.lit(True).alias("kept"), F.col("rkey").alias("s")
        )
    by_cell = bounded.groupBy("oa", "cell").agg(
        F.count(F.lit(1)).alias("all"),
        F.sum(F.col("kept").cast("long")).alias("n"),
        F.sum(F.when(F.col("kept"), F.col("s"))).alias("s"),
    )
    cells: Cells = []
    contributions = kept = 0
    for row in by_cell.collect():
        contributions += int(row["all"])
        kept += int(row["n"])
        if int(row["n"]):
            total = None if row["s"] is None else int(row["s"])
            cells.append((int(row["oa"]), int(row["cell"]), int(row["n"]), total))
    per_oa = (
        persons.groupBy("oa_first")
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.sum("rkey").alias("s"),
            F.sum(F.when(F.col("oa_first") != F.col("oa_last"), 1).otherwise(0)).alias("movers"),
        )
        .collect()
    )
    movers = sum(int(row["movers"]) for row in per_oa)
    placed: Persons = [
        (int(row["oa_first"]), int(row["n"]), None if row["s"] is None else int(row["s"]))
        for row in per_oa
        if row["oa_first"] is not None
    ]
    return cells, placed, movers, contributions, kept


def _with_record_keys(persons: Any, request: CellRequest) -> Any:
    """``persons`` with ``rkey``: the stored key, else the derived one."""
    from pyspark.sql import functions as F

    keys = request.record_keys
    assert keys is not None
    digest = F.sha2(F.concat_ws("|", F.lit(keys.secret), F.col("person")), 256)
    derived = F.conv(F.substring(digest, 1, 2), 16, 10).cast("long")
    stored = persons.sparkSession.createDataFrame(
        list(zip(keys.stored_ids, keys.stored_keys, strict=True)),
        "__key_id string, __key long",
    )
    joined = persons.join(F.broadcast(stored), F.col("person") == F.col("__key_id"), "left")
    return joined.withColumn("rkey", F.coalesce(F.col("__key"), derived)).drop("__key_id", "__key")
