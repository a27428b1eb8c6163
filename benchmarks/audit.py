"""Time the attack audit on a synthetic release of about a million cells.

The release uses the real geography of Barking and Dagenham (581 OAs, 115 LSOAs, 22 MSOAs,
19 wards, one borough; ``../shared/data/geo``): ~100 count tables of 4–20 categories plus a total
at every level, built from Census-sized OA populations, with the threshold rule applied. The
script prints, for each phase, the wall time and the peak resident memory:

1. the audit of primary suppression alone (it finds the recoverable cells),
2. secondary suppression (optional, ``--secondary``; slower: it audits repeatedly),
3. the audit of the protected release (every suppressed cell must be proved safe).

Run: ``python benchmarks/audit.py [--cells 1000000] [--workers 2] [--secondary]``.
"""

from __future__ import annotations

import argparse
import resource
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from boroughkit.disclosure.audit import audit_suppression
from boroughkit.disclosure.rules import RuleSettings, apply_rules
from boroughkit.disclosure.suppression import secondary_suppression
from boroughkit.disclosure.tables import TOTAL_CATEGORY, CellTable, build_relations

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "geo"
LEVELS = ("oa", "lsoa", "msoa", "ward", "borough")


def load_lookup() -> pd.DataFrame:
    """The real OA lookup, renamed to boroughkit's columns."""
    raw = pd.read_csv(DATA / "lookup_oa21_lsoa21_msoa21_wd22_lad22_lbbd.csv")
    return raw.rename(columns={"oa21cd": "oa_code", "lsoa21cd": "lsoa_code",
                               "msoa21cd": "msoa_code", "wd22cd": "ward_code",
                               "lad22cd": "borough_code", "usual_residents": "population"})


def synthetic_release(lookup: pd.DataFrame, target_cells: int, seed: int = 7) -> pd.DataFrame:
    """Count tables by area × category at every level, summing exactly from OA counts."""
    rng = np.random.default_rng(seed)
    n_areas = sum(lookup[f"{level}_code"].nunique() for level in LEVELS)
    frames, total = [], 0
    while total < target_cells:
        n_categories = int(rng.integers(3, 13))
        # A service reaching 5–60 % of residents, split unevenly over its categories.
        reached = rng.binomial(lookup["population"].to_numpy(), rng.uniform(0.2, 0.9))
        shares = rng.dirichlet(np.full(n_categories, 2.0))
        oa_counts = np.array([rng.multinomial(n, shares) for n in reached])
        names = [f"c{i:02d}" for i in range(n_categories)]
        counts = pd.DataFrame(oa_counts, columns=names)
        counts[TOTAL_CATEGORY] = oa_counts.sum(axis=1)
        for level in LEVELS:
            by_area = counts.groupby(lookup[f"{level}_code"].to_numpy()).sum()
            long = by_area.stack().rename("value").reset_index()
            long.columns = ["area_code", "category", "value"]
            frames.append(long.assign(table=f"t{len(frames) // len(LEVELS):03d}", level=level))
        total += n_areas * (n_categories + 1)
    return pd.concat(frames, ignore_index=True)


def measured(label: str, action: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``action``; print and return its wall time and the peak RSS reached (MiB)."""
    peak = [_rss_mib()]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _rss_mib())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    done.set()
    thread.join()
    peak[0] = max(peak[0], _rss_mib())
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{label:<44} {seconds:8.1f} s   peak RSS {peak[0]:7.0f} MiB"
          f" (workers' peak {children:.0f} MiB)", flush=True)
    return result, seconds, peak[0]


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    """Build the release, then time each phase."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--secondary", action="store_true",
                        help="also run secondary suppression and audit the protected release")
    args = parser.parse_args()
    settings = RuleSettings()
    lookup = load_lookup()
    frame, _, _ = measured("build synthetic release",
                           lambda: synthetic_release(lookup, args.cells))
    cells, _ = apply_rules(CellTable.from_frame(frame), settings)
    print(f"{len(cells):,} cells in {frame['table'].nunique()} tables,"
          f" {int(cells.suppressed.sum()):,} suppressed by the threshold rule")
    relations, _, _ = measured("build relations", lambda: build_relations(cells, lookup))
    print(f"{relations.matrix.shape[0]:,} relations, {relations.matrix.nnz:,} non-zeros")
    audit, _, _ = measured(
        f"audit, primary suppression only ({args.workers} workers)",
        lambda: audit_suppression(cells, lookup, settings, relations=relations,
                                  workers=args.workers))
    _report(audit.intervals)
    if args.secondary:
        result, _, _ = measured("secondary suppression",
                                lambda: secondary_suppression(cells, lookup, settings,
                                                              prune_limit=0,
                                                              workers=args.workers))
        print(f"  {result.check.summary}")
        protected = result.cells
        audit, _, _ = measured(
            f"audit, protected release ({args.workers} workers)",
            lambda: audit_suppression(protected, lookup, settings, relations=relations,
                                      workers=args.workers))
        _report(audit.intervals)


def _report(intervals: pd.DataFrame) -> None:
    methods = intervals["method"].value_counts().to_dict()
    print(f"  {len(intervals):,} suppressed cells, {int((~intervals['safe']).sum()):,} exposed;"
          f" decided by {methods}")


if __name__ == "__main__":
    main()
