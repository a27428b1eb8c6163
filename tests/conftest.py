"""Shared fixtures: paths to the real data in ../shared/data and small config builders."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()
GEO = SHARED_DATA / "geo"


@pytest.fixture
def write_config(tmp_path: Path):
    """Write a config dict (or raw YAML text) to tmp_path and return its path."""

    def write(content: dict | str, name: str = "pipeline.yaml") -> Path:
        path = tmp_path / name
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


def minimal_config(**overrides: object) -> dict:
    """A small valid dp-tables config over residents.parquet in the config's folder."""
    config: dict = {
        "name": "test-release",
        "source": {
            "path": "residents.parquet",
            "privacy_unit": "person_id",
            "household": "uprn",
            "columns": {
                "tenure": {
                    "type": "category",
                    "values": [
                        "owned_outright",
                        "owned_mortgage",
                        "social_rented",
                        "private_rented",
                    ],
                }
            },
        },
        "geography": {"boundaries": "builtin:demo", "geocode": {"oa": "oa_code"}},
        "release": {
            "method": "dp-tables",
            "budget": {"rho": 0.5, "lifetime": 10},
            "tables": [
                {"name": "tenure", "count_by": ["tenure"], "levels": ["oa", "ward", "borough"]}
            ],
        },
        "publish": {"to": "catalogue", "formats": ["parquet", "geojson", "csv"]},
    }
    config.update(overrides)
    return config


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


def tree_snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (to prove a failed run changed nothing)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
