"""The engines of ``benchmarks/dp_tables.py``, each run in its own process (see that script).

Every worker reads its options from the command line of ``dp_tables.py --worker``, does its
set-up before the clock starts, and returns a JSON-friendly dict: ``seconds``, per level the
released ``codes``, ``services``, ``counts`` and ``noise_sd``, and whatever else it knows.

Levels get the ρ split of the pipeline's default (``default_level_split``: 6, 3, 1 for OA, ward
and borough); every engine uses it, so each level's noise scale is the same in every engine.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd

from boroughkit.anonymise.consistency import default_level_split
from boroughkit.demo.schema import SERVICES
from boroughkit.geography import GeographyBundle, open_bundle

#: Levels of the benchmark tables, finest first.
LEVELS = ("oa", "ward", "borough")


def level_split() -> dict[str, Fraction]:
    """Each level's share of the table's ρ: the pipeline's default split."""
    return default_level_split(LEVELS)


def level_weights() -> dict[str, int]:
    """The same split as whole-number weights (for the config and OpenDP's split_by_weights)."""
    split = level_split()
    common = math.lcm(*(share.denominator for share in split.values()))
    return {level: int(share * common) for level, share in split.items()}


def level_result(codes: Any, services: Any, counts: Any, noise_sd: float) -> dict[str, Any]:
    """One level's released cells in a JSON-friendly shape."""
    return {
        "codes": [str(c) for c in codes],
        "services": [str(s) for s in services],
        "counts": [int(c) for c in counts],
        "noise_sd": float(noise_sd),
    }


@contextmanager
def fixed_salt(salt: int) -> Iterator[None]:
    """Make boroughkit's contribution bound draw ``salt`` instead of a fresh random one.

    Only so that the rows handed to OpenDP are exactly the ones boroughkit keeps; a release
    draws a new salt every run (``boroughkit.anonymise.aggregate``).
    """
    with mock.patch("boroughkit.anonymise.aggregate.secrets.randbits", return_value=salt):
        yield


@contextmanager
def _noise_off(off: bool) -> Iterator[None]:
    """With ``off``, the pipeline's noise adds nothing (its ρ is capped at 100, too little for
    noise that rounds to zero at every level): its output is then its counts before noise."""
    if not off:
        yield
        return
    with mock.patch(
        "boroughkit.anonymise.dp_tables.add_discrete_gaussian",
        side_effect=lambda values, sigma: np.asarray(values, dtype=np.int64),
    ):
        yield


def end_to_end(args: Any) -> dict[str, Any]:
    """boroughkit from a config YAML to published files (plan, read, noise, consistency)."""
    import yaml

    from boroughkit import build_plan, load_config, run_pipeline
    from boroughkit.pipeline.ledgering import register_dataset
    from boroughkit.privacy.budget import Rho

    with tempfile.TemporaryDirectory(prefix="bk-bench-release-", dir=args.data_dir) as folder:
        config = {
            "name": "benchmark-services",
            "source": {
                "path": str(args.data),
                "dataset": "benchmark-residents",
                "privacy_unit": "person_id",
                "household": "uprn",
                "columns": {"service": {"type": "category", "values": list(SERVICES)}},
            },
            "geography": {"boundaries": str(args.geography), "geocode": {"oa": "oa_code"}},
            "release": {
                "method": "dp-tables",
                "budget": {"rho": args.rho},
                "tables": [
                    {
                        "name": "residents_by_service",
                        "count_by": ["service"],
                        "levels": list(LEVELS),
                        "level_split": level_weights(),
                        "max_categories_per_person": args.max_cells,
                    }
                ],
            },
            "publish": {
                "to": str(Path(folder) / "catalogue"),
                # Required for any real geography; the values are the benchmark's own.
                "publisher": {"organisation": "Benchmark", "contact": "benchmark@example.org"},
                "governance": {
                    "dpia_reference": "BENCHMARK",
                    "legal_basis": "benchmark of synthetic demo residents",
                    "data_controller": "Benchmark",
                },
            },
        }
        if not str(args.geography).startswith("builtin:"):
            # A lookup-only bundle has no public populations for the area-size check.
            config["disclosure"] = {
                "min_area_population": 0,
                "min_area_population_reason": "benchmark of synthetic residents; the bundle "
                "has no population figures",
            }
        path = Path(folder) / "benchmark.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        register_dataset(
            Path(folder) / "catalogue",
            "benchmark-residents",
            lifetime=Rho.parse(Fraction(max(1000, 2 * math.ceil(args.rho)))),
            by="Benchmark",
            reason="benchmark releases of synthetic demo residents",
        )
        with fixed_salt(args.salt), _noise_off(args.zero_noise):
            started = time.perf_counter()
            run_pipeline(build_plan(load_config(path)))
            seconds = time.perf_counter() - started
        levels = {}
        for level in LEVELS:
            published = next((Path(folder) / "catalogue").rglob(f"*_{level}.parquet"))
            frame = pd.read_parquet(published)
            frame = frame[frame["service"] != "Total"]
            levels[level] = level_result(
                frame["area_code"], frame["service"], frame["count"], frame["noise_sd"].median()
            )
    return {"seconds": seconds, "levels": levels}


def aggregate(args: Any, bundle: GeographyBundle) -> Any:
    """boroughkit's streaming aggregation of the benchmark file (bounded contributions)."""
    from boroughkit.anonymise.aggregate import aggregate_oa_cells

    with fixed_salt(args.salt):
        return aggregate_oa_cells(
            args.data,
            "parquet",
            person="person_id",
            oa_column="oa_code",
            categories=[("service", SERVICES)],
            max_cells=args.max_cells,
            oa_codes=bundle.areas("oa")["code"].tolist(),
            oa_code_pattern=bundle.info.oa_code_pattern,
            memory_limit=args.memory_limit,
            threads=args.threads,
            spill_dir=args.data_dir,
        )


def core(args: Any) -> dict[str, Any]:
    """boroughkit's aggregation and OpenDP noise per level, nothing written.

    Also returns each level's counts before noise (``exact``): the reference every engine's
    zero-noise release is checked against.
    """
    from boroughkit.anonymise.counts import roll_up
    from boroughkit.privacy.opendp_adapter import add_discrete_gaussian, calibrated_sigma

    bundle = open_bundle(args.geography)
    oa_codes = bundle.areas("oa")["code"]
    indexes = {
        level: pd.Index(bundle.areas(level)["code"]).get_indexer(
            oa_codes.map(bundle.oa_to_level(level))
        )
        for level in LEVELS
    }
    started = time.perf_counter()
    result = aggregate(args, bundle)
    levels, exact = {}, {}
    for level, share in level_split().items():
        codes = bundle.areas(level)["code"]
        counts = roll_up(result.counts, indexes[level], len(codes))
        sigma = calibrated_sigma(Fraction(str(args.rho)) * share, args.max_cells)
        noisy = add_discrete_gaussian(counts, sigma)
        cell_codes, cell_services = np.repeat(codes, len(SERVICES)), list(SERVICES) * len(codes)
        levels[level] = level_result(cell_codes, cell_services, noisy.ravel(), sigma)
        exact[level] = level_result(cell_codes, cell_services, counts.ravel(), 0.0)
    seconds = time.perf_counter() - started
    bound = {"contributions": result.contributions, "kept": result.kept_contributions}
    return {"seconds": seconds, "levels": levels, "exact": exact, "bound": bound}
