"""A throwaway PostgreSQL server for the tests: Debian's binaries, a temporary data folder, a
free loopback port, a password-protected user; stopped at the end of the session.

PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user (with
the data folder owned by it); otherwise as the current user. Missing binaries fail loudly.
"""

from __future__ import annotations

import glob
import io
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

INSTALL = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found: install Debian's "
    "postgresql package (apt-get install postgresql), as .ci/run does"
)
USER = "boroughkit"
DATABASE = "council"


def binaries() -> Path:
    """The folder of initdb, pg_ctl and postgres (the newest Debian version, else the PATH)."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True):
        if all(Path(folder, name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    found = [shutil.which(name) for name in ("initdb", "pg_ctl", "postgres")]
    if all(found):
        return Path(str(found[0])).parent
    raise RuntimeError(INSTALL)


def _version(folder: str) -> float:
    try:
        return float(Path(folder).parent.name)
    except ValueError:
        return 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """A running server: where it listens, and its user's password."""

    folder: Path
    port: int
    password: str
    as_user: str | None

    def url(self, user: str = USER, database: str = DATABASE) -> str:
        """The URL of a database, without the password."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def connect(self):
        import psycopg

        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=USER,
            dbname=DATABASE,
            password=self.password,
            autocommit=True,
        )

    def load(self, table: str, frame: pd.DataFrame) -> None:
        """Create ``table`` from ``frame`` (text, bigint, double or boolean columns) by COPY."""
        types = {
            column: "boolean"
            if pd.api.types.is_bool_dtype(frame[column])
            else "bigint"
            if pd.api.types.is_integer_dtype(frame[column])
            else "double precision"
            if pd.api.types.is_float_dtype(frame[column])
            else "text"
            for column in frame.columns
        }
        columns = ", ".join(f'"{name}" {kind}' for name, kind in types.items())
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=False, na_rep="")
        with self.connect() as connection, connection.cursor() as cursor:
            cursor.execute(f'DROP TABLE IF EXISTS "{table}"')
            cursor.execute(f'CREATE TABLE "{table}" ({columns})')
            with cursor.copy(f'COPY "{table}" FROM STDIN WITH (FORMAT csv)') as copy:
                copy.write(buffer.getvalue())

    def stop(self) -> None:
        self._run(["pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop"])
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        return _run(command, self.as_user)


def _run(command: list[str], as_user: str | None) -> subprocess.CompletedProcess[str]:
    command = [str(binaries() / command[0]), *command[1:]]
    if as_user is not None:
        command = ["runuser", "-u", as_user, "--", *command]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def start_server(password: str = "s3cret-Pw-for-tests", settings: str = "") -> PostgresServer:
    """initdb into a temporary folder and start ``postgres`` on a free loopback port, with a
    user ``boroughkit`` (password auth over TCP) owning database ``council``. ``settings``:
    more server options (``-c name=value ...``)."""
    binaries()
    as_user = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="boroughkit-pg-"))
    if as_user is not None:
        account = pwd.getpwnam(as_user)
        os.chmod(folder, 0o755)
        os.chown(folder, account.pw_uid, account.pw_gid)
    secret = folder / "pw"
    secret.write_text(password + "\n")
    if as_user is not None:
        os.chown(secret, pwd.getpwnam(as_user).pw_uid, -1)
    data = folder / "data"
    done = _run(
        [
            "initdb",
            "-D",
            str(data),
            "-U",
            USER,
            "--pwfile",
            str(secret),
            "-A",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ],
        as_user,
    )
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed: {done.stderr.strip()}")
    secret.unlink()
    port = free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='{folder}' "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=32MB "
        + settings
    )
    started = _run(
        ["pg_ctl", "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
        as_user,
    )
    if started.returncode != 0:
        log = (folder / "log").read_text() if (folder / "log").exists() else ""
        raise RuntimeError(f"postgres did not start: {started.stderr.strip()} {log[-2000:]}")
    server = PostgresServer(folder, port, password, as_user)
    import psycopg

    with psycopg.connect(
        host="127.0.0.1",
        port=port,
        user=USER,
        dbname="postgres",
        password=password,
        autocommit=True,
    ) as connection:
        connection.execute(f"CREATE DATABASE {DATABASE}")
    return server
