"""The aggregation engines side by side: DuckDB, PostgreSQL pushdown and Spark local[2].

One 8-category table (residents by service, at most 3 services per person) at ``oa, ward,
borough`` of the demo borough, from the same rows: a Parquet file of demo residents (cached in
``--data-dir``, never in the repository) and the same rows loaded by COPY into a throwaway
PostgreSQL server the script starts and stops. Each engine runs in a fresh process, twice:

1. the pre-noise aggregate alone, with one fixed salt, so the engines must keep the same cells
   for every person; the counts are checked equal before anything is reported;
2. the whole release (``run``: aggregate, noise, consistency, gate, staged files), timed, with
   the peak resident memory of the boroughkit process (for Spark, also of its JVM; the
   PostgreSQL server's own memory is not the boroughkit process's and is not counted).

``--statistic sum`` makes the table a sum of rent arrears (clipped to £0–3,000, at most 2 rows
per person) instead of a count, so the sums' bound and clipping are compared too (the counts of
kept rows and their sums must be equal before anything is timed).
``--memory-sweep`` runs DuckDB's whole release at several sizes and prints its peak memory.
On one small machine Spark is the slowest: it is there so the same config runs unchanged on a
cluster, not to win here.

    python benchmarks/engines.py                      # 20 million rows, three engines
    python benchmarks/engines.py --rows 1000000       # a quick check
    python benchmarks/engines.py --rows 5000000 --statistic sum
    python benchmarks/engines.py --memory-sweep 1000000 5000000 20000000 --engines duckdb
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from _data import ensure_data  # noqa: E402

from boroughkit.demo.schema import SERVICES  # noqa: E402

ENGINES = ("duckdb", "postgresql", "spark")
COLUMNS = ["person_id", "uprn", "oa_code", "service", "rent_arrears_gbp"]
LEVELS = ["oa", "ward", "borough"]
MAX_CELLS = 3
SALT = 20_241_205
#: The sum table's value, bounds and rows per person.
VALUE, BOUNDS, MAX_ROWS = "rent_arrears_gbp", (0, 3000), 2
PASSWORD_ENV = "BOROUGHKIT_BENCH_DB_PASSWORD"
#: A warehouse's server is tuned for large queries; the tests' throwaway server is not.
POSTGRES_SETTINGS = "-c work_mem=256MB -c shared_buffers=512MB -c max_parallel_workers_per_gather=2"
SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.memory": "4g",
    "spark.sql.shuffle.partitions": "16",
    # The ids streamed to the leak scan come back one small partition at a time.
    "spark.sql.adaptive.coalescePartitions.enabled": "false",
}


def peak_rss_mib(pid: int | str = "self") -> float:
    """Peak resident memory (VmHWM) of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def config(
    engine: str, data: Path, url: str | None, catalogue: Path, statistic: str
) -> dict[str, Any]:
    """The release's config: only the source (or engine) differs between engines."""
    table: dict[str, Any] = {
        "name": f"residents_by_service_{statistic}",
        "count_by": ["service"],
        "levels": LEVELS,
        "max_categories_per_person": MAX_CELLS,
    }
    if statistic == "sum":
        table.update(
            statistic="sum", value=VALUE, bounds=list(BOUNDS), max_rows_per_person=MAX_ROWS
        )
    source: dict[str, Any] = {
        "dataset": "bench",
        "privacy_unit": "person_id",
        "household": "uprn",
        "columns": {"service": {"type": "category", "values": list(SERVICES)}},
    }
    if engine == "postgresql":
        source["database"] = {"url": url, "password_env": PASSWORD_ENV, "table": "residents"}
    else:
        source["path"] = str(data)
    document: dict[str, Any] = {
        "name": "bench-engines",
        "source": source,
        "geography": {"boundaries": "builtin:demo", "geocode": {"oa": "oa_code"}},
        "release": {
            "method": "dp-tables",
            "budget": {"rho": 0.5},
            "tables": [table],
        },
        "publish": {"to": str(catalogue)},
    }
    if engine == "spark":
        document["engine"] = {"name": "spark", "master": "local[2]", "conf": SPARK_CONF}
    return document


def worker(args: argparse.Namespace) -> dict[str, Any]:
    """In a fresh process: the pre-noise aggregate (``--stage aggregate``) or the release."""
    import yaml

    from boroughkit import build_plan, load_config, run_pipeline
    from boroughkit.engines import CellRequest, engine_for
    from boroughkit.engines.protocol import ValueSums
    from boroughkit.geography import open_bundle
    from boroughkit.privacy.budget import Rho
    from boroughkit.privacy.ledger import Ledger, default_ledger_path

    folder = Path(tempfile.mkdtemp(prefix="bk-bench-engines-", dir=args.data_dir))
    catalogue = folder / "catalogue"
    Ledger(default_ledger_path(catalogue)).register(
        "bench", lifetime=Rho.parse("100"), by="benchmark", reason="benchmark residents"
    )
    path = folder / "bench.yaml"
    document = config(args.worker, args.data, args.url, catalogue, args.statistic)
    path.write_text(yaml.safe_dump(document))
    loaded = load_config(path)
    started = time.perf_counter()
    result: dict[str, Any] = {}
    if args.stage == "aggregate":
        bundle = open_bundle("builtin:demo")
        request = CellRequest(
            person="person_id",
            oa_column="oa_code",
            categories=[("service", list(SERVICES))],
            max_cells=MAX_CELLS,
            oa_codes=bundle.areas("oa")["code"].tolist(),
            oa_code_pattern=bundle.info.oa_code_pattern,
            required=["service"],
            salt=SALT,
        )
        if args.statistic == "sum":
            request = replace(request, numbers=[VALUE], sums=ValueSums(VALUE, BOUNDS, MAX_ROWS))
        aggregate = engine_for(loaded.config, args.data).aggregate_cells(request)
        tallies = (
            [aggregate.counts] if aggregate.sums is None else [aggregate.counts, aggregate.sums]
        )
        np.save(args.out.with_suffix(".npy"), np.stack(tallies))
        result.update(
            rows=aggregate.input_rows,
            contributions=aggregate.contributions,
            kept=aggregate.kept_contributions,
        )
    else:
        run_pipeline(build_plan(loaded))
    result["seconds"] = time.perf_counter() - started
    result["peak_mib"] = peak_rss_mib()
    if args.worker == "spark":
        from pyspark.sql import SparkSession

        session = SparkSession.getActiveSession()
        if session is not None:
            jvm = session.sparkContext._jvm
            result["jvm_peak_mib"] = peak_rss_mib(int(jvm.ProcessHandle.current().pid()))
    return result


def run_worker(engine: str, stage: str, args: argparse.Namespace, data: Path, url: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="bk-bench-", dir=args.data_dir) as folder:
        out = Path(folder) / "result.json"
        command = [sys.executable, __file__, "--worker", engine, "--stage", stage,
                   "--data", str(data), "--url", url, "--out", str(out),
                   "--data-dir", str(args.data_dir), "--statistic", args.statistic]  # fmt: skip
        subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        report = dict(json.loads(out.read_text()))
        counts = out.with_suffix(".npy")
        if counts.exists():
            report["counts"] = np.load(counts)
        return report


def load_postgres(server: Any, data: Path) -> float:
    """COPY the Parquet file's benchmark columns into table ``residents``, batch by batch."""
    started = time.perf_counter()
    with server.connect() as connection, connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS residents")
        cursor.execute(
            "CREATE UNLOGGED TABLE residents (person_id text, uprn text, oa_code text, "
            "service text, rent_arrears_gbp double precision)"
        )
        with cursor.copy("COPY residents FROM STDIN WITH (FORMAT csv)") as copy:
            for batch in pq.ParquetFile(data).iter_batches(1_000_000, columns=COLUMNS):
                buffer = io.BytesIO()
                pacsv.write_csv(
                    batch, buffer, pacsv.WriteOptions(include_header=False, quoting_style="needed")
                )
                copy.write(buffer.getvalue())
        cursor.execute("ANALYZE residents")
    return time.perf_counter() - started


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[f"{v:,.1f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int)
              else str(v) for v in row] for row in rows]  # fmt: skip
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))


def compare(args: argparse.Namespace) -> None:
    from tests.helpers.postgres import start_server

    data = ensure_data(args.data_dir / f"boroughkit-residents-{args.rows}.parquet", args.rows)
    server, url = None, ""
    try:
        if "postgresql" in args.engines:
            server = start_server(settings=POSTGRES_SETTINGS)
            os.environ[PASSWORD_ENV] = server.password
            url = server.url()
            print(f"Loading {args.rows:,} rows into PostgreSQL …", flush=True)
            print(f"  COPY took {load_postgres(server, data):.0f} s", flush=True)
        aggregates = {}
        for engine in args.engines:
            print(f"{engine}: pre-noise aggregate …", flush=True)
            aggregates[engine] = run_worker(engine, "aggregate", args, data, url)
            found = aggregates[engine]
            print(f"  {found['seconds']:,.1f} s, peak {found['peak_mib']:,.0f} MiB", flush=True)
        reference = aggregates[args.engines[0]]
        for engine, found in aggregates.items():
            if not np.array_equal(found["counts"], reference["counts"]):
                raise SystemExit(f"pre-noise tallies of {engine} differ from {args.engines[0]}")
        print(f"Pre-noise aggregates equal across {', '.join(args.engines)}: "
              f"{reference['rows']:,} rows, {reference['contributions']:,} contributions, "
              f"{reference['kept']:,} kept after the bound")  # fmt: skip
        runs = {}
        for engine in args.engines:
            print(f"{engine}: whole release …", flush=True)
            try:
                runs[engine] = run_worker(engine, "run", args, data, url)
            except subprocess.CalledProcessError as error:
                runs[engine] = {"failed": f"exit {error.returncode}"}
            print(f"  {engine}: {describe(aggregates[engine], runs[engine])}", flush=True)
    finally:
        if server is not None:
            server.stop()
    rows = []
    for engine in args.engines:
        agg, run = aggregates[engine], runs[engine]
        jvm = run.get("jvm_peak_mib")
        rows.append([engine, agg["seconds"], agg["peak_mib"], run.get("seconds", run.get("failed")),
                     run.get("peak_mib", "-"), f"{jvm:,.0f}" if jvm else "-"])  # fmt: skip
    print()
    what = "count" if args.statistic == "count" else f"sum of {VALUE} (m = {MAX_ROWS})"
    print(f"{args.rows:,} rows, one 8-category {what} table at {', '.join(LEVELS)}, "
          f"k = {MAX_CELLS}, "
          f"{os.cpu_count()} cores; PostgreSQL on the same machine ({POSTGRES_SETTINGS}); "
          "peak MiB is the boroughkit (Python) process, the JVM's separately")  # fmt: skip
    print_table(
        ["engine", "aggregate s", "aggregate peak MiB", "release s", "release peak MiB",
         "JVM peak MiB"], rows)  # fmt: skip


def describe(aggregate: dict[str, Any], run: dict[str, Any]) -> str:
    """One engine's figures as soon as they are known (a long run may be cut short)."""
    release = (
        f"release {run['seconds']:,.1f} s, peak {run['peak_mib']:,.0f} MiB"
        if "seconds" in run
        else f"release failed ({run['failed']})"
    )
    jvm = f", JVM peak {run['jvm_peak_mib']:,.0f} MiB" if run.get("jvm_peak_mib") else ""
    return (
        f"aggregate {aggregate['seconds']:,.1f} s, peak {aggregate['peak_mib']:,.0f} MiB; "
        f"{release}{jvm}"
    )


def sweep(args: argparse.Namespace) -> None:
    rows = []
    for count in args.memory_sweep:
        data = ensure_data(args.data_dir / f"boroughkit-residents-{count}.parquet", count)
        run = run_worker("duckdb", "run", args, data, "")
        rows.append([count, run["seconds"], run["peak_mib"], run["peak_mib"] / 1024])
    print()
    print("DuckDB, whole release, peak resident memory of the boroughkit process")
    print_table(["rows", "seconds", "peak MiB", "peak GiB"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--statistic", choices=["count", "sum"], default="count")
    parser.add_argument("--memory-sweep", type=int, nargs="*", help="DuckDB peak memory at sizes")
    parser.add_argument(
        "--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "boroughkit-bench"
    )
    parser.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--stage", choices=["aggregate", "run"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    if args.worker:
        args.out.write_text(json.dumps(worker(args)))
    elif args.memory_sweep:
        sweep(args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
