"""sdc-tables at all five levels on an imported real borough (Camden: 751 OAs, 20 wards).

Issue 12: with OAs, LSOAs and MSOAs published together, secondary suppression crashed with
``IndexError: boolean index did not match indexed array`` when the only relation exposing a
cell had every cell already suppressed (an LSOA and all of its OAs, adding up to less than the
protection width): no partner could be found by subtraction and the empty choice was indexed.
These 100,000 seeded demo residents hit exactly that state before the fix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from click.testing import CliRunner

from boroughkit.cli import main
from boroughkit.disclosure.relations import build_relations
from boroughkit.disclosure.rules import RuleSettings
from boroughkit.disclosure.suppression import _Release
from boroughkit.disclosure.tables import CellTable
from tests.helpers.configs import REAL_PUBLISHER, minimal_config
from tests.helpers.shared_data import GEO

CAMDEN = "E09000007"
LEVELS = ["oa", "lsoa", "msoa", "ward", "borough"]


def test_a_relation_with_every_cell_suppressed_gives_no_partner() -> None:
    """The crash in miniature: an LSOA and its three OAs, all suppressed, 4 people in all."""
    lookup = pd.DataFrame(
        {
            "oa_code": ["E00000001", "E00000002", "E00000003"],
            "lsoa_code": ["E01000001"] * 3,
        }
    )
    cells = CellTable.from_frame(
        pd.DataFrame(
            {
                "table": "tenure",
                "level": ["oa", "oa", "oa", "lsoa"],
                "area_code": [*lookup["oa_code"], "E01000001"],
                "category": "social_rented",
                "value": [0, 0, 2, 2],
                "status": "suppressed",
                "rule": "threshold",
            }
        )
    )
    release = _Release.of(cells, build_relations(cells, lookup))
    exposed = np.array([3])  # the LSOA: its only relation has no published cell to add
    assert release.subtraction_complements(cells, exposed, RuleSettings()) == {}


def test_five_levels_on_imported_camden(tmp_path: Path) -> None:
    runner = CliRunner()
    imported = runner.invoke(
        main,
        [
            "geography", "import",
            "--lookup", str(GEO / "lookup_oa21_lsoa21_msoa21_wd22_lad22_ew.csv.gz"),
            "--borough", CAMDEN,
            "--boundaries", f"ward={GEO / 'wards22_bsc_london.parquet'}",
            "--boundaries", f"lsoa={GEO / 'lsoa21_bsc_london.parquet'}",
            "--out", str(tmp_path / "camden"),
        ],
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    assert "751 areas" in imported.output
    residents = runner.invoke(
        main,
        [
            "demo", "residents", "--geography", str(tmp_path / "camden"), "--n", "100000",
            "--seed", "1", "--out", str(tmp_path / "residents.parquet"),
        ],
    )  # fmt: skip
    assert residents.exit_code == 0, residents.output
    config = minimal_config(name="camden-five-levels")
    config["geography"]["boundaries"] = "camden"
    config["publish"].update(REAL_PUBLISHER)
    config["release"] = {
        "method": "sdc-tables",
        "threshold": 10,
        "rounding_base": 5,
        "tables": [{"name": "tenure", "count_by": ["tenure"], "levels": LEVELS}],
    }
    # The national lookup has no populations: the area check has no public figures to use.
    config["disclosure"] = {
        "min_area_population": 0,
        "min_area_population_reason": "test: the national lookup carries no populations",
    }
    (tmp_path / "camden.yaml").write_text(yaml.safe_dump(config))
    ran = runner.invoke(main, ["run", str(tmp_path / "camden.yaml"), "--by", "Test Analyst"])
    assert ran.exit_code == 0, ran.output
    (staged,) = (tmp_path / "catalogue" / "staging").iterdir()
    sizes = {"oa": 751, "lsoa": 130, "msoa": 27, "ward": 20, "borough": 1}
    for level in LEVELS:
        table = pd.read_parquet(staged / "tenure" / f"tenure_{level}.parquet")
        assert table["area_code"].nunique() == sizes[level]
        suppressed = table["status"] == "suppressed"
        assert table.loc[suppressed, "count"].isna().all()
    oa = pd.read_parquet(staged / "tenure" / "tenure_oa.parquet")
    assert (oa["status"] == "suppressed").any()  # the case needs suppression at fine levels
