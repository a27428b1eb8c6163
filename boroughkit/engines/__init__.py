"""Aggregation engines: where records are reduced to bounded OA × cell counts before noise.

DuckDB (the default, in the process), PostgreSQL (``source.database``: the work is pushed into
the database) and Spark (``engine: {name: spark}``). Each computes the same statuses and the same
contribution bound, so the same rows give the same pre-noise aggregate on every engine.
"""

from __future__ import annotations

from pathlib import Path

from boroughkit.config.models import PipelineConfig, is_url
from boroughkit.engines.protocol import AggregationEngine, CellRequest

__all__ = ["AggregationEngine", "CellRequest", "engine_for", "source_label"]


def engine_for(config: PipelineConfig, source: Path) -> AggregationEngine:
    """The engine the config asks for, reading the records at ``source`` (a file) or in the
    configured database. Engines needing a driver are imported only when used."""
    database = config.source.database
    if database is not None:
        from boroughkit.engines.postgres_engine import PostgresAggregation

        return PostgresAggregation(database)
    engine = config.engine
    if engine.name == "spark":
        from boroughkit.engines.spark_engine import SparkAggregation

        # A URL stays as written: a Path would fold its "//".
        location = config.source.path if is_url(config.source.path) else str(source)
        return SparkAggregation(str(location), config.source.format, engine)
    from boroughkit.engines.duckdb_engine import DuckDBAggregation

    return DuckDBAggregation(source, config.source.format, engine)


def source_label(config: PipelineConfig) -> str | None:
    """How messages name records that are not a file (a database table or query), else None."""
    if config.source.database is None:
        return None
    from boroughkit.engines.postgres_connect import label

    return label(config.source.database)
