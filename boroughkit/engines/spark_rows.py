"""Per-row statuses on Spark: the SQL engines' statuses (:mod:`boroughkit.engines.sql_rows`),
checks in the same order, as DataFrame operations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from boroughkit.anonymise.aggregate_sql import WHITESPACE
from boroughkit.engines.protocol import CellRequest
from boroughkit.engines.sql_rows import NUMBER_PATTERN
from boroughkit.engines.tallies import PLACED


def quoted_column(name: str) -> Any:
    """The column ``name``, quoted so any name is read as written."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def with_opt_outs(frame: Any, key: str, opt_outs: Sequence[str] | Any) -> Any:
    """``frame`` with ``__opted_out``: whether the row's ``key`` is on the register."""
    from pyspark.sql import functions as F

    ids = sorted({str(value).strip() for value in opt_outs})
    register = frame.sparkSession.createDataFrame([(i,) for i in ids], "__opt_out_id string")
    joined = frame.join(
        F.broadcast(register), quoted_column(key).cast("string") == F.col("__opt_out_id"), "left"
    )
    return joined.withColumn("__opted_out", F.col("__opt_out_id").isNotNull()).drop("__opt_out_id")


def spark_rows(frame: Any, request: CellRequest) -> Any:
    """Per row: person, status, OA index, cell, empty-columns mask and undeclared values."""
    from pyspark.sql import functions as F

    spark = frame.sparkSession
    if request.opt_out_key is not None:
        frame = with_opt_outs(frame, request.opt_out_key, request.opt_outs or ())
    else:
        frame = frame.withColumn("__opted_out", F.lit(False))
    codes = spark.createDataFrame(
        [(str(code), i) for i, code in enumerate(request.oa_codes)], "__oa_code string, __oa int"
    )
    oa_text = F.upper(F.btrim(quoted_column(request.oa_column).cast("string"), F.lit(WHITESPACE)))
    checks = [quoted_column(column).isNull() for column in request.required_columns]
    for column in request.number_columns:
        trimmed = F.btrim(quoted_column(column).cast("string"), F.lit(WHITESPACE))
        checks.append(~F.coalesce(trimmed.rlike(NUMBER_PATTERN), F.lit(False)))
    empty: Any = F.lit(0).cast("long")
    for i, check in enumerate(checks):
        empty = empty + F.when(check, F.lit(1 << i)).otherwise(0).cast("long")
    value_text: Any = F.lit(None).cast("string")
    if request.sums is not None:
        value_text = F.btrim(quoted_column(request.sums.column).cast("string"), F.lit(WHITESPACE))
    frame = frame.select(
        quoted_column(request.person).cast("string").alias("person"),
        F.col("__opted_out").alias("opted_out"),
        F.when(oa_text == "", None).otherwise(oa_text).alias("oa_text"),
        empty.alias("empty"),
        value_text.alias("value_text"),
        *(
            quoted_column(column).cast("string").alias(f"text_{i}")
            for i, (column, _) in enumerate(request.categories)
        ),
    )
    frame = frame.join(F.broadcast(codes), F.col("oa_text") == F.col("__oa_code"), "left")
    cell: Any = F.lit(0)
    undeclared: Any = F.lit(False)
    indexes = []
    for i, (_, values) in enumerate(request.categories):
        positions = F.create_map(*(F.lit(x) for j, v in enumerate(values) for x in (str(v), j)))
        index = positions[F.col(f"text_{i}")]
        indexes.append(index)
        cell = cell * len(values) + index
        undeclared = undeclared | (F.col(f"text_{i}").isNotNull() & index.isNull())
    status = (
        F.when(F.col("person").isNull(), "missing_person")
        .when(F.col("opted_out"), "opted_out")
        .when(F.col("empty") != 0, "empty_value")
        .when(F.col("oa_text").isNull(), "missing_value")
        .when(~F.col("oa_text").rlike(f"^(?:{request.oa_code_pattern})"), "malformed_oa_code")
        .when(F.col("__oa").isNull(), "unknown_oa_code")
        .when(undeclared, "undeclared_value")
        .otherwise("counted")
    )
    frame = frame.withColumn("status", status).withColumn("cell", cell)
    bad = [
        F.when(
            (F.col("status") == "undeclared_value") & F.col(f"text_{i}").isNotNull() & idx.isNull(),
            F.col(f"text_{i}"),
        ).alias(f"bad_{i}")
        for i, idx in enumerate(indexes)
    ]
    value: Any = F.lit(None).cast("long")
    if request.sums is not None:
        low, high = request.sums.bounds
        # try_cast: with ANSI mode on, a plain cast of a non-number raises even when unused.
        number = F.expr("try_cast(value_text AS double)")
        clipped = F.greatest(F.least(number, F.lit(float(high))), F.lit(float(low)))
        value = F.when(F.col("status") == "counted", F.bround(clipped, 0).cast("long"))
    return frame.select(
        "person",
        "status",
        F.when(F.col("status").isin(*PLACED), F.col("__oa")).alias("oa"),
        "cell",
        "empty",
        value.alias("value"),
        *bad,
    )
