"""Records in a real PostgreSQL server: a release runs, is approved and published, with counts
sums and cell-key sums computed in the database (rows are fetched in batches only where records
are placed by postcode); bad connections, credentials,
tables and queries that write are refused before anything is reserved or staged; the password
is never written anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers.budget import cli, ledger_of, manifest, publish_ok, run_ok, staged
from tests.helpers.configs import arrears_sum_table, minimal_config
from tests.helpers.ledger import register

PASSWORD_ENV = "BOROUGHKIT_TEST_DB_PASSWORD"


@pytest.fixture(scope="module")
def database(postgres_server, demo_residents, monkeypatch_module):
    """The demo residents in table ``residents``; the password in the environment."""
    postgres_server.load("residents", demo_residents)
    monkeypatch_module.setenv(PASSWORD_ENV, postgres_server.password)
    return postgres_server


def database_config(server, name: str = "db-release", **database: object) -> dict:
    config = minimal_config(name=name)
    del config["source"]["path"]
    config["source"]["database"] = {
        "url": server.url(),
        "password_env": PASSWORD_ENV,
        "table": "residents",
        **database,
    }
    if "query" in database:
        del config["source"]["database"]["table"]
        config["source"]["dataset"] = "residents"
    return config


def write(workspace: Path, config: dict) -> Path:
    path = workspace / f"{config['name']}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture
def workspace(tmp_path):
    register(tmp_path / "catalogue", "residents", rho=10)
    return tmp_path


def files_holding(folder: Path, secret: str) -> list[Path]:
    return [
        path
        for path in folder.rglob("*")
        if path.is_file() and secret.encode() in path.read_bytes()
    ]


def test_a_database_release_is_counted_in_the_database_and_published(
    database, workspace, monkeypatch
):
    from boroughkit.engines.postgres_engine import PostgresAggregation

    def no_rows(*_: object) -> None:
        raise AssertionError("counts must be computed in the database, not from fetched rows")

    monkeypatch.setattr(PostgresAggregation, "read_rows", no_rows)
    config = write(workspace, database_config(database))
    release_id = run_ok(config)
    publish_ok(workspace, release_id)
    [folder] = (workspace / "catalogue" / "releases").glob(f"*{release_id}*")
    document = manifest(folder)
    assert document["dataset"] == document["budget"]["dataset"] == "residents"
    assert sorted(path.name for path in folder.glob("tenure/*.parquet")) == [
        "tenure_borough.parquet",
        "tenure_oa.parquet",
        "tenure_ward.parquet",
    ]
    charges = ledger_of(workspace).charges()
    assert [charge.release_id for charge in charges] == [release_id]
    assert files_holding(workspace, database.password) == []


@pytest.mark.parametrize("statistic", ["sum", "mean"])
def test_sums_and_means_are_computed_in_the_database(database, workspace, monkeypatch, statistic):
    from boroughkit.engines.postgres_engine import PostgresAggregation

    def no_rows(*_: object) -> None:
        raise AssertionError("sums must be computed in the database, not from fetched rows")

    monkeypatch.setattr(PostgresAggregation, "read_rows", no_rows)
    config = database_config(database, name=f"db-{statistic}")
    config["release"]["tables"] = [{**arrears_sum_table(), "statistic": statistic}]
    release_id = run_ok(write(workspace, config))
    publish_ok(workspace, release_id)
    [folder] = (workspace / "catalogue" / "releases").glob(f"*{release_id}*")
    assert sorted(path.name for path in folder.glob("arrears/*.parquet")) == [
        "arrears_borough.parquet",
        "arrears_ward.parquet",
    ]
    assert files_holding(workspace, database.password) == []


def test_rows_are_fetched_in_batches_where_records_are_placed_by_postcode(database, workspace):
    config = database_config(database, name="db-postcodes", batch_rows=1000)
    config["geography"]["geocode"] = {"postcode": "postcode"}
    release_id = run_ok(write(workspace, config))
    publish_ok(workspace, release_id)
    assert files_holding(workspace, database.password) == []


def _refused(workspace: Path, config: dict, exit_codes: tuple[int, ...], words: str, secret: str):
    result = cli("run", write(workspace, config))
    assert result.exit_code in exit_codes, result.output
    assert words in result.output.lower(), result.output
    assert secret not in result.output
    entries = ledger_of(workspace).entries()
    assert [entry.kind for entry in entries if entry.release_id] == []
    assert staged(workspace) == []
    assert files_holding(workspace, secret) == []


@pytest.mark.parametrize(
    ("database_keys", "exit_codes", "words"),
    [
        ({"url": "mysql://someone@127.0.0.1/council"}, (2,), "postgresql:// url"),
        ({"url": "postgresql://boroughkit:inline@127.0.0.1/council"}, (2,), "holds a password"),
        ({"url": "postgresql://boroughkit@127.0.0.1:1/council"}, (1,), "cannot connect"),
        ({"url": "postgresql://intruder@127.0.0.1:{port}/council"}, (2,), "refused the user"),
        ({"table": "no_such_table"}, (2,), "no such table"),
        ({"query": "DELETE FROM residents"}, (2,), "read-only"),
        ({"query": "SELECT * FROM residents; DROP TABLE residents"}, (2,), "read-only"),
        (
            {"query": "WITH gone AS (DELETE FROM residents RETURNING *) SELECT * FROM gone"},
            (2,),
            "not read-only",
        ),
        ({"query": "SELECT * FROM residents FOR UPDATE"}, (2,), "not read-only"),
    ],
)
def test_bad_databases_are_refused_before_anything_is_reserved(
    database, workspace, database_keys, exit_codes, words
):
    keys = {
        key: value.format(port=database.port) if isinstance(value, str) else value
        for key, value in database_keys.items()
    }
    _refused(workspace, database_config(database, **keys), exit_codes, words, database.password)
    with database.connect() as connection:
        assert connection.execute("SELECT count(*) FROM residents").fetchone()[0] > 0


def test_a_wrong_password_is_refused_and_never_shown(database, workspace, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password-42")
    _refused(workspace, database_config(database), (2,), "refused the user", "not-the-password-42")


def test_an_unset_password_variable_is_named(database, workspace, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV)
    _refused(workspace, database_config(database), (2,), PASSWORD_ENV.lower(), database.password)
