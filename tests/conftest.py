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
            "columns": {"tenure": {"type": "category", "values": [
                "owned_outright", "owned_mortgage", "social_rented", "private_rented"]}},
        },
        "geography": {"boundaries": "builtin:demo", "geocode": {"oa": "oa_code"}},
        "release": {"method": "dp-tables", "budget": {"rho": 0.5},
                    "tables": [{"name": "tenure", "count_by": ["tenure"],
                                "levels": ["oa", "ward", "borough"]}]},
        "publish": {"to": "catalogue", "formats": ["parquet", "geojson", "csv"]},
    }
    config.update(overrides)
    return config
