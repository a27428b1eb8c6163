"""Accuracy of consistent DP tables across levels, against spending the budget at one level.

A table of 8 categories (about 330 people per OA: two common, four middling, two rare, so many
small cells and some zeros) is released R times at ``rho`` (default 0.5) on the demo borough
(600 OAs, 120 LSOAs, 25 MSOAs, 20 wards) or on Barking and Dagenham's real lookup (``--lbbd``,
581 OAs from ``../shared/data/geo``). Noise is simulated exactly (discrete Gaussian, not seeded).

Baselines, on the same truth in the same run:

- *raw, whole budget at the level*: the noisy counts of that level alone with all of ``rho``
  (no post-processing: integers, possibly negative, not consistent with other levels);
- *raw OA summed*: the noisy OA counts with all of ``rho`` at OA, summed to the level (the
  consistent answer without any coarser measurement).

Printed per level: MAE of boroughkit and of both baselines, boroughkit's ratio to the summed
baseline, the largest inconsistency found (children vs parent, categories vs total), negative
cells, mean error of cells with true count >= 10, coverage of ``moe95`` (true count >= 1, and
true zeros), the mean published ``moe95`` against the :func:`expected_moe95` preview. Then the
bias non-negativity adds to small OA cells by true count, and the OA/ward/borough trade-off of
other budget splits.

``--london`` uses the 33 London boroughs imported from the England and Wales lookup (26,369
OAs, with the region), the national-scale check of ``moe95`` coverage.

Run: ``python benchmarks/consistency_accuracy.py [--repetitions 200] [--rho 0.5]
[--levels oa,ward,borough] [--lbbd | --london]``.
"""

from __future__ import annotations

import argparse
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from boroughkit.anonymise.consistency import (
    LevelMeasurement,
    default_level_split,
    expected_moe95,
    reconcile,
)
from boroughkit.privacy.opendp_adapter import calibrated_level_sigmas

GEO = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "geo"
SHARES = np.array([0.40, 0.22, 0.15, 0.10, 0.06, 0.04, 0.02, 0.01])
BUCKETS = ((0, 1), (1, 2), (2, 3), (3, 5), (5, 10), (10, 20), (20, 10**9))


def demo_lookup() -> pd.DataFrame:
    """The built-in demo borough's lookup."""
    from boroughkit.geography import build_demo_bundle

    return build_demo_bundle().lookup


def lbbd_lookup() -> pd.DataFrame:
    """Barking and Dagenham's OA lookup, renamed to the bundle's columns."""
    raw = pd.read_csv(GEO / "lookup_oa21_lsoa21_msoa21_wd22_lad22_lbbd.csv")
    renamed = {"oa21cd": "oa_code", "lsoa21cd": "lsoa_code", "msoa21cd": "msoa_code"}
    renamed |= {"wd22cd": "ward_code", "lad22cd": "borough_code", "usual_residents": "population"}
    return raw.rename(columns=renamed)


def london_lookup() -> pd.DataFrame:
    """The 33 London boroughs from the England and Wales lookup, imported as boroughkit does
    (ward gaps and wards across boroughs repaired by the importer's rules), with their region."""
    import tempfile

    from boroughkit.geography import open_bundle
    from boroughkit.geography.importer import import_bundle

    boroughs = [f"E090000{n:02d}" for n in range(1, 34)]
    with tempfile.TemporaryDirectory() as folder:
        import_bundle(
            GEO / "lookup_oa21_lsoa21_msoa21_wd22_lad22_ew.csv.gz",
            Path(folder) / "london",
            boroughs=boroughs,
        )
        lookup = open_bundle(Path(folder) / "london").lookup.copy()
    lookup["population"] = 330  # the E&W lookup has no population: a demo-like table
    return lookup


def true_counts(lookup: pd.DataFrame) -> np.ndarray:
    """A fixed table: each OA's population split over 8 categories with local variation."""
    rng = np.random.default_rng(330)  # a fixed input, not noise
    people = pd.to_numeric(lookup["population"]).fillna(330).to_numpy().astype(int)
    shares = rng.dirichlet(SHARES * 30, size=len(lookup))
    return np.array([rng.multinomial(n, p) for n, p in zip(people, shares, strict=True)])


def discrete_gaussian(rng: np.random.Generator, sigma: float, shape: tuple[int, ...]) -> np.ndarray:
    """Exact discrete Gaussian draws: the benchmark's stand-in for OpenDP's sampler."""
    support = np.arange(-int(12 * sigma) - 1, int(12 * sigma) + 2)
    weights = np.exp(-(support**2) / (2 * sigma**2))
    return rng.choice(support, size=shape, p=weights / weights.sum())


class Level:
    """Codes, truth and OA→area index of one level."""

    def __init__(self, lookup: pd.DataFrame, counts: np.ndarray, level: str) -> None:
        index, codes = pd.factorize(lookup[f"{level}_code"].astype(str), sort=True)
        self.codes = [str(code) for code in codes]
        self.of_oa = index
        self.truth = self.sum_oas(counts)

    def sum_oas(self, oa_values: np.ndarray) -> np.ndarray:
        """OA values (OAs × columns) summed into this level's areas."""
        summed = np.zeros((len(self.codes), oa_values.shape[1]), dtype=oa_values.dtype)
        np.add.at(summed, self.of_oa, oa_values)
        return summed


Results = dict[str, dict[str, list[Any]]]


def run(
    lookup: pd.DataFrame,
    counts: np.ndarray,
    levels: tuple[str, ...],
    split: dict[str, Fraction],
    rho: Fraction,
    repetitions: int,
    rng: np.random.Generator,
) -> tuple[Results, float]:
    """Repeated releases; per level the arrays needed for the table, and seconds per release."""
    sigmas = calibrated_level_sigmas(split, rho)
    full = calibrated_level_sigmas({"oa": Fraction(1)}, rho)["oa"]
    meta = {level: Level(lookup, counts, level) for level in set(levels) | {"oa"}}
    keys = ("err", "hit", "moe", "raw", "summed", "gap")
    out: Results = {level: {key: [] for key in keys} for level in levels}
    seconds = 0.0
    for _ in range(repetitions):
        measurements = [
            LevelMeasurement(
                lv,
                meta[lv].codes,
                meta[lv].truth + discrete_gaussian(rng, sigmas[lv], meta[lv].truth.shape),
                sigmas[lv],
            )
            for lv in levels
        ]
        start = time.perf_counter()
        released = reconcile(lookup, measurements, rng)
        seconds += time.perf_counter() - start
        raw_oa = meta["oa"].truth + discrete_gaussian(rng, full, meta["oa"].truth.shape)
        finest = released[levels[0]].values if levels[0] == "oa" else None
        for level, result in released.items():
            info, cells = meta[level], out[level]
            cells["err"].append(result.values - info.truth)
            cells["hit"].append(np.abs(result.values - info.truth) <= result.moe95)
            cells["moe"].append(result.moe95)
            cells["raw"].append(np.abs(discrete_gaussian(rng, full, info.truth.shape)).mean())
            cells["summed"].append(np.abs(info.sum_oas(raw_oa) - info.truth).mean())
            gap = np.abs(result.total - result.values.sum(axis=1)).max()
            # Every level adds up to the same borough-wide category totals.
            grand = released[levels[0]].values.sum(axis=0)
            gap = max(gap, np.abs(result.values.sum(axis=0) - grand).max())
            if finest is not None:
                gap = max(gap, np.abs(info.sum_oas(finest) - result.values).max())
            cells["gap"].append(gap)
    return out, seconds / repetitions


def print_levels(
    out: Results,
    meta_truth: dict[str, np.ndarray],
    preview: dict[str, float],
    levels: tuple[str, ...],
) -> None:
    """The per-level table."""
    print(
        f"{'level':8} {'MAE':>6} {'raw@lvl':>8} {'rawOA+':>8} {'ratio':>6} {'max|sum|':>8} "
        f"{'neg':>4} {'bias>=10':>9} {'cov>=1':>7} {'cov=0':>7} {'moe':>6} {'preview':>7}"
    )
    for level in levels:
        cells = out[level]
        error, hit = np.array(cells["err"]), np.array(cells["hit"])
        truth = np.broadcast_to(meta_truth[level], error.shape)
        mae = np.abs(error).mean()
        summed = np.mean(cells["summed"])
        zero = hit[truth == 0].mean() if (truth == 0).any() else float("nan")
        large = truth >= 10
        negatives = int(((error + truth) < 0).sum())
        moe = np.array(cells["moe"])[truth >= 10].mean() if large.any() else float("nan")
        print(
            f"{level:8} {mae:6.3f} {np.mean(cells['raw']):8.3f} {summed:8.3f} "
            f"{mae / summed:6.3f} {max(cells['gap']):8d} {negatives:4d} "
            f"{error[large].mean():+9.4f} {hit[truth >= 1].mean():7.4f} {zero:7.4f} "
            f"{moe:6.2f} {preview[level]:7.2f}"
        )


def print_small_cells(out: dict[str, list[Any]], truth: np.ndarray) -> None:
    """Bias, MAE and coverage of OA cells by true count."""
    error, hit = np.array(out["err"]), np.array(out["hit"])
    print("\nOA cells by true count: bias (mean error) non-negativity adds, MAE, coverage")
    print(f"{'true':>9} {'cells':>6} {'bias':>7} {'MAE':>6} {'cover':>6}")
    for low, high in BUCKETS:
        chosen = (truth >= low) & (truth < high)
        if chosen.any():
            label = f"{low}" if high == low + 1 else f"{low}-{min(high - 1, 999)}"
            print(
                f"{label:>9} {chosen.sum():6d} {error[:, chosen].mean():+7.3f} "
                f"{np.abs(error[:, chosen]).mean():6.3f} {hit[:, chosen].mean():6.3f}"
            )


def main() -> None:
    """Parse the options, run the releases, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=200)
    parser.add_argument("--rho", type=Fraction, default=Fraction(1, 2))
    parser.add_argument("--levels", default="oa,ward,borough")
    parser.add_argument("--lbbd", action="store_true", help="use Barking and Dagenham's lookup")
    parser.add_argument(
        "--london", action="store_true", help="use the 33 London boroughs (26,369 OAs)"
    )
    args = parser.parse_args()
    lookup = london_lookup() if args.london else lbbd_lookup() if args.lbbd else demo_lookup()
    name = (
        "London (33 boroughs)" if args.london else "LBBD borough" if args.lbbd else "demo borough"
    )
    counts = true_counts(lookup)
    levels = tuple(
        lv
        for lv in ("oa", "lsoa", "msoa", "ward", "borough", "region")
        if lv in args.levels.split(",")
    )
    split = default_level_split(levels)
    rng = np.random.default_rng()
    print(
        f"{name}: {len(lookup)} OAs; 8 categories; "
        f"{(counts < 10).mean():.0%} of OA cells < 10, {(counts == 0).mean():.0%} zero"
    )
    print(
        f"rho = {args.rho}, split {', '.join(f'{k} {v}' for k, v in split.items())}, "
        f"{args.repetitions} releases"
    )
    out, seconds = run(lookup, counts, levels, split, args.rho, args.repetitions, rng)
    truth = {lv: Level(lookup, counts, lv).truth for lv in levels}
    print(f"reconcile: {seconds * 1000:.0f} ms per release\n")
    print_levels(
        out, truth, expected_moe95(lookup, calibrated_level_sigmas(split, args.rho)), levels
    )
    print(
        "raw@lvl: raw counts, whole budget at that level; rawOA+: raw OA counts, whole budget "
        "at OA, summed; ratio = MAE / rawOA+; moe: mean moe95 of cells >= 10"
    )
    if "oa" in levels:
        print_small_cells(out["oa"], truth["oa"])
    if levels == ("oa", "ward", "borough"):
        print("\nOther splits (oa, ward, borough): MAE ratios; OA vs raw OA, others vs rawOA+")
        for shares in ((1, 0, 0), (9, 1, 0), (8, 3, 1), (7, 3, 1), (6, 3, 1), (5, 4, 1)):
            chosen = {
                lv: Fraction(w, sum(shares)) for lv, w in zip(levels, shares, strict=True) if w
            }
            frontier, _ = run(
                lookup, counts, tuple(chosen), chosen, args.rho, max(args.repetitions // 4, 10), rng
            )
            ratios = []
            for lv in levels:
                if lv not in frontier:
                    ratios.append("     -")
                    continue
                mae = np.abs(np.array(frontier[lv]["err"])).mean()
                base = np.mean(frontier[lv]["raw" if lv == "oa" else "summed"])
                ratios.append(f"{mae / base:6.3f}")
            print(f"  {':'.join(map(str, shares)):>7}  " + "  ".join(ratios))


if __name__ == "__main__":
    main()
