"""The config of a database source and of the engine: one source, no password in the file,
one read-only statement, and the DuckDB default when nothing is said."""

from __future__ import annotations

import pytest

from boroughkit import load_config
from boroughkit.errors import ConfigError
from tests.helpers.configs import minimal_config

DATABASE = {"url": "postgresql://reader@db.internal:5432/council", "table": "residents"}


def test_existing_configs_keep_duckdb_by_default(write_config):
    config = load_config(write_config(minimal_config())).config
    assert config.engine.name == "duckdb" and config.source.database is None


@pytest.mark.parametrize(
    ("source", "engine", "words"),
    [
        ({"database": DATABASE}, None, "exactly one of path and database"),
        ({"path": None}, None, "exactly one of path and database"),
        ({"path": None, "database": {**DATABASE, "query": "SELECT 1"}}, None, "exactly one of"),
        ({"path": None, "database": {"url": DATABASE["url"], "query": "SELECT 1"}}, None,
         "source.dataset is required"),
        ({"path": None, "database": {**DATABASE, "password_env": "hunter2!"}}, None,
         "not an environment variable name"),
        ({"path": None, "database": {**DATABASE, "table": "x; drop table y"}}, None,
         "not a table name"),
        ({"path": None, "database": {"url": DATABASE["url"], "query": "UPDATE t SET a = 1"},
          "dataset": "residents"}, None, "read-only"),
        ({"path": None, "database": DATABASE}, {"name": "spark"}, "cannot read source.database"),
        ({}, {"name": "flink"}, "engine"),
        ({"path": "s3a://council-data/residents.parquet"}, None, "only engine: spark reads"),
    ],
)  # fmt: skip
def test_bad_source_and_engine_sections_are_refused(write_config, source, engine, words):
    config = minimal_config()
    config["source"].update(source)
    config["source"] = {key: value for key, value in config["source"].items() if value is not None}
    if engine is not None:
        config["engine"] = engine
    with pytest.raises(ConfigError) as raised:
        load_config(write_config(config))
    assert words in str(raised.value)


def test_a_spark_engine_section_is_read(write_config):
    config = minimal_config(engine={"name": "spark", "master": "spark://cluster:7077",
                                    "conf": {"spark.executor.memory": "4g"}})  # fmt: skip
    engine = load_config(write_config(config)).config.engine
    assert engine.name == "spark" and engine.conf == {"spark.executor.memory": "4g"}


def test_a_url_reaches_spark_as_written(write_config):
    from pathlib import Path

    from boroughkit.engines import engine_for

    url = "s3a://council-data/records/residents.parquet"
    config = minimal_config(engine={"name": "spark", "master": "local[2]"})
    config["source"]["path"] = url
    loaded = load_config(write_config(config))
    engine = engine_for(loaded.config, Path(url))  # a Path alone would fold the "//"
    assert engine.path == url  # type: ignore[attr-defined]
