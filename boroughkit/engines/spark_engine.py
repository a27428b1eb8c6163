"""Apache Spark as the engine: the DuckDB query's statuses, bound and group-by as DataFrame
operations, so the same config runs on a cluster (``local[N]`` on one machine).

Rows get the statuses of :mod:`boroughkit.anonymise.aggregate_sql` in the same order of checks;
each person's distinct counted cells are sorted by the same MD5 bounding key and cut to
``max_cells``; only small tallies are collected to the driver.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from boroughkit.anonymise.aggregate_result import OACellAggregate
from boroughkit.anonymise.aggregate_sql import WHITESPACE
from boroughkit.config.engine_models import SparkEngine
from boroughkit.engines.protocol import CellRequest
from boroughkit.engines.spark_session import spark_error, spark_session
from boroughkit.engines.tallies import PLACED, Tallies, assemble
from boroughkit.errors import check_columns_present

EXAMPLES = 5


def _col(name: str) -> Any:
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


class SparkAggregation:
    """Aggregate a Parquet or CSV file (any path Spark reads) with Spark DataFrames."""

    name = "spark"

    def __init__(self, path: str, fmt: str, settings: SparkEngine) -> None:
        self.path, self.fmt, self.settings = path, fmt, settings

    def _frame(self) -> Any:
        spark = spark_session(self.settings)
        kind = self.fmt
        if kind == "auto":
            kind = "csv" if self.path.lower().endswith(".csv") else "parquet"
        try:
            if kind == "csv":
                # As DuckDB reads CSV: a header, every column as text, malformed rows an error.
                reader = spark.read.option("header", True).option("inferSchema", False)
                return reader.option("mode", "FAILFAST").csv(self.path)
            return spark.read.parquet(self.path)
        except Exception as error:
            raise spark_error(self.path, error) from None

    def aggregate_cells(self, request: CellRequest) -> OACellAggregate:
        """Statuses, bound and group-by on the cluster; tallies back to the driver."""
        frame = self._frame()
        wanted = [request.person, request.oa_column, *request.required_columns]
        check_columns_present(
            self.path, frame.columns, dict.fromkeys([*wanted, *filter(None, [request.opt_out_key])])
        )
        salt = secrets.randbits(63) if request.salt is None else request.salt
        try:
            tallies = _tallies(frame, request, salt)
        except Exception as error:
            raise spark_error(self.path, error) from None
        return assemble(tallies, request)

    def distinct_values(
        self, columns: Sequence[str], opt_out_key: str | None, opt_outs: Sequence[str] | None
    ) -> dict[str, Iterable[Any]]:
        """Distinct values of each column, computed on the cluster and streamed when read."""
        frame = self._frame()
        check_columns_present(self.path, frame.columns, [*columns, *filter(None, [opt_out_key])])
        if opt_out_key is not None:
            frame = _with_opt_outs(frame, opt_out_key, opt_outs or ())
            frame = frame.filter("NOT __opted_out")
        found: dict[str, Iterable[Any]] = {}
        for column in columns:
            values = frame.select(_col(column).alias("v")).where("v IS NOT NULL").distinct()
            found[column] = self._stream(values)
        return found

    def _stream(self, values: Any) -> Iterator[Any]:
        """The values, brought to the driver one partition at a time."""
        try:
            for row in values.toLocalIterator():
                yield row["v"]
        except Exception as error:
            raise spark_error(self.path, error) from None


def _with_opt_outs(frame: Any, key: str, opt_outs: Sequence[str] | Any) -> Any:
    from pyspark.sql import functions as F

    ids = sorted({str(value).strip() for value in opt_outs})
    register = frame.sparkSession.createDataFrame([(i,) for i in ids], "__opt_out_id string")
    joined = frame.join(
        F.broadcast(register), _col(key).cast("string") == F.col("__opt_out_id"), "left"
    )
    return joined.withColumn("__opted_out", F.col("__opt_out_id").isNotNull()).drop("__opt_out_id")


def _rows(frame: Any, request: CellRequest) -> Any:
    """Per row: person, status, OA index, cell, empty-columns mask and undeclared values."""
    from pyspark.sql import functions as F

    spark = frame.sparkSession
    if request.opt_out_key is not None:
        frame = _with_opt_outs(frame, request.opt_out_key, request.opt_outs or ())
    else:
        frame = frame.withColumn("__opted_out", F.lit(False))
    codes = spark.createDataFrame(
        [(str(code), i) for i, code in enumerate(request.oa_codes)], "__oa_code string, __oa int"
    )
    oa_text = F.upper(F.btrim(_col(request.oa_column).cast("string"), F.lit(WHITESPACE)))
    empty: Any = F.lit(0).cast("long")
    for i, column in enumerate(request.required_columns):
        empty = empty + F.when(_col(column).isNull(), F.lit(1 << i)).otherwise(0).cast("long")
    frame = frame.select(
        _col(request.person).cast("string").alias("person"),
        F.col("__opted_out").alias("opted_out"),
        F.when(oa_text == "", None).otherwise(oa_text).alias("oa_text"),
        empty.alias("empty"),
        *(
            _col(column).cast("string").alias(f"text_{i}")
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
    return frame.select(
        "person",
        "status",
        F.when(F.col("status").isin(*PLACED), F.col("__oa")).alias("oa"),
        "cell",
        "empty",
        *bad,
    )


def _tallies(frame: Any, request: CellRequest, salt: int) -> Tallies:
    """The tallies, in two jobs: per status (with the undeclared values), and per (OA, kept
    cell) after the per-person bound (with each person counted once for the totals)."""
    from pyspark.sql import functions as F

    rows = _rows(frame, request)
    n_columns = len(request.categories)
    by_status = rows.groupBy("status", "empty").agg(
        F.count(F.lit(1)).alias("n"),
        *(F.count(f"bad_{i}").alias(f"bad_{i}") for i in range(n_columns)),
        *(
            F.slice(F.array_sort(F.collect_set(f"bad_{i}")), 1, EXAMPLES).alias(f"values_{i}")
            for i in range(n_columns)
        ),
    )
    persons = (
        rows.where(F.col("person").isNotNull())
        .groupBy("person")
        .agg(
            F.min("oa").alias("oa_first"),
            F.max("oa").alias("oa_last"),
            F.collect_set(F.when(F.col("status") == "counted", F.col("cell"))).alias("cells"),
        )
    )
    keyed = F.transform(
        F.col("cells"),
        lambda c: F.struct(
            F.md5(F.concat_ws("|", F.lit(str(salt)), F.col("person"), c.cast("string"))).alias("h"),
            c.alias("c"),
        ),
    )
    kept = F.transform(F.slice(F.array_sort(keyed), 1, request.max_cells), lambda s: s["c"])
    # One row per kept cell (or one row for a person who keeps none); ``first`` marks one row
    # per person, so per-person totals are summed once.
    exploded = persons.select(
        "oa_first",
        (F.col("oa_first") != F.col("oa_last")).alias("mover"),
        F.size("cells").alias("n_cells"),
        F.posexplode_outer(kept).alias("pos", "cell"),
    ).withColumn("first", F.coalesce(F.col("pos"), F.lit(0)) == 0)
    by_cell = exploded.groupBy("oa_first", "cell").agg(
        F.count("cell").alias("n"),
        F.sum(F.col("first").cast("long")).alias("persons"),
        F.sum(F.when(F.col("first") & F.col("mover"), 1).otherwise(0)).alias("movers"),
        F.sum(F.when(F.col("first"), F.col("n_cells")).otherwise(0)).alias("contributions"),
    )
    cells, statuses = [], []
    persons_per_oa: dict[int, int] = {}
    undeclared: dict[int, tuple[int, list[str]]] = {}
    movers = contributions = kept_total = 0
    for row in by_cell.collect():
        oa, n = row["oa_first"], int(row["n"])
        if oa is not None:
            persons_per_oa[int(oa)] = persons_per_oa.get(int(oa), 0) + int(row["persons"])
            if row["cell"] is not None:
                cells.append((int(oa), int(row["cell"]), n))
        movers += int(row["movers"])
        contributions += int(row["contributions"])
        kept_total += n
    for row in by_status.collect():
        statuses.append((str(row["status"]), int(row["empty"]), int(row["n"])))
        for i in range(n_columns):
            if row[f"bad_{i}"]:
                count, examples = undeclared.get(i, (0, []))
                undeclared[i] = (count + int(row[f"bad_{i}"]), [*examples, *row[f"values_{i}"]])
    return Tallies(
        cells, list(persons_per_oa.items()), statuses, undeclared, movers, contributions, kept_total
    )
