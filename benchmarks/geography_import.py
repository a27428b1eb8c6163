"""Time and peak memory of `boroughkit geography import` at three scales, from the real ONS lookup.

Each import runs in a fresh process (the real command line), so its peak memory is its own:

    python benchmarks/geography_import.py [--work FOLDER]

prints one row per scale (one borough, the 33 London boroughs, every borough of England and
Wales) with the OAs, boroughs and repairs of the bundle, wall and CPU seconds and the peak resident
memory, against the targets: England and Wales in under a minute and under 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
LOOKUP = REPO.parent / "shared" / "data" / "geo" / "lookup_oa21_lsoa21_msoa21_wd22_lad22_ew.csv.gz"
SCALES = {
    "one borough (Barking and Dagenham)": ["E09000002"],
    "London (33 boroughs)": [f"E09{number:06d}" for number in range(1, 34)],
    "England and Wales (331 boroughs)": [],
}
TARGET_SECONDS, TARGET_GIB = 60.0, 1.0


def _import(boroughs: list[str], out: Path) -> dict[str, float]:
    """Run one import in a child process; its wall time, CPU time and peak memory."""
    command = [sys.executable, "-m", "boroughkit.cli", "geography", "import"]
    command += ["--lookup", str(LOOKUP), "--out", str(out)]
    for code in boroughs:
        command += ["--borough", code]
    script = (
        "import resource, subprocess, sys, time, json\n"
        "start = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
        "used = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'wall': time.perf_counter() - start, 'cpu': used.ru_utime + "
        "used.ru_stime, 'peak_kib': used.ru_maxrss}))\n"
    )  # a wrapper per import, so that each peak is one import's alone
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script, *command],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(done.stdout)


def main() -> None:
    """Import at each scale and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=None, help="folder for the bundles")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="geo-import-"))
    print(f"lookup {LOOKUP.name}; bundles in {work}; load average {os.getloadavg()[0]:.1f}")
    header = f"{'scale':<36} {'OAs':>8} {'boroughs':>8} {'repairs':>7} {'wall s':>7} "
    print(header + f"{'CPU s':>6} {'peak GiB':>8}  target met")
    for label, boroughs in SCALES.items():
        out = work / label.split(" ")[0].lower()
        figures = _import(boroughs, out)
        info = json.loads((out / "bundle.json").read_text())["info"]
        lookup = pd.read_parquet(out / "lookup.parquet", columns=["oa_code", "borough_code"])
        peak = figures["peak_kib"] / 2**20
        met = figures["wall"] < TARGET_SECONDS and peak < TARGET_GIB
        print(
            f"{label:<36} {len(lookup):>8,} {lookup['borough_code'].nunique():>8} "
            f"{len(info.get('lookup_repairs', [])):>7} {figures['wall']:>7.1f} "
            f"{figures['cpu']:>6.1f} {peak:>8.2f}  {'yes' if met else 'NO'}"
        )


if __name__ == "__main__":
    main()
