"""A real release of the demo borough: run → approve → publish, read back by independent tools.

Also: the commands, the metadata against the files it describes, the registers, and opted-out
residents, who change nothing in what is counted.
"""

from __future__ import annotations

import hashlib
import json
import re

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
from click.testing import CliRunner

from boroughkit import build_plan, load_config, run_pipeline
from boroughkit.anonymise import counts
from boroughkit.cli.publishing import approve, publish, retract
from boroughkit.publish import approve_release, publish_release
from boroughkit.publish.dcat import CONTEXT
from boroughkit.publish.geoparquet import has_geometry
from boroughkit.release.load import load_records
from tests.helpers.configs import minimal_config
from tests.helpers.ledger import register

PUBLICATION = {
    "governance": {
        "dpia_reference": "DPIA-2026-007",
        "legal_basis": "UK GDPR Article 6(1)(e)",
        "data_controller": "Demo Borough Council",
    },
    "reference_date": "2026-03-31",
}


@pytest.fixture(scope="module")
def published(tmp_path_factory, demo_residents):
    """One release built by the pipeline, approved and published (shared by the tests here)."""
    from boroughkit.demo import write_residents

    work = tmp_path_factory.mktemp("published")
    write_residents(demo_residents, work / "residents.parquet")
    register(work / "catalogue", "residents")
    config = minimal_config()
    config["publish"].update(PUBLICATION)
    (work / "pipeline.yaml").write_text(json.dumps(config))
    result = run_pipeline(build_plan(load_config(work / "pipeline.yaml")))
    catalogue = work / "catalogue"
    assert result.release_dir == catalogue / "staging" / result.release_id
    approve_release(catalogue, result.release_id, by="Asha Patel")
    outcome = publish_release(catalogue, result.release_id)
    return catalogue, outcome.folder, result.release_id


def _entry(catalogue, release_id):
    index = json.loads((catalogue / "index.json").read_text())
    return next(e for e in index["releases"] if e["id"] == release_id)


def test_files_open_in_pyarrow_duckdb_and_geopandas(published, demo_bundle):
    catalogue, folder, release_id = published
    files = _entry(catalogue, release_id)["files"]
    tables = [f for f in files if f["table"]]
    assert {f["format"] for f in tables} == {"parquet", "csv", "geojson"}
    for item in tables:
        path = folder / item["path"]
        areas = len(demo_bundle.areas(item["level"]))
        if item["format"] == "parquet":
            assert pq.read_metadata(path).num_rows == item["rows"]
            assert duckdb.sql(f"select count(distinct area_code) from '{path}'").fetchall() == [
                (areas,)
            ]
            metadata = pq.read_schema(path).metadata
            assert metadata[b"boroughkit.licence"].startswith(b"Open Government Licence")
            if has_geometry(path):
                assert gpd.read_parquet(path).geometry.is_valid.all()
        elif item["format"] == "geojson":
            layer = pyogrio.read_dataframe(path)
            assert len(layer) == areas and layer.geometry.is_valid.all()
            assert layer.crs is None or layer.crs.to_epsg() == 4326
            assert json.loads(path.read_text())["licence"].startswith("Open Government")
        else:
            frame = pd.read_csv(path, encoding="utf-8")
            assert len(frame) == item["rows"] and frame["area_code"].nunique() == areas
            assert {"count", "noise_sd"} <= set(frame.columns)


def test_datapackage_describes_every_file_exactly(published):
    _, folder, _ = published
    package = json.loads((folder / "datapackage.json").read_text())
    assert package["licenses"][0]["name"] == "OGL-UK-3.0"
    for resource in package["resources"]:
        path = folder / resource["path"]
        assert resource["hash"] == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        assert resource["bytes"] == path.stat().st_size
        if resource.get("type") != "table":
            continue
        names = [field["name"] for field in resource["schema"]["fields"]]
        key = resource["schema"]["primaryKey"]
        relation = duckdb.sql(
            f"select * from {'read_csv_auto' if path.suffix == '.csv' else 'read_parquet'}"
            f"('{path}')"
        )
        assert relation.columns == names
        distinct = duckdb.sql(
            f"select count(*) from (select distinct {', '.join(key)} from relation)"
        ).fetchall()[0][0]
        assert distinct == len(relation.fetchall())  # the primary key identifies each row
        types = dict(zip(names, [f["type"] for f in resource["schema"]["fields"]], strict=True))
        assert types["count"] == "integer" and types["noise_sd"] == "number"


def test_dcat_points_at_the_files_with_their_checksums(published):
    catalogue, folder, release_id = published
    document = json.loads((folder / "dcat.jsonld").read_text())
    text = json.dumps(document)
    used = {token.split(":")[0] for token in re.findall(r'"([a-z]+:[A-Za-z_]+)"', text)}
    assert used - {"http", "https"} <= set(CONTEXT)  # every prefix used is declared
    assert document["@type"] == "dcat:Dataset" and document["dct:identifier"] == release_id
    assert document["dct:temporal"]["dcat:endDate"]["@value"] == "2026-03-31"
    assert "differentially private" in document["dct:provenance"]["rdfs:label"]
    assert document["dct:spatial"]["skos:prefLabel"] == "Demo Borough"
    for distribution in document["dcat:distribution"]:
        path = folder / distribution["dcat:downloadURL"]["@id"]
        checksum = distribution["spdx:checksum"]["spdx:checksumValue"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == checksum
        assert distribution["dcat:mediaType"]["@id"].startswith("https://www.iana.org/")
    west, south, east, north = _entry(catalogue, release_id)["spatial"]["bbox"]
    layer = gpd.read_file(folder / "tenure" / "tenure_oa.geojson")
    minx, miny, maxx, maxy = layer.total_bounds
    assert west <= minx and south <= miny and maxx <= east and maxy <= north
    catalog = json.loads((catalogue / "catalog.jsonld").read_text())
    assert [d["dct:identifier"] for d in catalog["dcat:dataset"]] == [release_id]


def test_the_transparency_register_carries_the_config_fields(published):
    catalogue, _, release_id = published
    register = json.loads((catalogue / "registers" / "transparency.json").read_text())
    (row,) = register["entries"]
    assert (row["release_id"], row["dpia_reference"], row["legal_basis"]) == (
        release_id,
        "DPIA-2026-007",
        "UK GDPR Article 6(1)(e)",
    )
    assert row["privacy_budget"].startswith("ρ = 1/2") and row["approved_by"] == "Asha Patel"


def test_commands_approve_publish_and_retract(demo_workspace, write_config):
    result = run_pipeline(build_plan(load_config(write_config(minimal_config()))))
    catalogue = str(demo_workspace / "catalogue")
    runner = CliRunner()
    refused = runner.invoke(publish, [result.release_id, "--catalogue", catalogue])
    assert refused.exit_code == 5 and "has not been approved" in refused.output
    approved = runner.invoke(
        approve, [result.release_id, "--by", "Asha Patel", "--catalogue", catalogue]
    )
    assert approved.exit_code == 0 and "approved by Asha Patel" in approved.output
    done = runner.invoke(publish, [result.release_id, "--catalogue", catalogue])
    assert done.exit_code == 0, done.output
    assert f"releases/{result.release_id}" in done.output and "version 1" in done.output
    missing = runner.invoke(retract, [result.release_id, "--catalogue", catalogue])
    assert missing.exit_code == 2 and "--reason" in missing.output
    withdrawn = runner.invoke(
        retract, [result.release_id, "--reason", "Wrong year.", "--catalogue", catalogue]
    )
    assert withdrawn.exit_code == 0 and "withdrawn" in withdrawn.output
    register = (demo_workspace / "catalogue" / "registers" / "transparency.csv").read_text()
    assert "Wrong year." in register


def test_an_opted_out_resident_changes_nothing_that_is_counted(
    tmp_path, demo_residents, demo_bundle
):
    """Rows present but opted out, or absent: the true counts fed to the noise are identical."""
    from boroughkit.config.models import SourceConfig

    people = demo_residents.drop_duplicates("person_id")
    chosen = people.sample(3, random_state=1)["person_id"].tolist()
    with_rows = tmp_path / "with.parquet"
    without_rows = tmp_path / "without.parquet"
    demo_residents.to_parquet(with_rows)
    demo_residents[~demo_residents["person_id"].isin(chosen)].to_parquet(without_rows)
    register = tmp_path / "opt-outs.csv"
    pd.DataFrame({"person_id": chosen}).to_csv(register, index=False)
    source = SourceConfig(
        path=with_rows,
        opt_outs=register,
        opt_out_column="person_id",
        columns={
            "tenure": {
                "type": "category",
                "values": ["owned_outright", "owned_mortgage", "social_rented", "private_rented"],
            }
        },
    )
    columns = ["person_id", "oa_code", "tenure"]
    opted = load_records(source, with_rows, columns, register)
    absent = load_records(source, without_rows, columns, None)
    assert opted.opted_out_rows == int(demo_residents["person_id"].isin(chosen).sum()) > 0
    grid = counts.category_grid(["tenure"], {"tenure": source.columns["tenure"].values})
    oa_codes = demo_bundle.areas("oa")["code"].tolist()
    truth = []
    for loaded in (opted, absent):
        cells = counts.bounded_cells(
            loaded.frame, person="person_id", grid=grid, max_cells=1, rng=np.random.default_rng()
        )
        truth.append(counts.oa_cell_counts(cells, oa_codes, len(grid.cells)))
    assert np.array_equal(truth[0], truth[1])
    full = counts.bounded_cells(
        load_records(source, with_rows, columns, None).frame,
        person="person_id",
        grid=grid,
        max_cells=1,
        rng=np.random.default_rng(),
    )
    assert counts.oa_cell_counts(full, oa_codes, len(grid.cells)).sum() == truth[0].sum() + 3


def test_opted_out_rows_leave_the_manifest_as_if_absent(tmp_path, demo_residents):
    """Besides the noise, the only trace of opted-out rows would be input counts: they are in
    the private input-facts.json, never in the manifest."""
    chosen = demo_residents["person_id"].drop_duplicates().sample(2, random_state=5).tolist()
    demo_residents.to_parquet(tmp_path / "with.parquet")
    demo_residents[~demo_residents["person_id"].isin(chosen)].to_parquet(
        tmp_path / "without.parquet"
    )
    pd.DataFrame({"person_id": chosen}).to_csv(tmp_path / "opt-outs.csv", index=False)
    register(tmp_path / "catalogue", "residents")
    manifests = []
    for name, extra in (
        ("with", {"opt_outs": "opt-outs.csv", "opt_out_column": "person_id"}),
        ("without", {}),
    ):
        config = minimal_config(name=f"opt-{name}")
        config["source"].update({"path": f"{name}.parquet", "dataset": "residents", **extra})
        (tmp_path / f"{name}.yaml").write_text(json.dumps(config))
        result = run_pipeline(build_plan(load_config(tmp_path / f"{name}.yaml")))
        manifest = json.loads((result.release_dir / "manifest.json").read_text())
        facts = json.loads((result.release_dir / "input-facts.json").read_text())
        assert facts["opted_out_rows"] == (
            int(demo_residents["person_id"].isin(chosen).sum()) if name == "with" else 0
        )
        for key in ("release_id", "name", "created", "files", "budget"):  # budget: 2 charges
            manifest.pop(key)
        manifests.append(manifest)
    assert "input" not in manifests[0]
    assert manifests[0] == manifests[1]
