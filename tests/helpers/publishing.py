"""A small staged release built by hand (no pipeline, no noise), for the publishing tests."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from boroughkit.config.publish_models import GovernanceConfig, PublishConfig
from boroughkit.disclosure.inconclusive import InconclusiveFinding
from boroughkit.disclosure.report import CheckResult, GateReport
from boroughkit.publish.catalogue import commit_release, staged_release
from boroughkit.publish.release_writer import licence_block, write_manifest, write_table_files

TENURES = ["owned", "rented", "Total"]


def fake_frame(bundle, level: str, seed: int = 1) -> pd.DataFrame:
    """A table like a DP release's: every area × tenure (values are arbitrary, not DP)."""
    areas = bundle.areas(level)
    rng = np.random.default_rng(seed)
    rows = [
        {
            "area_code": code,
            "area_name": name,
            "level": level,
            "tenure": tenure,
            "count": int(rng.integers(0, 500)),
            "noise_sd": 2.0,
            "moe95": 3.92,
        }
        for code, name in zip(areas["code"], areas["name"], strict=True)
        for tenure in TENURES
    ]
    return pd.DataFrame(rows)


def stage_release(
    catalogue: Path,
    bundle,
    *,
    name: str = "tenure-test",
    created: str | None = None,
    levels=("ward", "borough"),
    passed: bool = True,
    publish: PublishConfig | None = None,
    inconclusive: tuple[str, ...] = (),
) -> str:
    """Build a complete release into ``catalogue/staging`` as `boroughkit run` would."""
    created = created or datetime.now(UTC).isoformat()
    release_id = f"{name}-{created[:19].replace(':', '')}-{secrets.token_hex(2)}"
    with staged_release(catalogue, release_id) as building:
        files = []
        for level in levels:
            files += write_table_files(
                building,
                table="tenure",
                level=level,
                frame=fake_frame(bundle, level),
                category_columns=["tenure"],
                statistic="count",
                formats=["parquet", "geojson", "csv"],
                boundaries=bundle.boundaries[level],
                file_metadata={"licence": "Open Government Licence v3.0", "method": "dp-tables"},
                geoparquet=True,
            )
        manifest = {
            "release_id": release_id,
            "name": name,
            "description": "Residents by tenure.",
            "created": created,
            "method": "dp-tables",
            "method_statement": "Counts are differentially private.",
            "privacy": {"rho": "1/2", "epsilon_at_delta_1e-7": 6.1777},
            "licence": licence_block("OGL-3.0", bundle.info.attribution),
            "publisher": "Test Borough Council",
            "geography": {"bundle": bundle.info.name, "synthetic": True},
        }
        write_manifest(
            building,
            manifest,
            files,
            publish
            or PublishConfig(
                governance=GovernanceConfig(
                    dpia_reference="DPIA-2026-014",
                    legal_basis="UK GDPR Article 6(1)(e)",
                    data_controller="Test Borough Council",
                )
            ),
        )
        report = GateReport(release_id, "dp-tables")
        report.checks.append(
            CheckResult(
                "Every published area has enough residents",
                passed,
                "checked",
                id="min-area-population",
                inconclusive=tuple(
                    InconclusiveFinding(name, "a measure", 0.04, (0.0, 0.09), 0.05, "more data")
                    for name in inconclusive
                ),
            )
        )
        report.write(building)
        commit_release(catalogue, building, release_id)
    return release_id
