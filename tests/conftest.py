"""Shared fixtures: paths to the real data in ../shared/data and small config builders."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()
GEO = SHARED_DATA / "geo"
LBBD_LOOKUP = "lookup_oa21_lsoa21_msoa21_wd22_lad22_lbbd.csv"


def ons_lookup(name: str = LBBD_LOOKUP):
    """An ONS OA lookup from ../shared/data/geo with boroughkit's column names."""
    import pandas as pd

    from boroughkit.geography.lookup_reader import DEFAULT_LOOKUP_COLUMNS

    ours = {ons: column for column, ons in DEFAULT_LOOKUP_COLUMNS.items()}
    return pd.read_csv(GEO / name).rename(columns=ours)


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


#: Limits loose enough for any synthesiser on 20,000 demo residents: tests of the bundle and
#: register mechanics, not of the gate's verdict (tests of the verdict set their own).
LOOSE_EXTRACT_GATE = {
    "max_exact_match_share": 1.0,
    "max_attack_advantage": 1.0,
    "dcr_margin": 1.0,
    "max_unique_reproduced": 1_000_000,
}


def extract_config(**release: object) -> dict:
    """A synthetic-extract config over the demo residents (CART at ward level by default)."""
    config = minimal_config()
    config["name"] = "test-extract"
    config["source"]["columns"] = {
        "age_band": {"type": "category", "values": ["0-15", "16-24", "25-44", "45-64", "65+"]},
        "sex": {"type": "category", "values": ["F", "M"]},
        "tenure": config["source"]["columns"]["tenure"],
        "council_tax_support": {"type": "boolean"},
        "rent_arrears_gbp": {"type": "number", "min": 0, "max": 25000},
    }
    config["source"]["identifiers"] = ["uprn", "postcode"]
    config["release"] = {
        "method": "synthetic-extract",
        "synthesiser": "cart",
        "area_level": "ward",
        "quasi_identifiers": ["ward_code", "age_band", "sex"],
        "utility_target": "council_tax_support",
        "rules": ["when age_band == '0-15' then council_tax_support == False"],
        "gate": dict(LOOSE_EXTRACT_GATE),
        "recipient": {
            "organisation": "University of Testing",
            "purpose": "Research on council tax support take-up by ward.",
            "legal_basis": "UK GDPR Article 6(1)(e) public task",
            "agreement": "DSA-TEST-001",
            "expires": "2099-12-31",
        },
        **release,
    }
    return config
