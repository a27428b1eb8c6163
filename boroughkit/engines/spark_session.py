"""The Spark session an engine runs in, and Spark's failures as boroughkit errors."""

from __future__ import annotations

import shutil
from typing import Any

from boroughkit.config.engine_models import SparkEngine
from boroughkit.errors import BoroughkitError, ConfigError, DataError

#: Settings every session gets unless the config sets them: quiet, and UTC for any timestamp.
DEFAULTS = {
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
}


def spark_session(settings: SparkEngine) -> Any:
    """The process's Spark session for ``settings.master`` (started on first use)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:  # pragma: no cover - pyspark is a dependency
        raise ConfigError(
            "the Spark engine needs the pyspark package", fix="pip install 'pyspark>=4,<5'"
        ) from error
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if shutil.which("java") is None:
        raise ConfigError(
            "the Spark engine needs Java 17 or later, and no `java` is on the PATH",
            fix="install a Java runtime (Debian: apt-get install openjdk-17-jre-headless), or "
            "remove the engine section to use DuckDB",
        )
    builder = SparkSession.builder.master(settings.master).appName("boroughkit")
    for key, value in {**DEFAULTS, **settings.conf}.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as error:
        raise ConfigError(
            f"cannot start Spark with master {settings.master!r} ({_first_line(error)})",
            fix="check engine.master and engine.conf, and that the cluster is reachable",
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return (text.splitlines() or [type(error).__name__])[0][:300]


def spark_error(path: str, error: BaseException) -> BoroughkitError:
    """The error to raise when Spark fails reading or aggregating the records at ``path``."""
    text = _first_line(error)
    if "PATH_NOT_FOUND" in text or "does not exist" in text.lower():
        return DataError(
            f"{path}: file not found by Spark",
            fix="check source.path (Spark resolves it on the cluster: use a path every executor "
            "can read)",
        )
    return DataError(
        f"{path}: Spark could not read or aggregate the records ({text})",
        fix="export the records again as Parquet or CSV UTF-8, then run again",
    )
