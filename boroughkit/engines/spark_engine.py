"""Apache Spark as the engine: the SQL engines' statuses, bounds and group-by as DataFrame
operations, so the same config runs on a cluster (``local[N]`` on one machine).

Rows get their statuses by :mod:`boroughkit.engines.spark_rows`; for counts, each person's
distinct counted cells are sorted by the same MD5 bounding key and cut to ``max_cells`` (sums
and cell-key sums: :mod:`boroughkit.engines.spark_window`); only small tallies are collected to
the driver.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from boroughkit.anonymise.aggregate_result import EXAMPLE_VALUES, OACellAggregate
from boroughkit.config.engine_models import SparkEngine
from boroughkit.engines.protocol import CellRequest
from boroughkit.engines.spark_rows import quoted_column, spark_rows, with_opt_outs
from boroughkit.engines.spark_session import spark_error, spark_session
from boroughkit.engines.tallies import Tallies, assemble
from boroughkit.errors import check_columns_present


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
        check_columns_present(self.path, frame.columns, dict.fromkeys(request.read_columns))
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
            frame = with_opt_outs(frame, opt_out_key, opt_outs or ())
            frame = frame.filter("NOT __opted_out")
        found: dict[str, Iterable[Any]] = {}
        for column in columns:
            values = (
                frame.select(quoted_column(column).alias("v")).where("v IS NOT NULL").distinct()
            )
            found[column] = self._stream(values)
        return found

    def _stream(self, values: Any) -> Iterator[Any]:
        """The values, brought to the driver one partition at a time."""
        try:
            for row in values.toLocalIterator():
                yield row["v"]
        except Exception as error:
            raise spark_error(self.path, error) from None


def _tallies(frame: Any, request: CellRequest, salt: int) -> Tallies:
    """The tallies: per status (with the undeclared values), then the bounded cells (counts
    here; sums and cell-key sums by :mod:`boroughkit.engines.spark_window`)."""
    rows = spark_rows(frame, request)
    statuses, undeclared = _status_tallies(rows, len(request.categories))
    if request.sums is not None or request.record_keys is not None:
        from boroughkit.engines.spark_window import window_tallies

        cells, persons, movers, contributions, kept = window_tallies(rows, request, salt)
        return Tallies(cells, persons, statuses, undeclared, movers, contributions, kept)
    return _count_tallies(rows, request, salt, statuses, undeclared)


def _status_tallies(
    rows: Any, n_columns: int
) -> tuple[list[tuple[str, int, int]], dict[int, tuple[int, list[str]]]]:
    """Rows per (status, empty mask), and per category column the undeclared values."""
    from pyspark.sql import functions as F

    by_status = rows.groupBy("status", "empty").agg(
        F.count(F.lit(1)).alias("n"),
        *(F.count(f"bad_{i}").alias(f"bad_{i}") for i in range(n_columns)),
        *(
            F.slice(F.array_sort(F.collect_set(f"bad_{i}")), 1, EXAMPLE_VALUES).alias(f"values_{i}")
            for i in range(n_columns)
        ),
    )
    statuses = []
    undeclared: dict[int, tuple[int, list[str]]] = {}
    for row in by_status.collect():
        statuses.append((str(row["status"]), int(row["empty"]), int(row["n"])))
        for i in range(n_columns):
            if row[f"bad_{i}"]:
                count, examples = undeclared.get(i, (0, []))
                undeclared[i] = (count + int(row[f"bad_{i}"]), [*examples, *row[f"values_{i}"]])
    return statuses, undeclared


def _count_tallies(
    rows: Any,
    request: CellRequest,
    salt: int,
    statuses: list[tuple[str, int, int]],
    undeclared: dict[int, tuple[int, list[str]]],
) -> Tallies:
    """Per (OA, kept cell) after the per-person bound, each person counted once for the
    totals."""
    from pyspark.sql import functions as F

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
    cells: list[tuple[int, int, int, int | None]] = []
    persons_per_oa: dict[int, int] = {}
    movers = contributions = kept_total = 0
    for row in by_cell.collect():
        oa, n = row["oa_first"], int(row["n"])
        if oa is not None:
            persons_per_oa[int(oa)] = persons_per_oa.get(int(oa), 0) + int(row["persons"])
            if row["cell"] is not None:
                cells.append((int(oa), int(row["cell"]), n, None))
        movers += int(row["movers"])
        contributions += int(row["contributions"])
        kept_total += n
    placed = [(oa, n, None) for oa, n in persons_per_oa.items()]
    return Tallies(cells, placed, statuses, undeclared, movers, contributions, kept_total)
