"""Config models of where the records are reduced: a database source and the aggregation engine.

Everything before noise (reading, opt-outs, geocoding by OA code, contribution bounding, the
OA × category group-by) runs in an engine; everything after stays in boroughkit. DuckDB, in
the process, is the default; ``source.database`` pushes the work into PostgreSQL; ``engine:
{name: spark}`` runs it on a Spark cluster.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from boroughkit.config.common import Strict, refuse

#: Environment variable names: letters, digits and underscores, not starting with a digit.
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: A table name, optionally schema-qualified: plain SQL identifiers only.
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")
#: Words that start a read-only statement.
_READ_ONLY_START = re.compile(r"^\s*(\(\s*)*(select|with|values|table)\b", re.IGNORECASE)


class DatabaseSource(Strict):
    """Resident records in a PostgreSQL database, aggregated where they are."""

    url: str = Field(
        description="The database, SQLAlchemy style, without the password: "
        "postgresql://user@host:5432/dbname (postgresql+psycopg:// is accepted too)."
    )
    password_env: str | None = Field(
        default=None,
        description="The environment variable holding the password (never the password itself: "
        "it must not be in the config, logs or manifests).",
    )
    table: str | None = Field(
        default=None, description="The table (or view) of records, e.g. residents or core.people."
    )
    query: str | None = Field(
        default=None,
        description="A read-only SELECT giving the records, instead of a table; it runs in a "
        "read-only transaction.",
    )
    batch_rows: int = Field(
        default=50_000,
        ge=1000,
        description="Rows fetched per batch by releases that need the records themselves "
        "(synthetic extracts; tables placed by postcode).",
    )

    @field_validator("password_env")
    @classmethod
    def _env_name(cls, name: str | None) -> str | None:
        if name is not None and not _ENV_NAME.match(name):
            raise refuse(
                f"password_env {name!r} is not an environment variable name",
                "name the variable (e.g. BOROUGHKIT_DB_PASSWORD), not its value",
            )
        return name

    @field_validator("table")
    @classmethod
    def _table_name(cls, table: str | None) -> str | None:
        if table is not None and not _TABLE.match(table):
            raise refuse(
                f"table {table!r} is not a table name",
                "give a table or view name such as residents or core.people; use query for SQL",
            )
        return table

    @field_validator("query")
    @classmethod
    def _read_only(cls, query: str | None) -> str | None:
        if query is None:
            return None
        body = query.strip().rstrip(";").strip()
        if ";" in body or not _READ_ONLY_START.match(body):
            raise refuse(
                "source.database.query must be one read-only SELECT (or WITH … SELECT) statement",
                "remove other statements (no ';' inside) and anything that changes data",
            )
        return body

    @model_validator(mode="after")
    def _table_or_query(self) -> DatabaseSource:
        if (self.table is None) == (self.query is None):
            raise refuse(
                "source.database needs exactly one of table and query",
                "name the table of records, or give a read-only query",
            )
        if "://" not in self.url or not self.url.split("://", 1)[0].startswith("postgresql"):
            raise refuse(
                f"source.database.url must be a postgresql:// URL (got scheme "
                f"{self.url.split('://', 1)[0]!r})",
                "write it like postgresql://user@host:5432/dbname",
            )
        return self


class DuckDBEngine(Strict):
    """DuckDB, embedded in the process: nothing to install or start (the default)."""

    name: Literal["duckdb"] = Field(default="duckdb", description="The engine: duckdb.")
    memory_limit: str = Field(
        default="512MB",
        description="DuckDB's memory limit; larger intermediate results spill to disk in a "
        "private temporary folder (removed after the run).",
    )
    threads: int = Field(default=2, ge=1, description="Threads DuckDB may use.")


class SparkEngine(Strict):
    """Apache Spark: the same bounding and aggregation as DataFrame operations, on a cluster."""

    name: Literal["spark"] = Field(description="The engine: spark.")
    master: str = Field(
        default="local[2]",
        description="The Spark master: local[N] on one machine, or a cluster's URL "
        "(spark://…, yarn, k8s://…).",
    )
    conf: dict[str, str] = Field(
        default_factory=dict,
        description="Spark settings passed to the session, e.g. spark.executor.memory: 4g.",
    )


EngineConfig = Annotated[DuckDBEngine | SparkEngine, Field(discriminator="name")]
