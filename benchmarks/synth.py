"""Benchmark the synthesisers side by side on real and demo data, in one table, with targets.

Data: NIST's Massachusetts 2019 excerpt (``../shared/data/nist_crc``, PUMA as the area) and, when
``boroughkit.demo.generate_residents`` is available, demo residents of Barking and Dagenham (ward
as the area). Each data set is split 80/20 once (seed 0); every method is fitted on the 80 %,
samples as many rows, and is scored against it with the 20 % hold-out as ceiling and control.

Fidelity is SDNist 2.4's own 2-way k-marginal (``boroughkit.synth.evaluate.sdnist``; on ma2019
with NIST's data dictionary, elsewhere SDNist's rules on the declared numbers), size-matched: the
hold-out (20 %) against the training part is the ceiling, and the synthetic file is scored as the
mean over ``--draws`` samples of the hold-out's size, so both sides carry the same sampling noise.
``sdv_gaussian_copula`` is SDV's own GaussianCopula with its default settings and metadata
detected from the data (outside the declared schema, so only its k-marginal and time are shown).
DP methods are fitted ``--dp-repeats`` times (fresh noise each): scores are means, time and memory
the worst run.

Each (data set, method, repeat) runs in its own process so that peak memory (max RSS, imports
included) belongs to that method alone; ``cpu_s`` is its CPU time (the machine may be shared).

    python benchmarks/synth.py                         # every method, both data sets
    python benchmarks/synth.py --skip-slow             # without CTGAN, TVAE and AIM
    python benchmarks/synth.py --methods cart,dp_mst --datasets ma2019
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _synth_targets import combine, print_targets, target_rows

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
METHODS = ("cart", "gaussian_copula", "sdv_gaussian_copula", "ctgan", "tvae", "dp_mst", "dp_aim")
SLOW = ("ctgan", "tvae", "dp_aim")
DEMO_AGE_BINS = (0, 4, 11, 16, 17, 18, 25, 35, 45, 55, 65, 75, 85, 100)
OWNED = ["owned_outright", "owned_mortgage"]


def load_ma2019() -> tuple[Any, pd.DataFrame, str]:
    """The ma2019 schema and data; DPHY (walking difficulty) is the utility target."""
    from boroughkit.synth import schema_for_ma2019

    nist = DATA / "nist_crc"
    schema = schema_for_ma2019(nist / "data_dictionary.json", code_list_path=nist / "ma2019.json")
    return schema, pd.read_csv(nist / "ma2019.csv", na_values="N"), "DPHY"


def demo_rules() -> list[str]:
    """Structural rules of the demo residents (age bands and service eligibility)."""
    from boroughkit.demo.schema import AGE_BAND_LOWER_BOUNDS, AGE_BANDS, MAX_AGE

    uppers = [*AGE_BAND_LOWER_BOUNDS[1:], MAX_AGE + 1]
    rules = [
        f"when age >= {low} and age < {high} then age_band == {band!r}"
        for band, low, high in zip(AGE_BANDS, AGE_BAND_LOWER_BOUNDS, uppers, strict=True)
    ]
    return [
        *rules,
        "when age < 18 then council_tax_support == False",
        "when age < 18 then housing_benefit == False",
        f"when tenure in {OWNED} then housing_benefit == False",
        "when age < 4 then free_school_meals == False",
        "when age >= 17 then free_school_meals == False",
        "when age >= 18 then childrens_early_help == False",
        f"when tenure in {OWNED} then temporary_accommodation == False",
        f"when tenure in {OWNED} then rent_arrears_gbp == 0",
    ]


def load_demo(n: int) -> tuple[Any, pd.DataFrame, str] | None:
    """Demo residents (one row per person) at ward level, or None without the generator."""
    try:
        from boroughkit.demo import RESIDENT_SCHEMA, generate_residents
    except ImportError:
        return None
    from boroughkit.synth import count_violations, schema_from_dict, to_one_row_per_person

    lookup = pd.read_csv(DATA / "geo" / "lookup_oa21_lsoa21_msoa21_wd22_lad22_lbbd.csv")
    lookup = lookup.rename(columns={"oa21cd": "oa_code", "usual_residents": "population"})
    residents = generate_residents(lookup[["oa_code", "population"]], n, seed=1)
    ward_of = dict(zip(lookup["oa_code"], lookup["wd22cd"], strict=True))
    residents["ward_code"] = residents["oa_code"].astype(str).map(ward_of)
    spec = {**RESIDENT_SCHEMA, "ward_code": {"type": "string", "description": "2022 ward"}}
    flags = [name for name, entry in RESIDENT_SCHEMA.items() if entry["type"] == "boolean"]
    schema = schema_from_dict(
        spec,
        area_column="ward_code",
        areas=sorted(set(ward_of.values())),
        person_column="person_id",
        drop=["service"],
        quasi_identifiers=["ward_code", "age", "sex"],
        sensitive=flags,
        rules=demo_rules(),
        bins={
            "age": DEMO_AGE_BINS,
            "rent_arrears_gbp": (0, 0.01, 100, 500, 1000, 2500, 5000, 10000, 25000),
        },
        name="demo-residents",
    )
    people = to_one_row_per_person(residents, schema)
    broken = {
        rule: count for rule, count in count_violations(people, schema.rules).items() if count
    }
    if broken:
        raise SystemExit(f"demo residents break declared rules: {broken}")
    return schema, people, "council_tax_support"


def sdnist_scores(
    dataset: str,
    schema: Any,
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    draws: int,
) -> dict[str, float]:
    """SDNist's k-marginal: the hold-out, the synthetic file, and its hold-out-sized samples."""
    from boroughkit.synth.evaluate.sdnist import generic_rules, nist_rules, sdnist_kmarginal

    if dataset == "ma2019":
        dictionary = json.loads((DATA / "nist_crc" / "data_dictionary.json").read_text())
        rules = nist_rules(dictionary)
    else:
        numeric = [spec.name for spec in schema.synthesised if spec.is_numeric]
        rules = generic_rules(numeric, group_column=schema.area_column)
    # The synthesised columns only (no ids), as the synthesisers see them.
    train, holdout, synthetic = (frame[schema.names] for frame in (train, holdout, synthetic))
    samples = [
        synthetic.sample(n=len(holdout), random_state=draw).reset_index(drop=True)
        for draw in range(draws)
    ]
    sized = [sdnist_kmarginal(train, sample, rules=rules).score for sample in samples]
    return {
        "sdnist": float(np.mean(sized)),
        "sdnist_full": sdnist_kmarginal(train, synthetic, rules=rules).score,
        "ceiling": sdnist_kmarginal(train, holdout, rules=rules).score,
    }


def run_sdv_default(dataset: str, args: argparse.Namespace) -> dict[str, Any]:
    """SDV's own GaussianCopula, default settings, metadata detected from the training data."""
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer

    from boroughkit.synth.evaluate.report import split_holdout

    loaded = load_ma2019() if dataset == "ma2019" else load_demo(args.demo_n)
    assert loaded is not None
    schema, real, _ = loaded
    train, holdout = split_holdout(real, 0.2, seed=0)
    train = train[schema.names]
    start = time.perf_counter()
    model = GaussianCopulaSynthesizer(Metadata.detect_from_dataframes({"data": train}))
    model.fit({"data": train})
    fitted = time.perf_counter()
    synthetic = model.sample(num_rows=len(train))
    synthetic = next(iter(synthetic.values())) if isinstance(synthetic, dict) else synthetic
    sampled = time.perf_counter()
    return {
        "dataset": dataset,
        "method": "sdv_gaussian_copula",
        "fit_s": fitted - start,
        "sample_s": sampled - fitted,
        **_usage(),
        **sdnist_scores(dataset, schema, train, holdout, synthetic, args.draws),
    }


def _usage() -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"peak_mb": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime}


def run_one(dataset: str, method: str, args: argparse.Namespace) -> dict[str, Any]:
    """Fit, sample and score one method on one data set (in this process)."""
    from boroughkit.privacy.dp_budget import DPBudget
    from boroughkit.synth import make_synthesiser
    from boroughkit.synth.evaluate.gate import ExtractGate
    from boroughkit.synth.evaluate.html import write_html
    from boroughkit.synth.evaluate.report import evaluate_extract, split_holdout

    if method == "sdv_gaussian_copula":
        return run_sdv_default(dataset, args)
    loaded = load_ma2019() if dataset == "ma2019" else load_demo(args.demo_n)
    assert loaded is not None
    schema, real, target = loaded
    train, holdout = split_holdout(real, 0.2, seed=0)
    options: dict[str, Any] = {}
    if method.startswith("dp_"):
        # delta = 0 asks for pure ε-DP (Laplace noise); otherwise (ε, δ) met through zCDP.
        options["budget"] = DPBudget.epsilon_delta(args.epsilon, args.delta)
    else:
        options["seed"] = args.seed
    if method in ("ctgan", "tvae"):
        options["epochs"] = args.epochs
    start = time.perf_counter()
    synthesiser = make_synthesiser(method, schema, **options).fit(train)
    fitted = time.perf_counter()
    synthetic = synthesiser.sample(len(train))
    sampled = time.perf_counter()
    usage = _usage()
    evaluation = evaluate_extract(
        train,
        holdout,
        synthetic,
        schema,
        method=method,
        target=target,
        synthesiser=synthesiser.describe(),
    )
    checks = ExtractGate().check(evaluation)
    if args.html_dir:
        folder = Path(args.html_dir)
        folder.mkdir(parents=True, exist_ok=True)
        write_html(evaluation, folder / f"{dataset}-{method}.html", checks)
    summary = evaluation.to_dict()
    informative = [a for a in evaluation.attacks if a.informative]
    return {
        "dataset": dataset,
        "method": method,
        "fit_s": fitted - start,
        "sample_s": sampled - fitted,
        **usage,
        **sdnist_scores(dataset, schema, train, holdout, synthetic, args.draws),
        "own_kmarginal": summary["kmarginal"]["synthetic"],
        "own_ceiling": summary["kmarginal"]["holdout_ceiling"],
        "shapes": summary["sdmetrics"]["column_shapes"],
        "pairs": summary["sdmetrics"]["column_pair_trends"],
        "auc_synth": summary["utility"]["synthetic_auc"],
        "auc_real": summary["utility"]["real_auc"],
        "exact_all": summary["exact_matches"]["all_columns"]["share"],
        "copied": summary["exact_matches"]["all_columns"]["matched"],
        "exact_same": evaluation.exact_like_for_like[0],
        "exact_base": evaluation.exact_like_for_like[1],
        "exact_qi": (summary["exact_matches"]["quasi_identifiers"] or {}).get("share", 0.0),
        "dcr_synth": summary["dcr"]["synthetic_median"],
        "dcr_holdout": summary["dcr"]["holdout_median"],
        "linkage_adv": evaluation.attacks[0].advantage if evaluation.attacks else 0.0,
        "max_adv": max((a.advantage for a in informative), default=0.0),
        "max_adv_high": max((a.advantage_interval[1] for a in informative), default=0.0),
        "violations": sum(summary["rule_violations"].values()),
        "gate": "pass"
        if all(c.passed for c in checks)
        else "fail:" + ",".join(c.id.removeprefix("synthetic-") for c in checks if not c.passed),
    }


COLUMNS = [
    ("dataset", "{}"),
    ("method", "{}"),
    ("fit_s", "{:.1f}"),
    ("sample_s", "{:.1f}"),
    ("cpu_s", "{:.1f}"),
    ("peak_mb", "{:.0f}"),
    ("sdnist", "{:.1f}"),
    ("ceiling", "{:.1f}"),
    ("ratio", "{:.3f}"),
    ("sdnist_full", "{:.1f}"),
    ("own_kmarginal", "{:.1f}"),
    ("own_ceiling", "{:.1f}"),
    ("shapes", "{:.3f}"),
    ("pairs", "{:.3f}"),
    ("auc_synth", "{:.3f}"),
    ("auc_real", "{:.3f}"),
    ("exact_all", "{:.4%}"),
    ("copied", "{}"),
    ("exact_same", "{:.4%}"),
    ("exact_base", "{:.4%}"),
    ("exact_qi", "{:.2%}"),
    ("dcr_synth", "{:.3f}"),
    ("dcr_holdout", "{:.3f}"),
    ("linkage_adv", "{:.3f}"),
    ("max_adv", "{:.3f}"),
    ("max_adv_high", "{:.3f}"),
    ("violations", "{}"),
    ("gate", "{}"),
]


def _cell(row: dict[str, Any], key: str, fmt: str) -> str:
    value = row.get(key)
    if key == "ratio":
        value = row["sdnist"] / row["ceiling"]
    return "-" if value is None else fmt.format(value)


def print_table(rows: list[dict[str, Any]]) -> None:
    """One line per (data set, method), every measure side by side."""
    cells = [[_cell(row, key, fmt) for key, fmt in COLUMNS] for row in rows]
    widths = [max(len(key), *(len(r[i]) for r in cells)) for i, (key, _) in enumerate(COLUMNS)]
    print("  ".join(key.rjust(w) for (key, _), w in zip(COLUMNS, widths, strict=True)))
    for r in cells:
        print("  ".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True)))


def main() -> None:
    """Parse options, run every (data set, method) in a child process, print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated methods")
    parser.add_argument("--datasets", default="ma2019,demo", help="ma2019 and/or demo")
    parser.add_argument("--skip-slow", action="store_true", help="leave out " + ", ".join(SLOW))
    parser.add_argument("--epsilon", type=float, default=1.0, help="DP budget (default 1)")
    parser.add_argument("--delta", type=float, default=1e-9, help="DP delta; 0 for pure ε-DP")
    parser.add_argument("--epochs", type=int, default=300, help="CTGAN/TVAE epochs")
    parser.add_argument("--seed", type=int, default=0, help="seed of the non-DP methods")
    parser.add_argument("--demo-n", type=int, default=20000, help="demo residents to generate")
    parser.add_argument("--html-dir", default="", help="write one HTML report per run here")
    parser.add_argument("--draws", type=int, default=5, help="hold-out-sized synthetic samples")
    parser.add_argument("--dp-repeats", type=int, default=3, help="fits of each DP method")
    parser.add_argument("--worker", nargs=2, metavar=("DATASET", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_one(args.worker[0], args.worker[1], args)))
        return
    methods = [m for m in args.methods.split(",") if m and not (args.skip_slow and m in SLOW)]
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        parser.error(f"unknown methods {unknown}; choose from {', '.join(METHODS)}")
    rows = []
    for dataset in args.datasets.split(","):
        if dataset == "demo" and load_demo(100) is None:
            print("demo residents generator not available: skipping the demo data set")
            continue
        for method in methods:
            repeats = args.dp_repeats if method.startswith("dp_") else 1
            runs = [run_worker(dataset, method) for _ in range(repeats)]
            done = [run for run in runs if run is not None]
            if done:
                rows.append(combine(done))
                print(f"done {dataset}/{method}", file=sys.stderr)
    print_table(rows)
    for dataset in dict.fromkeys(row["dataset"] for row in rows):
        print(f"\nTargets on {dataset} (SDNist k-marginal, size-matched hold-out as ceiling):")
        print_targets(target_rows([row for row in rows if row["dataset"] == dataset]))


def run_worker(dataset: str, method: str) -> dict[str, Any] | None:
    """One (data set, method) run in a child process; None (and its error shown) on failure."""
    forwarded = [a for a in sys.argv[1:] if not a.startswith("--worker")]
    command = [sys.executable, __file__, *forwarded, "--worker", dataset, method]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        print(f"{dataset}/{method} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    main()
