"""sdc-tables where the records are: the cell-key method is deterministic (fixed record keys, no
noise), so the same records tallied by DuckDB from a Parquet file, by pandas in memory, inside
PostgreSQL and by Spark must publish identical tables, cell for cell; and the database release
never fetches a row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from boroughkit import build_plan, load_config, run_pipeline
from boroughkit.demo.schema import AGE_BANDS
from boroughkit.engines.postgres_engine import PostgresAggregation
from boroughkit.errors import DisclosureError
from boroughkit.methods.sdc_tables import method as sdc_method
from tests.helpers.configs import minimal_config
from tests.helpers.spark import TEST_CONF

pytestmark = pytest.mark.xdist_group("spark")
PASSWORD_ENV = "BOROUGHKIT_SDC_DB_PASSWORD"
TABLES = ("tenure", "ages")


def sdc_config(levels: tuple[str, ...] = ("msoa", "borough"), **source: object) -> dict:
    config = minimal_config(name="sdc-engines")
    config["source"]["columns"]["age_band"] = {"type": "category", "values": list(AGE_BANDS)}
    config["source"].update(source)
    config["release"] = {
        "method": "sdc-tables",
        "threshold": 10,
        "rounding_base": 5,
        "tables": [
            {"name": "tenure", "count_by": ["tenure"], "levels": ["lsoa", "msoa", "borough"]},
            {"name": "ages", "count_by": ["age_band"], "levels": list(levels)},
        ],
    }
    return config


def staged_tables(workspace: Path, config: dict) -> dict[str, pd.DataFrame]:
    path = workspace / "sdc.yaml"
    path.write_text(yaml.safe_dump(config))
    result = run_pipeline(build_plan(load_config(path)))
    assert result.release_dir is not None, result.summary
    return {
        str(file.relative_to(result.release_dir)): pd.read_parquet(file)
        for name in TABLES
        for file in sorted((result.release_dir / name).glob("*.parquet"))
    }


@pytest.fixture(scope="module")
def published(new_demo_workspace, demo_residents, postgres_server, spark, monkeypatch_module):
    """The same release from each engine, in one catalogue (so one record-key store)."""
    workspace = new_demo_workspace("sdc-engines")
    postgres_server.load("residents_sdc", demo_residents)
    monkeypatch_module.setenv(PASSWORD_ENV, postgres_server.password)
    found = {"duckdb": staged_tables(workspace, sdc_config())}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sdc_method, "can_stream_checked", lambda job, rules: False)
        found["pandas"] = staged_tables(workspace, sdc_config())
    with pytest.MonkeyPatch.context() as patch:

        def no_rows(*_: object) -> None:
            raise AssertionError("cell-key sums must be computed in the database")

        patch.setattr(PostgresAggregation, "read_rows", no_rows)
        database = {
            "url": postgres_server.url(),
            "password_env": PASSWORD_ENV,
            "table": "residents_sdc",
        }
        config = sdc_config(database=database, dataset="residents")
        del config["source"]["path"]
        found["postgresql"] = staged_tables(workspace, config)
    spark_config = sdc_config()
    spark_config["engine"] = {"name": "spark", "master": "local[2]", "conf": TEST_CONF}
    found["spark"] = staged_tables(workspace, spark_config)
    return found


def test_every_engine_publishes_the_same_cell_key_tables(published):
    reference = published["duckdb"]
    assert len(reference) == 5
    counts = pd.concat(reference.values())["count"]
    assert counts.notna().sum() > 50 and counts.isna().sum() > 0  # published and suppressed
    for name, tables in published.items():
        assert sorted(tables) == sorted(reference), name
        for file, frame in reference.items():
            pd.testing.assert_frame_equal(tables[file], frame, obj=f"{name} {file}")


def differencing_verdict(workspace: Path, config: dict) -> str:
    """The differencing check's line of the risk report of a release the gate refuses."""
    path = workspace / "sdc.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(DisclosureError) as refused:
        run_pipeline(build_plan(load_config(path)))
    report = Path(str(refused.value).split("Report: ")[1].split()[0])
    [line] = [
        line
        for line in report.read_text(encoding="utf-8").splitlines()
        if line.startswith("| geographic differencing")
    ]
    return line


def test_the_differencing_check_sees_the_same_people_on_both_paths(new_demo_workspace):
    """Wards overlap LSOAs in the demo borough: the slivers found from the engine's tallies are
    those found from the records in memory."""
    workspace = new_demo_workspace("sdc-differencing")
    config = sdc_config(levels=("lsoa", "ward"))
    streamed = differencing_verdict(workspace, config)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sdc_method, "can_stream_checked", lambda job, rules: False)
        in_memory = differencing_verdict(workspace, config)
    assert "**FAILED**" in streamed and "sliver" in streamed
    assert streamed == in_memory
