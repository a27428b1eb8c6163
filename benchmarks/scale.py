"""Scale: one borough, London and England and Wales, from the real ONS lookup to a staged release.

For each case the script builds a lookup-only geography bundle from
``../shared/data/geo/lookup_oa21_lsoa21_msoa21_wd22_lad22_ew.csv.gz`` with
``boroughkit geography import`` (``--borough`` repeated; England and Wales keeps every LAD and
its real quirks, which the importer repairs and reports), writes about ``--per-oa`` demo
resident rows per OA as Parquet (chunked, so generation memory stays bounded), registers the
dataset in a ledger and runs one 8-category table (council tax band) at
``oa, lsoa, msoa, ward, borough`` with ``boroughkit run``. Every stage is a separate process,
timed, with its peak resident memory; the table ends with the targets of the scale work
(England and Wales end to end under 10 minutes and 4 GiB; London under 60 s).

Run: ``python benchmarks/scale.py [--cases borough,london,ew] [--per-oa 50] [--work DIR]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
LOOKUP = REPO / ".." / "shared" / "data" / "geo" / "lookup_oa21_lsoa21_msoa21_wd22_lad22_ew.csv.gz"
LONDON = [f"E090000{n:02d}" for n in range(1, 34)]
CASES = {"borough": ["E09000002"], "london": LONDON, "ew": []}
LEVELS = ["oa", "lsoa", "msoa", "ward", "borough"]
BANDS = ["A", "B", "C", "D", "E", "F", "G", "H"]
TARGET_SECONDS = {"london": 60.0, "ew": 600.0}
TARGET_GIB = 4.0

_MEASURED = """
import resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[1:]).returncode
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
print(f"@@ {seconds:.3f} {peak:.4f} {code}", file=sys.stderr)
"""

_RESIDENTS = """
import sys
from pathlib import Path
sys.path.insert(0, {benchmarks!r})
from _data import write_demo_residents
from boroughkit.geography import open_bundle
write_demo_residents(
    Path({out!r}), {rows}, bundle=open_bundle({bundle!r}), seed=2026,
    chunk_persons=min(2_000_000, {rows}),
)
"""


def measured(command: list[str], log: Path) -> tuple[float, float]:
    """Run ``command`` in a child process; its wall time (s) and peak memory (GiB)."""
    wrapped = [sys.executable, "-c", _MEASURED, *command]
    with log.open("a", encoding="utf-8") as out:
        finished = subprocess.run(wrapped, stdout=out, stderr=subprocess.PIPE, text=True)
    marker = [line for line in finished.stderr.splitlines() if line.startswith("@@ ")]
    log.open("a", encoding="utf-8").write(finished.stderr)
    seconds, peak, code = marker[-1].split()[1:]
    if int(code) != 0:
        raise SystemExit(f"{' '.join(command[:4])} … failed (exit {code}); see {log}")
    return float(seconds), float(peak)


def boroughkit(*args: str) -> list[str]:
    """The CLI as a command line of this interpreter."""
    return [sys.executable, "-m", "boroughkit.cli", *args]


def config_for(case_dir: Path, bundle: Path, residents: Path) -> Path:
    """One 8-category table at every nested level and wards."""
    config = {
        "name": "scale-council-tax-band",
        "description": "Residents by council tax band at every level (benchmark).",
        "source": {
            "path": str(residents),
            "dataset": "scale-residents",
            "privacy_unit": "person_id",
            "household": "uprn",
            "columns": {"council_tax_band": {"type": "category", "values": BANDS}},
        },
        "geography": {"boundaries": str(bundle), "geocode": {"oa": "oa_code"}},
        "release": {
            "method": "dp-tables",
            "budget": {"rho": 1},
            "tables": [
                {"name": "council_tax_band", "count_by": ["council_tax_band"], "levels": LEVELS}
            ],
        },
        "disclosure": {
            "min_area_population": 0,
            "min_area_population_reason": "benchmark: the lookup has no population column",
        },
        "publish": {
            "to": str(case_dir / "catalogue"),
            "formats": ["parquet", "csv"],
            "licence": "OGL-3.0",
            "publisher": {"organisation": "Benchmark Council", "contact": "data@example.org"},
            "governance": {
                "dpia_reference": "DPIA-BENCH",
                "legal_basis": "UK GDPR Article 6(1)(e) public task",
                "data_controller": "Benchmark Council",
            },
        },
    }
    path = case_dir / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def run_case(
    name: str, work: Path, per_oa: int, reuse: bool
) -> list[tuple[str, str, float, float]]:
    """Import, residents and run for one case; rows of (case, stage, seconds, GiB)."""
    case_dir = work / name
    case_dir.mkdir(parents=True, exist_ok=True)
    log = case_dir / "log.txt"
    bundle, residents = case_dir / "bundle", case_dir / "residents.parquet"
    boroughs = [arg for code in CASES[name] for arg in ("--borough", code)]
    rows = []
    seconds, peak = measured(
        boroughkit("geography", "import", "--lookup", str(LOOKUP), *boroughs, "--out", str(bundle)),
        log,
    )
    rows.append((name, "import", seconds, peak))
    n_oa = _rows_in(bundle / "lookup.parquet")
    target_rows = per_oa * n_oa
    if not (reuse and residents.exists() and _rows_in(residents) == target_rows):
        script = _RESIDENTS.format(
            benchmarks=str(REPO / "benchmarks"),
            out=str(residents),
            rows=target_rows,
            bundle=str(bundle),
        )
        seconds, peak = measured([sys.executable, "-c", script], log)
        rows.append((name, f"residents ({target_rows:,} rows, {n_oa:,} OAs)", seconds, peak))
    config = config_for(case_dir, bundle, residents)
    catalogue = case_dir / "catalogue"
    ledger = catalogue.with_name(f"{catalogue.name}.privacy-ledger.sqlite")
    subprocess.run(["rm", "-rf", str(catalogue), str(ledger)], check=True)
    subprocess.run(
        boroughkit(
            "ledger",
            "init",
            "--catalogue",
            str(catalogue),
            "--dataset",
            "scale-residents",
            "--rho",
            "100",
            "--by",
            "benchmark",
            "--reason",
            "scale benchmark",
        ),
        check=True,
        capture_output=True,
    )
    seconds, peak = measured(boroughkit("--quiet", "run", str(config), "--by", "benchmark"), log)
    rows.append((name, "run (5 levels, 8 categories)", seconds, peak))
    return rows


def _rows_in(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def main() -> None:
    """Run the cases and print the table with the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="borough,london,ew")
    parser.add_argument("--per-oa", type=int, default=50)
    parser.add_argument("--work", type=Path, default=Path("/tmp/boroughkit-scale"))
    parser.add_argument(
        "--reuse-residents",
        action="store_true",
        help="keep residents written by an earlier run (end to end then leaves them out)",
    )
    options = parser.parse_args()
    results = []
    for name in options.cases.split(","):
        started = time.perf_counter()
        case_rows = run_case(name, options.work, options.per_oa, options.reuse_residents)
        results.extend(case_rows)
        total = sum(row[2] for row in case_rows)
        peak = max(row[3] for row in case_rows)
        results.append((name, "end to end", total, peak))
        print(f"{name}: {time.perf_counter() - started:.0f} s", flush=True)
    print()
    print(f"{'case':<8} | {'stage':<42} | {'seconds':>8} | {'peak GiB':>8} | target")
    for name, stage, seconds, peak in results:
        target = ""
        if stage == "end to end" and name in TARGET_SECONDS:
            met = seconds < TARGET_SECONDS[name] and peak < TARGET_GIB
            target = f"< {TARGET_SECONDS[name]:.0f} s, < {TARGET_GIB:.0f} GiB: "
            target += "met" if met else "NOT met"
        print(f"{name:<8} | {stage:<42} | {seconds:8.1f} | {peak:8.2f} | {target}")


if __name__ == "__main__":
    main()
