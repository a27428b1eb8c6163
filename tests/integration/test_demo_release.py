"""A dp-tables release on the demo borough: files, manifest, completeness and noise."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from boroughkit import build_plan, load_config, run_pipeline
from boroughkit.errors import DisclosureError
from tests.helpers.configs import minimal_config, write_config_file
from tests.helpers.files import tree_snapshot

TENURES = ["owned_outright", "owned_mortgage", "social_rented", "private_rented"]


@pytest.fixture(scope="module")
def release(new_demo_workspace):
    """One release at every level, built once: the tests that take it only read its files."""
    config = minimal_config()
    config["release"]["tables"][0]["levels"] = ["oa", "lsoa", "msoa", "ward", "borough"]
    path = write_config_file(new_demo_workspace("demo-release"), config)
    return run_pipeline(build_plan(load_config(path)))


def test_every_area_of_every_level_is_published(release, demo_bundle):
    for level in ("oa", "lsoa", "msoa", "ward", "borough"):
        frame = gpd.read_parquet(release.release_dir / "tenure" / f"tenure_{level}.parquet")
        assert frame.crs.equals("OGC:CRS84") and frame.geometry.is_valid.all()
        assert list(frame.columns)[:7] == [
            "area_code",
            "area_name",
            "level",
            "tenure",
            "count",
            "moe95",
            "noise_sd",
        ]
        assert "geometry" in frame.columns and set(frame.columns[7:]) <= {"geometry", "bbox"}
        assert set(frame["area_code"]) == set(demo_bundle.areas(level)["code"])
        assert len(frame) == len(demo_bundle.areas(level)) * (len(TENURES) + 1)
        assert (frame["level"] == level).all()
        assert frame["count"].dtype == np.int64


def test_manifest_lists_every_file_with_checksum_and_rows(release):
    manifest = json.loads((release.release_dir / "manifest.json").read_text())
    assert manifest["method"] == "dp-tables" and manifest["privacy"]["rho"] == "1/2"
    assert manifest["tables"]["tenure"]["contribution_bound"]["max_categories_per_person"] == 1
    assert manifest["geography"]["fingerprint"]
    for entry in manifest["files"]:
        path = release.release_dir / entry["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        if entry["format"] == "parquet":
            assert pq.read_metadata(path).num_rows == entry["rows"]
            assert duckdb.sql(f"select count(*) from '{path}'").fetchall()[0][0] == entry["rows"]
    formats = {entry["format"] for entry in manifest["files"]}
    assert formats == {"parquet", "csv", "geojson"}


def test_geojson_is_rfc7946(release, demo_bundle):
    path = release.release_dir / "tenure" / "tenure_ward.geojson"
    document = json.loads(path.read_text())
    assert "crs" not in document and document["type"] == "FeatureCollection"
    assert len(document["features"]) == len(demo_bundle.areas("ward"))
    frame = gpd.read_file(path)
    assert frame.geometry.is_valid.all()
    minx, miny, maxx, maxy = frame.total_bounds
    assert -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
    first = document["features"][0]["properties"]
    assert isinstance(first["count[tenure=social_rented]"], int)


def _level(release, level):
    frame = pd.read_parquet(release.release_dir / "tenure" / f"tenure_{level}.parquet")
    return frame.set_index(["area_code", "tenure"])["count"]


def test_levels_are_exactly_consistent_non_negative_integers(release, demo_bundle):
    oa = _level(release, "oa")
    assert (oa >= 0).all()
    for level in ("lsoa", "msoa", "ward", "borough"):
        parent = _level(release, level)
        mapping = demo_bundle.oa_to_level(level)
        summed = oa.groupby(
            [oa.index.get_level_values(0).map(mapping), oa.index.get_level_values(1)]
        ).sum()
        assert (summed.reindex(parent.index) == parent).all(), level
    for level in ("oa", "ward"):
        frame = _level(release, level).unstack()
        categories = frame.drop(columns="Total").sum(axis=1)
        assert (categories == frame["Total"]).all()


def test_margins_of_error_cover_the_truth(release, demo_residents):
    """About 95% of cells lie within moe95 of the truth (one release, 3,000 cells)."""
    frame = pd.read_parquet(release.release_dir / "tenure" / "tenure_oa.parquet")
    cells = frame[frame["tenure"] != "Total"]
    people = demo_residents.drop_duplicates("person_id")
    truth = people.groupby(["oa_code", "tenure"], observed=True).size()
    true_counts = np.array(
        [
            truth.get((code, tenure), 0)
            for code, tenure in zip(cells["area_code"], cells["tenure"], strict=True)
        ]
    )
    covered = np.abs(cells["count"].to_numpy() - true_counts) <= cells["moe95"].to_numpy()
    assert 0.92 <= covered.mean() <= 0.99
    errors = cells["count"].to_numpy() - true_counts
    assert abs(errors[true_counts >= 10].mean()) < 5 * cells["moe95"].mean() / 1.96 / np.sqrt(
        (true_counts >= 10).sum()
    )


def test_failing_gate_publishes_nothing_and_keeps_report(demo_workspace, write_config):
    config = minimal_config()
    config["disclosure"] = {"min_area_population": 100_000}
    path = write_config(config)
    before = tree_snapshot(demo_workspace / "catalogue")
    with pytest.raises(DisclosureError) as caught:
        run_pipeline(build_plan(load_config(path)))
    assert caught.value.exit_code == 3
    assert tree_snapshot(demo_workspace / "catalogue") == before
    report = caught.value.report_path
    assert report and report.endswith("risk-report.md")
    document = json.loads(Path(report.replace(".md", ".json")).read_text())
    failed = [check["id"] for check in document["checks"] if not check["passed"]]
    assert failed == ["min-area-population"]
    assert not document["passed"]
