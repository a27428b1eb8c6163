"""The same release with the Spark engine (local[2]) and with DuckDB: both run, are approved
and published, and publish the same files with the same columns (the pre-noise counts are
compared in test_engines_equal.py; the published values carry fresh noise)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from boroughkit import build_plan, load_config, run_pipeline
from boroughkit.demo.schema import SERVICES
from boroughkit.publish import approve_release, publish_release
from tests.helpers.configs import minimal_config
from tests.helpers.spark import TEST_CONF

pytestmark = pytest.mark.xdist_group("spark")


def publish(folder: Path, engine: dict | None) -> Path:
    config = minimal_config(name="tenure-engines")
    config["release"]["tables"] = [
        {
            "name": "services",
            "count_by": ["service"],
            "levels": ["oa", "ward", "borough"],
            "max_categories_per_person": 2,
        }
    ]
    config["source"]["columns"]["service"] = {"type": "category", "values": list(SERVICES)}
    if engine is not None:
        config["engine"] = engine
    path = folder / "pipeline.yaml"
    path.write_text(json.dumps(config))
    result = run_pipeline(build_plan(load_config(path)))
    approve_release(folder / "catalogue", result.release_id, by="Asha Patel")
    return publish_release(folder / "catalogue", result.release_id).folder


def layout(folder: Path) -> dict[str, object]:
    """Every published file, with its columns (Parquet schema, CSV header, GeoJSON keys)."""
    found: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        name = str(path.relative_to(folder))
        if path.suffix == ".parquet":
            found[name] = [(f.name, str(f.type)) for f in pq.read_schema(path)]
        elif path.suffix == ".csv":
            found[name] = path.read_text(encoding="utf-8").splitlines()[0]
        elif path.suffix == ".geojson":
            features = json.loads(path.read_text(encoding="utf-8"))["features"]
            found[name] = (len(features), sorted(features[0]["properties"]))
        else:
            found[name] = None
    return found


def test_spark_publishes_the_same_files_as_duckdb(spark, new_demo_workspace):
    duckdb_folder = publish(new_demo_workspace("duckdb"), None)
    spark_folder = publish(
        new_demo_workspace("spark"), {"name": "spark", "master": "local[2]", "conf": TEST_CONF}
    )
    assert layout(spark_folder) == layout(duckdb_folder)
    assert len(layout(spark_folder)) > 10
