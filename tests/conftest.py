"""Shared fixtures: the demo borough, its residents, workspaces and a config writer.

Helpers shared by test files (configs, paths to ../shared/data, snapshots, …) live in
``tests/helpers``; this file holds fixtures only, and the Hypothesis profile.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import settings

# Property tests never depend on wall time: a shared machine may be slow at any moment.
settings.register_profile("boroughkit", deadline=None)
settings.load_profile("boroughkit")


@pytest.fixture
def write_config(tmp_path: Path):
    """Write a config dict (or raw YAML text) to tmp_path and return its path."""

    def write(content: dict | str, name: str = "pipeline.yaml") -> Path:
        path = tmp_path / name
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

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
    """A folder with residents.parquet and a writer for configs that read it."""
    from boroughkit.demo import write_residents

    write_residents(demo_residents, tmp_path / "residents.parquet")
    return tmp_path


@pytest.fixture(scope="session")
def new_demo_workspace(tmp_path_factory: pytest.TempPathFactory, demo_residents):
    """Make a new folder with residents.parquet: for module-scoped fixtures whose tests only
    read what a pipeline run there produced (tests that change a catalogue or ledger use
    ``demo_workspace``)."""
    from boroughkit.demo import write_residents

    def make(name: str = "workspace") -> Path:
        folder = tmp_path_factory.mktemp(name)
        write_residents(demo_residents, folder / "residents.parquet")
        return folder

    return make
