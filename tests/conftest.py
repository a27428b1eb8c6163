"""Shared fixtures: the demo borough, its residents, workspaces and a config writer.

Helpers shared by test files (configs, paths to ../shared/data, snapshots, …) live in
``tests/helpers``; this file holds fixtures only, and the Hypothesis profile.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from tests.helpers.configs import write_config_file

# Property tests never depend on wall time: a shared machine may be slow at any moment.
settings.register_profile("boroughkit", deadline=None)
settings.load_profile("boroughkit")


@pytest.fixture
def write_config(tmp_path: Path):
    """Write a config dict (or raw YAML text) to tmp_path and return its path."""

    def write(content: dict | str, name: str = "pipeline.yaml") -> Path:
        return write_config_file(tmp_path, content, name)

    return write


@pytest.fixture(scope="session")
def demo_bundle():
    """The built-in demo borough."""
    from boroughkit.geography import open_bundle

    return open_bundle("builtin:demo")


@pytest.fixture(scope="session")
def demo_residents(demo_bundle):
    """20,000 synthetic demo residents (a DataFrame); seeded demo data, not DP noise."""
    from boroughkit.demo import generate_residents

    return generate_residents(demo_bundle.lookup, 20_000, postcodes=demo_bundle.postcodes, seed=7)


@pytest.fixture
def demo_workspace(tmp_path: Path, demo_residents, write_config):
    """A folder with residents.parquet, its dataset ``residents`` registered with lifetime
    ρ = 10 in the ledger of ``catalogue``, and a writer for configs that read it."""
    from boroughkit.demo import write_residents
    from tests.helpers.ledger import register

    write_residents(demo_residents, tmp_path / "residents.parquet")
    register(tmp_path / "catalogue", "residents", rho=10)
    return tmp_path


@pytest.fixture(scope="session")
def new_demo_workspace(tmp_path_factory: pytest.TempPathFactory, demo_residents):
    """Make a new folder with residents.parquet: for module-scoped fixtures whose tests only
    read what a pipeline run there produced (tests that change a catalogue or ledger use
    ``demo_workspace``). Its dataset ``residents`` is registered with lifetime ρ = 10."""
    from boroughkit.demo import write_residents
    from tests.helpers.ledger import register

    def make(name: str = "workspace") -> Path:
        folder = tmp_path_factory.mktemp(name)
        write_residents(demo_residents, folder / "residents.parquet")
        register(folder / "catalogue", "residents", rho=10)
        return folder

    return make


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server (one per test process), stopped at the end."""
    from tests.helpers.postgres import start_server

    server = start_server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def spark():
    """A local[2] SparkSession (one per test process), stopped at the end."""
    from tests.helpers.spark import start_spark

    session = start_spark()
    yield session
    session.stop()


@pytest.fixture(scope="module")
def monkeypatch_module():
    """A monkeypatch undone at the end of the module (for module-scoped fixtures)."""
    with pytest.MonkeyPatch.context() as patch:
        yield patch
