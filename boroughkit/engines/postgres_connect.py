"""Connecting to PostgreSQL: the URL without its password, the password from the environment,
read-only sessions, and errors that say what to change without ever showing the password."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

import psycopg

from boroughkit.config.engine_models import DatabaseSource
from boroughkit.errors import BoroughkitError, ConfigError, DataError

#: Seconds to wait for the server before saying it cannot be reached.
CONNECT_TIMEOUT = 10


def conninfo(database: DatabaseSource) -> dict[str, str]:
    """The connection's keywords (host, port, dbname, user) from its URL, without a password."""
    try:
        parts = urlsplit(database.url)
        port = parts.port
    except ValueError as error:
        raise ConfigError(
            f"source.database.url cannot be read as a URL ({error})",
            fix="write it like postgresql://user@host:5432/dbname",
        ) from None
    if parts.password is not None:
        raise ConfigError(
            "source.database.url holds a password: it must never be written in the config",
            fix="remove it from the URL (postgresql://user@host/dbname) and name the environment "
            "variable that holds it in source.database.password_env",
        )
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname or not parts.hostname:
        raise ConfigError(
            f"source.database.url {label(database)!r} names no host or no database",
            fix="write it like postgresql://user@host:5432/dbname",
        )
    keywords = {"host": parts.hostname, "dbname": dbname}
    if port is not None:
        keywords["port"] = str(port)
    if parts.username:
        keywords["user"] = unquote(parts.username)
    return keywords


def label(database: DatabaseSource) -> str:
    """How messages name the records: the table or query and the database, never a password."""
    try:
        parts = urlsplit(database.url)
        where = f"{parts.hostname}:{parts.port or 5432}{parts.path}"
    except ValueError:
        where = "the database"
    what = f"table {database.table}" if database.table else "the query"
    return f"{what} in postgresql {where}"


def password(database: DatabaseSource) -> str | None:
    """The password from the environment variable the config names (None: none named)."""
    if database.password_env is None:
        return None
    value = os.environ.get(database.password_env)
    if value is None:
        raise ConfigError(
            f"the environment variable {database.password_env} (source.database.password_env) "
            "is not set",
            fix=f"set {database.password_env} to the database password before the run",
        )
    return value


@contextmanager
def connect(database: DatabaseSource) -> Iterator[psycopg.Connection]:
    """A read-only connection: every statement runs in a read-only transaction."""
    keywords = conninfo(database)
    secret = password(database)
    try:
        connection = psycopg.connect(
            psycopg.conninfo.make_conninfo(
                **keywords,
                **({"password": secret} if secret is not None else {}),
                connect_timeout=str(CONNECT_TIMEOUT),
                application_name="boroughkit",
            )
        )
    except psycopg.Error as error:
        raise connection_error(database, error, secret) from None
    try:
        connection.read_only = True
        yield connection
    finally:
        connection.close()


def _scrub(text: str, secret: str | None) -> str:
    first = (text.strip().splitlines() or [""])[0]
    return first.replace(secret, "***") if secret else first


def connection_error(
    database: DatabaseSource, error: psycopg.Error, secret: str | None
) -> BoroughkitError:
    """The error for a failed connection: wrong credentials, unreachable server, no database."""
    text = str(error)
    lowered = text.lower()
    where = label(database)
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return ConfigError(
            f"{where}: the server refused the user name or password",
            fix=f"check the user in source.database.url and the password in "
            f"{database.password_env or 'the environment variable named by password_env'}",
        )
    if "does not exist" in lowered and "database" in lowered:
        return ConfigError(
            f"{where}: the database does not exist on the server",
            fix="correct the database name at the end of source.database.url",
        )
    if "role" in lowered and "does not exist" in lowered:
        return ConfigError(
            f"{where}: the server knows no such user",
            fix="correct the user in source.database.url (postgresql://user@host/dbname)",
        )
    return DataError(
        f"{where}: cannot connect to the database ({_scrub(text, secret)})",
        fix="check the host and port in source.database.url, that the server is running and "
        "that this machine may connect to it",
    )


def query_error(database: DatabaseSource, error: psycopg.Error) -> BoroughkitError:
    """The error for a failed read: a missing table or column, a query that writes."""
    where = label(database)
    detail = _scrub(str(error), None)
    if isinstance(error, psycopg.errors.UndefinedTable):
        setting = "source.database.table" if database.table else "source.database.query"
        return ConfigError(
            f"{where}: no such table ({detail})",
            fix=f"correct {setting}: name a table or view the user may read "
            "(schema.table when it is not on the search path)",
        )
    if isinstance(
        error, psycopg.errors.ReadOnlySqlTransaction | psycopg.errors.FeatureNotSupported
    ):
        return ConfigError(
            f"{where}: source.database.query is not read-only ({detail})",
            fix="give a SELECT that only reads; boroughkit never changes the database",
        )
    if isinstance(error, psycopg.errors.InsufficientPrivilege):
        return ConfigError(
            f"{where}: permission denied ({detail})",
            fix="grant the user SELECT on the table, or connect as a user who has it",
        )
    if isinstance(error, psycopg.errors.SyntaxError | psycopg.errors.UndefinedColumn):
        return ConfigError(
            f"{where}: the query cannot run ({detail})",
            fix="correct source.database.query (try it in psql first)",
        )
    return DataError(
        f"{where}: reading the records failed ({detail})",
        fix="check the database is reachable and the records readable, then run again",
    )
