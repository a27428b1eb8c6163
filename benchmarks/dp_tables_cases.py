"""The inputs of ``benchmarks/dp_tables.py``: the demo borough and the 33 London boroughs.

London is a multi-borough bundle built with ``boroughkit geography import --borough`` (repeated
for E09000001 to E09000033) from the England and Wales lookup in ``../shared/data/geo``, without
boundaries (a lookup-only bundle), and demo residents generated for it with ``boroughkit demo
residents``. The E&W lookup has 15 Output Areas without a ward code (one in London: E00019599,
Richmond upon Thames), which the importer refuses; they are left out of the lookup written for
the import, and the benchmark says how many it left out.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from _data import ensure_data
from dp_tables_workers import LEVELS

from boroughkit.demo.schema import SERVICES
from boroughkit.geography import open_bundle

REPO = Path(__file__).resolve().parents[1]
EW_LOOKUP = (
    REPO.parent / "shared" / "data" / "geo" / "lookup_oa21_lsoa21_msoa21_wd22_lad22_ew.csv.gz"
)
LONDON = tuple(f"E09{n:06d}" for n in range(1, 34))
DATA_SEED = 2024


@dataclass(frozen=True)
class Case:
    """One input of the comparison: a bundle and a residents file."""

    name: str
    geography: str  # builtin:demo or a bundle folder
    data: Path
    rows: int
    note: str = ""


def borough_case(data_dir: Path, rows: int) -> Case:
    """The demo borough (about 600 OAs) with ``rows`` long-form resident rows."""
    data = ensure_data(data_dir / f"boroughkit-residents-{rows}.parquet", rows)
    return Case("borough", "builtin:demo", data, rows)


def _cli(*arguments: str) -> None:
    """Run the boroughkit CLI of this checkout."""
    subprocess.run([sys.executable, "-m", "boroughkit.cli", *arguments], check=True, cwd=REPO)


def london_case(data_dir: Path, per_oa: int) -> Case:
    """The 33 London boroughs: bundle and about ``per_oa`` residents per OA (reused if built)."""
    folder = data_dir / "boroughkit-london"
    bundle, data = folder / "bundle", folder / f"residents-{per_oa}-per-oa.parquet"
    marker = folder / "built.json"
    facts = json.loads(marker.read_text()) if marker.exists() else {}
    if not bundle.exists() or "left_out" not in facts:
        folder.mkdir(parents=True, exist_ok=True)
        with gzip.open(EW_LOOKUP, "rt", encoding="utf-8") as handle:
            lookup = pd.read_csv(handle, dtype=str)
        no_ward = lookup["wd22cd"].isna()
        in_london = lookup["lad22cd"].isin(LONDON)
        facts = {
            "left_out": lookup.loc[no_ward & in_london, "oa21cd"].tolist(),
            "left_out_ew": int(no_ward.sum()),
        }
        filtered = folder / "lookup_ew_with_wards.csv"
        lookup[~no_ward].to_csv(filtered, index=False)
        print(f"Building the London bundle in {bundle} …", flush=True)
        _cli("--quiet", "geography", "import", "--lookup", str(filtered),
             *(part for code in LONDON for part in ("--borough", code)),
             "--name", "London", "--out", str(bundle))  # fmt: skip
        filtered.unlink()
        marker.write_text(json.dumps(facts))
    n_oas = len(open_bundle(str(bundle)).areas("oa"))
    if not data.exists():
        print(f"Generating {per_oa * n_oas:,} London demo residents …", flush=True)
        _cli("--quiet", "demo", "residents", "--geography", str(bundle),
             "--n", str(per_oa * n_oas), "--out", str(data), "--seed", str(DATA_SEED))  # fmt: skip
    rows = _row_count(data)
    note = (
        f"London: {n_oas:,} OAs of 33 boroughs, {per_oa} residents per OA; left out "
        f"{len(facts['left_out'])} OA(s) without a ward code ({', '.join(facts['left_out'])}; "
        f"{facts['left_out_ew']} in all of England and Wales), which the importer refuses"
    )
    return Case("london", str(bundle), data, rows, note)


def _connect() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    return connection


def _row_count(path: Path) -> int:
    found = _connect().execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()
    return int(found[0]) if found else 0


def drops_at(case: Case, k: int) -> int:
    """Contributions (distinct person × cell) a bound of ``k`` cells per person leaves out."""
    found = (
        _connect()
        .execute(
            f"SELECT sum(greatest(n - {int(k)}, 0)) FROM (SELECT count(DISTINCT service) AS n "
            f"FROM read_parquet('{case.data}') GROUP BY person_id)"
        )
        .fetchone()
    )
    return int(found[0]) if found and found[0] is not None else 0


def exact_counts(case: Case) -> dict[str, pd.Series]:
    """Exact persons per (area, service) at each level with no contribution bound, every public
    cell present, indexed by (area_code, service)."""
    bundle = open_bundle(case.geography)
    oa = (
        _connect()
        .execute(
            "SELECT oa_code, service, count(DISTINCT person_id) AS n "
            f"FROM read_parquet('{case.data}') GROUP BY ALL"
        )
        .df()
    )
    truth = {}
    for level in LEVELS:
        codes = bundle.areas(level)["code"]
        area = oa["oa_code"].astype(str).map(bundle.oa_to_level(level))
        sums = oa.groupby([area.rename("area_code"), oa["service"].astype(str)])["n"].sum()
        grid = pd.MultiIndex.from_product([codes, SERVICES], names=["area_code", "service"])
        truth[level] = sums.reindex(grid, fill_value=0).astype(np.int64)
    return truth
