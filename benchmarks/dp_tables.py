"""Benchmark: DP counts by area × service, boroughkit and OpenDP's Polars Context, like for like.

On the same demo residents (Parquet, long form: one row per person per service) and the same
public cells, levels (OA, ward, borough), ρ split (the pipeline's default, 6 : 3 : 1) and
contribution bound (``--max-cells`` = k distinct cells per person, one count each), each engine
runs in its own subprocess so its time and peak RSS are its own:

- ``boroughkit``: the whole pipeline, config YAML → published files (plan, streaming DuckDB
  aggregation, noise, consistency across levels, publishing);
- ``core``: boroughkit's DuckDB aggregation plus OpenDP noise per level, nothing published;
- ``opendp``: OpenDP's Polars Context on the rows boroughkit keeps: each person's cells are cut
  to k by boroughkit's exact rule in DuckDB (inside the timed section), then handed to OpenDP
  with the bound they meet declared as the privacy unit (one row per cell, k cells per person,
  at each level), so OpenDP's noise is calibrated to the same √k and nothing more is dropped;
- ``opendp-own``: OpenDP's documented way, with its own truncation (person id as identifier,
  ``truncate_per_group(1)``, ``truncate_num_groups(k)``). OpenDP 0.16 keeps only k − 1 cells
  per person there (``dense rank < k`` with ranks from 1) while calibrating noise to k; writing
  ``rank <= k`` is charged as k + 1. Its picks are also the first cells in sort order, not a
  per-person random choice. So OpenDP cannot release boroughkit's truncated counts at the same
  noise through its own truncation: this row shows what that costs, it is not like for like.

Before timing, every engine runs once with ρ = ``--check-rho`` (noise sd about 1e-4, so the
release is the count before noise) and its counts are compared with boroughkit's truncated
counts: ``max |diff|`` must be 0 for ``boroughkit``, ``core`` and ``opendp`` (the script fails
otherwise); ``dropped`` is contributions (distinct person × cell) minus what the release counts.
Then each engine runs at ``--rho``: time, peak RSS and the mean absolute error per level against
the exact counts without a bound (bias of the bound plus noise) and against boroughkit's
truncated counts (noise and post-processing only) are printed. The salt of the
bound is fixed for the benchmark so that boroughkit and the DuckDB cut pick the same cells; a
release draws a fresh one.

Cases: ``borough`` (the demo borough, ``--rows`` rows) and ``london`` (a lookup-only bundle of
the 33 London boroughs built from ``../shared/data/geo``'s England and Wales lookup, ``--per-oa``
residents per OA; see ``dp_tables_cases``).

    python benchmarks/dp_tables.py --cases borough london --rows 1000000
    python benchmarks/dp_tables.py --rows-100m     # the 100-million-row aggregation
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import ensure_data
from dp_tables_cases import Case, borough_case, drops_at, exact_counts, london_case
from dp_tables_opendp import opendp_own, opendp_same
from dp_tables_workers import LEVELS, core, end_to_end, level_weights

ENGINES = ("boroughkit", "core", "opendp", "opendp-own")
#: Engines whose counts before noise must equal boroughkit's truncated counts.
SAME_COUNTS = ("boroughkit", "core", "opendp")
SALT = 0x5EED_C0DE_2024
#: The largest ρ a config may spend.
MAX_CONFIG_RHO = 100.0


def peak_rss_mib() -> float:
    """Peak resident memory of this process, in MiB.

    /proc's VmHWM belongs to the process's own address space; ru_maxrss would also carry the
    peak of the parent that forked it (Linux keeps it across exec), so it is only a fallback.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    """Print rows under headers, text left-aligned and numbers right-aligned."""
    cells = [[_show(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values: list[str], raw: list[Any]) -> str:
        return "  ".join(
            v.rjust(w) if isinstance(x, int | float) else v.ljust(w)
            for v, w, x in zip(values, widths, raw, strict=True)
        )

    print(line(headers, headers))
    print("  ".join("-" * w for w in widths))
    for row, raw in zip(cells, rows, strict=True):
        print(line(row, raw))


def run_worker(
    engine: str, args: argparse.Namespace, case: Case, check: bool = False
) -> dict[str, Any]:
    """Run one engine in a fresh Python process and return what it reported; with ``check``,
    with noise effectively zero (``--check-rho``; the pipeline's noise switched off, since a
    config's ρ is at most 100)."""
    rho = args.rho
    if check:
        rho = min(args.check_rho, MAX_CONFIG_RHO) if engine == "boroughkit" else args.check_rho
    with tempfile.TemporaryDirectory(prefix="bk-bench-") as folder:
        out = Path(folder) / "result.json"
        options = {"--worker": engine, "--data": case.data, "--geography": case.geography,
                   "--out": out, "--rho": rho, "--max-cells": args.max_cells,
                   "--memory-limit": args.memory_limit, "--threads": args.threads,
                   "--data-dir": args.data_dir, "--salt": args.salt}  # fmt: skip
        command = [sys.executable, __file__, *(["--zero-noise"] if check else [])]
        for option, value in options.items():
            command += [option, str(value)]
        subprocess.run(command, check=True)
        return dict(json.loads(out.read_text()))


def released(result: dict[str, Any], level: str, key: str = "levels") -> pd.Series:
    """A level's released counts, indexed by (area_code, service)."""
    cells = result[key][level]
    index = pd.MultiIndex.from_arrays([cells["codes"], cells["services"]])
    return pd.Series(cells["counts"], index=index, dtype="int64")


def check_counts(
    checks: dict[str, dict[str, Any]], engines: list[str]
) -> dict[str, tuple[int, int]]:
    """Each engine's largest |difference| from boroughkit's truncated counts before noise, and
    the contributions its zero-noise release leaves out; fails if a like-for-like engine differs.
    """
    reference = {level: released(checks["core"], level, "exact") for level in LEVELS}
    contributions = checks["core"]["bound"]["contributions"]
    found = {}
    for engine in engines:
        max_diff = max(
            int(
                (released(checks[engine], lv).reindex(reference[lv].index) - reference[lv])
                .abs()
                .max()
            )
            for lv in LEVELS
        )
        dropped = contributions - int(released(checks[engine], "oa").sum())
        print(f"  {engine}: max |diff| {max_diff:,} over {len(LEVELS)} levels, drops {dropped:,}")
        if engine in SAME_COUNTS and max_diff != 0:
            raise SystemExit(f"{engine} does not release boroughkit's truncated counts: {max_diff}")
        found[engine] = (max_diff, dropped)
    return found


def compare(args: argparse.Namespace, case: Case) -> list[list[Any]]:
    """Check, then time, every engine on one case; return its rows of the summary table."""
    print(f"\n== {case.name}: {case.rows:,} rows ==", flush=True)
    if case.note:
        print(case.note)
    checks = {}
    for engine in dict.fromkeys(["core", *args.engines]):
        print(f"Checking {engine} with noise effectively zero (rho = {args.check_rho:g}) …")
        checks[engine] = run_worker(engine, args, case, check=True)
    bound = checks["core"]["bound"]
    print(
        f"Contributions {bound['contributions']:,}; the bound of {args.max_cells} cells per "
        f"person keeps {bound['kept']:,} (drops {bound['contributions'] - bound['kept']:,})."
    )
    checked = check_counts(checks, args.engines)
    print(f"Load average before timing: {os.getloadavg()} on {os.cpu_count()} CPUs", flush=True)
    timed = {}
    for engine in args.engines:
        print(f"Timing {engine} at rho = {args.rho} …", flush=True)
        timed[engine] = run_worker(engine, args, case)
    print(f"Load average after: {os.getloadavg()}")
    truth = exact_counts(case)
    reference = {level: released(checks["core"], level, "exact") for level in LEVELS}
    rows, scales = [], []
    for engine, result in timed.items():
        errors = [
            float((released(result, level).reindex(truth[level].index) - truth[level]).abs().mean())
            for level in LEVELS
        ]
        rows.append([case.name, case.rows, engine, *checked[engine], result["seconds"],
                     result.get("pretruncate_seconds", "-"), result["peak_rss_mib"],
                     *errors])  # fmt: skip
        scales.append(
            [case.name, engine]
            + [result["levels"][lv]["noise_sd"] for lv in LEVELS]
            + [
                float(
                    (released(result, lv).reindex(reference[lv].index) - reference[lv]).abs().mean()
                )
                for lv in LEVELS
            ]
        )
    print(
        f"\nNoise sd per level (split {level_weights()} of rho = {args.rho}, k = {args.max_cells})"
    )
    print("and mean |released − boroughkit's truncated counts| (noise and post-processing only)")
    print_table(
        ["case", "engine", *(f"sd {lv}" for lv in LEVELS), *(f"error {lv}" for lv in LEVELS)],
        scales,
    )
    return rows


def hundred_million(args: argparse.Namespace) -> None:
    """Aggregate 100 million rows from disk and report time and peak memory."""
    data = ensure_data(args.data_dir / "boroughkit-residents-100m.parquet", 100_000_000)
    case = Case("borough", "builtin:demo", data, 100_000_000)
    print(f"Load average before: {os.getloadavg()} on {os.cpu_count()} CPUs", flush=True)
    result = run_worker("aggregate", args, case)
    print(f"Load average after: {os.getloadavg()}\n")
    facts = result["facts"]
    print_table(
        ["method", "input rows", "contributions", "kept", "movers", "seconds", "peak RSS MiB"],
        [["boroughkit aggregate only (DuckDB)", *facts.values(), result["seconds"],
          result["peak_rss_mib"]]],
    )  # fmt: skip
    print(
        f"DuckDB memory_limit={args.memory_limit}, threads={args.threads}, "
        f"spill folder under {args.data_dir}"
    )


def aggregate_only(args: argparse.Namespace) -> dict[str, Any]:
    """The streaming aggregation alone (for the 100-million-row run)."""
    import time

    from dp_tables_workers import aggregate

    from boroughkit.geography import open_bundle

    bundle = open_bundle(args.geography)
    started = time.perf_counter()
    result = aggregate(args, bundle)
    seconds = time.perf_counter() - started
    facts = {
        name: int(getattr(result, name))
        for name in ("input_rows", "contributions", "kept_contributions", "movers")
    }
    return {"seconds": seconds, "facts": facts}


WORKERS = {
    "boroughkit": end_to_end,
    "core": core,
    "opendp": opendp_same,
    "opendp-own": opendp_own,
    "aggregate": aggregate_only,
}


def main(argv: list[str] | None = None) -> None:
    """Parse options and run the comparison, the 100M run, or one worker."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=("borough", "london"), default=["borough"])
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows of the borough case")
    parser.add_argument("--per-oa", type=int, default=50, help="London residents per OA")
    parser.add_argument("--rows-100m", action="store_true", help="aggregate 100M rows from disk")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--rho", type=float, default=0.5, help="total zCDP budget of the table")
    parser.add_argument("--check-rho", type=float, default=1e8, help="rho of the zero-noise check")
    parser.add_argument("--max-cells", type=int, default=3, help="cells kept per person")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--salt", type=int, default=SALT, help="salt of the contribution bound")
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker", choices=list(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument(
        "--accuracy-repetitions",
        type=int,
        default=200,
        help="releases for the consistency accuracy table (0 to skip)",
    )
    parser.add_argument("--zero-noise", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--geography", default="builtin:demo", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        result = WORKERS[args.worker](args)
        args.out.write_text(json.dumps(result | {"peak_rss_mib": peak_rss_mib()}))
        return
    if args.rows_100m:
        hundred_million(args)
        return
    builders = {
        "borough": lambda: borough_case(args.data_dir, args.rows),
        "london": lambda: london_case(args.data_dir, args.per_oa),
    }
    rows, k_minus_one = [], {}
    for name in args.cases:
        case = builders[name]()
        rows += compare(args, case)
        k_minus_one[name] = drops_at(case, args.max_cells - 1)
    print(f"\nrho = {args.rho}, k = {args.max_cells}; error = mean |released − exact| per cell")
    print_table(
        ["case", "rows", "engine", "pre-noise max |diff|", "dropped", "seconds", "of which cut",
         "peak RSS MiB", *(f"error {level}" for level in LEVELS)],
        rows,
    )  # fmt: skip
    if "opendp-own" in args.engines:
        print(
            "opendp-own is OpenDP's own truncation, not like for like: OpenDP 0.16's "
            "truncate_num_groups keeps rows whose dense rank (from 1) is < k, so k - 1 cells per "
            "person, while its noise is calibrated to k cells (asking for rank <= k is charged as "
            "k + 1); and it keeps the first cells in sort order, so its bias falls on a few "
            "services. Its 'dropped' matches a bound of k - 1: "
            + ", ".join(f"{name} {drops:,}" for name, drops in k_minus_one.items())
            + "."
        )
    if args.accuracy_repetitions:
        # The accuracy table of consistent releases (MAE per level against the all-at-OA and
        # summed-OA baselines, negatives, sum errors, bias, moe95 coverage).
        print("\nAccuracy of consistent releases (demo borough):", flush=True)
        script = Path(__file__).with_name("consistency_accuracy.py")
        subprocess.run(
            [sys.executable, str(script), "--repetitions", str(args.accuracy_repetitions),
             "--rho", str(args.rho)],
            check=True,
        )  # fmt: skip


if __name__ == "__main__":
    main()
