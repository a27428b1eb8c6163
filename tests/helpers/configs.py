"""Small valid pipeline configs (dicts to dump as YAML) over residents.parquet in their folder."""

from __future__ import annotations

from pathlib import Path

import yaml


def write_config_file(folder: Path, content: dict | str, name: str = "pipeline.yaml") -> Path:
    """Write a config dict (or raw YAML text) into ``folder`` and return its path."""
    path = folder / name
    text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


#: A real council's publisher and governance: required by every config whose geography is not
#: builtin:demo (``publish.publisher``, ``publish.governance``).
REAL_PUBLISHER = {
    "publisher": {"organisation": "Test Borough Council", "contact": "opendata@test.gov.uk"},
    "governance": {
        "dpia_reference": "DPIA-TEST-2026-001",
        "legal_basis": "UK GDPR Article 6(1)(e) public task",
        "data_controller": "Test Borough Council",
    },
}


def minimal_config(**overrides: object) -> dict:
    """A small valid dp-tables config over residents.parquet in the config's folder.

    Its ledger dataset is ``residents`` (the records file's name), which the workspace fixtures
    register with lifetime ρ = 10 (``tests/helpers/ledger.py``)."""
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
            "budget": {"rho": 0.5},
            "tables": [
                {"name": "tenure", "count_by": ["tenure"], "levels": ["oa", "ward", "borough"]}
            ],
        },
        "publish": {"to": "catalogue", "formats": ["parquet", "geojson", "csv"]},
    }
    config.update(overrides)
    return config


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


def arrears_sum_table() -> dict:
    """A sum table of rent arrears (clipped to £3,000) by tenure, at ward and borough."""
    return {
        "name": "arrears",
        "statistic": "sum",
        "value": "rent_arrears_gbp",
        "bounds": [0, 3000],
        "count_by": ["tenure"],
        "levels": ["ward", "borough"],
    }
