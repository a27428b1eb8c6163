"""A local Spark session for the tests: two cores, quiet, no UI, bound to loopback only."""

from __future__ import annotations

import shutil

#: Settings of the tests' session (also what a one-machine config would set).
TEST_CONF = {
    "spark.ui.enabled": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    # Tiny inputs: few partitions, and no code generation (compiling costs more than it saves).
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.codegen.wholeStage": "false",
    "spark.default.parallelism": "2",
    "spark.driver.memory": "1g",
    "spark.ui.showConsoleProgress": "false",
}

MISSING_JAVA = (
    "Spark needs a Java runtime and `java` is not on the PATH: install Debian's "
    "openjdk-17-jre-headless (apt-get install openjdk-17-jre-headless), as .ci/run does"
)


def start_spark():
    """The process's local[2] SparkSession (fails loudly without Java)."""
    if shutil.which("java") is None:
        raise RuntimeError(MISSING_JAVA)
    from boroughkit.config.engine_models import SparkEngine
    from boroughkit.engines.spark_session import spark_session

    return spark_session(SparkEngine(name="spark", master="local[2]", conf=TEST_CONF))
