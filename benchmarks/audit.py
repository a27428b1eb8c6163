"""Time the attack audit on a synthetic release of about a million cells.

The release uses the real geography of Barking and Dagenham (581 OAs, 115 LSOAs, 22 MSOAs,
19 wards, one borough; ``../shared/data/geo``): count tables of 3–12 categories plus a total at
every level, built from Census-sized OA populations. A few distinct tables get the threshold
rule and secondary suppression; copies of them (under other table names, so each is audited
on its own) make up the million cells. The script prints, per phase, wall time and peak
resident memory:

1. secondary suppression of the distinct tables,
2. the audit of the protected million-cell release (what the gate runs before publishing),
3. with ``--primary``, the audit of the same release with primary suppression only (it finds
   every recoverable cell; slower, since exposed cells need LP proofs).

Run: ``python benchmarks/audit.py [--cells 1000000] [--distinct 3] [--workers 2] [--primary]``.
"""

from __future__ import annotations

import argparse
import math
import resource
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from boroughkit.disclosure.audit import AuditResult, audit_suppression
from boroughkit.disclosure.rules import RuleSettings, apply_rules
from boroughkit.disclosure.suppression import secondary_suppression
from boroughkit.disclosure.tables import TOTAL_CATEGORY, CellTable
from boroughkit.geography.lookup_reader import DEFAULT_LOOKUP_COLUMNS

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "geo"
LEVELS = ("oa", "lsoa", "msoa", "ward", "borough")


def load_lookup() -> pd.DataFrame:
    """The real OA lookup, renamed to boroughkit's columns."""
    raw = pd.read_csv(DATA / "lookup_oa21_lsoa21_msoa21_wd22_lad22_lbbd.csv")
    return raw.rename(columns={ons: ours for ours, ons in DEFAULT_LOOKUP_COLUMNS.items()})


def synthetic_tables(lookup: pd.DataFrame, n_tables: int, seed: int = 7) -> pd.DataFrame:
    """Count tables by area × category at every level, summing exactly from OA counts."""
    rng = np.random.default_rng(seed)  # fixed benchmark data, not privacy noise
    frames = []
    for number in range(n_tables):
        n_categories = int(rng.integers(3, 13))
        # A service reaching 20–90 % of residents, split unevenly over its categories.
        reached = rng.binomial(lookup["population"].to_numpy(), rng.uniform(0.2, 0.9))
        shares = rng.dirichlet(np.full(n_categories, 2.0))
        counts = pd.DataFrame(
            [rng.multinomial(n, shares) for n in reached],
            columns=[f"c{i:02d}" for i in range(n_categories)],
        )
        counts[TOTAL_CATEGORY] = counts.sum(axis=1)
        for level in LEVELS:
            long = counts.groupby(lookup[f"{level}_code"].to_numpy()).sum().stack()
            long = long.reset_index()
            long.columns = ["area_code", "category", "value"]
            frames.append(long.assign(table=f"t{number:02d}", level=level))
    return pd.concat(frames, ignore_index=True)


def replicate(cells: CellTable, target_cells: int) -> CellTable:
    """Copies of every table under new names until the release has ``target_cells`` cells."""
    copies = math.ceil(target_cells / len(cells))
    frames = [
        cells.frame.assign(table=cells.frame["table"] + f"_copy{copy:03d}")
        for copy in range(copies)
    ]
    return CellTable.from_frame(pd.concat(frames, ignore_index=True))


def measured(label: str, action: Callable[[], Any]) -> Any:
    """Run ``action``; print its wall time and the peak RSS reached (MiB)."""
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
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"{label:<52} {seconds:8.1f} s   peak RSS {max(peak[0], _rss_mib()):6.0f} MiB"
        f" (largest worker {children:.0f} MiB)",
        flush=True,
    )
    return result


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _report(audit: AuditResult) -> None:
    intervals = audit.intervals
    methods = intervals["method"].value_counts().to_dict()
    print(
        f"    {len(intervals):,} suppressed cells, {int((~intervals['safe']).sum()):,}"
        f" exposed; decided by {methods}",
        flush=True,
    )


def main() -> None:
    """Build the release, then time each phase."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cells", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=3, help="distinct tables to protect")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--primary",
        action="store_true",
        help="also audit the release with primary suppression only",
    )
    args = parser.parse_args()
    settings = RuleSettings()
    lookup = load_lookup()
    primary, _ = apply_rules(
        CellTable.from_frame(synthetic_tables(lookup, args.distinct)), settings
    )
    print(
        f"{args.distinct} distinct tables, {len(primary):,} cells,"
        f" {int(primary.suppressed.sum()):,} suppressed by the threshold rule",
        flush=True,
    )
    result = measured(
        f"secondary suppression ({args.workers} workers)",
        lambda: secondary_suppression(
            primary, lookup, settings, prune_limit=0, workers=args.workers
        ),
    )
    print(f"    {result.check.summary}", flush=True)
    release = replicate(result.cells, args.cells)
    print(
        f"release: {len(release):,} cells in {release.frame['table'].nunique()} tables,"
        f" {int(release.suppressed.sum()):,} suppressed",
        flush=True,
    )
    audit = measured(
        f"audit of the protected release ({args.workers} workers)",
        lambda: audit_suppression(release, lookup, settings, workers=args.workers),
    )
    _report(audit)
    if args.primary:
        exposed = replicate(primary, args.cells)
        audit = measured(
            f"audit, primary suppression only ({args.workers} workers)",
            lambda: audit_suppression(exposed, lookup, settings, workers=args.workers),
        )
        _report(audit)


if __name__ == "__main__":
    main()
