"""The leak scan over every format boroughkit publishes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from shapely.geometry import Point

from boroughkit.disclosure.leaks import (
    build_secret_index,
    scan_for_leaks,
    secret_digest,
    secrets_from_records,
)
from boroughkit.disclosure.report import Finding
from boroughkit.errors import DataError
from tests.helpers.shared_data import GEO

CANARY = "zq-canary-7f3a9c"


def _locations(result_findings: tuple[Finding, ...]) -> set[tuple[str, str, str]]:
    return {
        (Path(f.where["file"]).name, f.where["location"], f.where["kind"]) for f in result_findings
    }


@pytest.fixture()
def secrets() -> dict[str, list[Any]]:
    rng = np.random.default_rng(1)
    return {
        "person_id": [f"P{n:07d}" for n in rng.choice(10**7, 5000, replace=False)],
        "uprn": [int(n) for n in rng.integers(10**11, 10**12, 5000)],
        "postcode": ["RM9 6XX", "ig11 7ab", "E1 6AN"],
        "name": ["Okonkwo-Harris", "Li", "Abbey"],
        "free_text": ["tenant reported damp in the back bedroom", "ok"],
        "canary": [CANARY],
    }


def test_clean_release_passes_and_counts_what_was_skipped(
    tmp_path: Path, secrets: dict[str, list[Any]]
) -> None:
    counts = pd.read_csv(GEO / "census2021_wd22_bestfit_sums_lbbd.csv")
    counts.to_csv(tmp_path / "wards.csv", index=False)
    counts.to_parquet(tmp_path / "wards.parquet")
    (tmp_path / "README.md").write_text("# Ward counts\n\nCounts of residents, ok to use.\n")
    result = scan_for_leaks([tmp_path], secrets, public_values=["Abbey"])
    assert result.passed, result.findings
    assert result.metrics["files"] == 3
    # "Li" and "ok" are too short to search; "Abbey" is a ward name, so public.
    assert result.metrics["skipped_too_short"] == {"name": 1, "free_text": 1}
    assert result.metrics["skipped_public"] == {"name": 1}
    assert "2 value(s) too short" in result.summary


def test_planted_values_are_found_in_every_format(
    tmp_path: Path, secrets: dict[str, list[Any]]
) -> None:
    person, uprn = str(secrets["person_id"][17]), int(secrets["uprn"][99])
    table = pa.table(
        {
            "area": ["E05014053", "E05014054"],
            "note": ["fine", f"ref {person}"],
            "uprn_float": [float(uprn), 3.5],
        }
    )
    pq.write_table(
        table.replace_schema_metadata({"comment": f"built by {CANARY}"}), tmp_path / "cells.parquet"
    )
    points = gpd.GeoDataFrame(
        {"label": ["tenant reported DAMP in the back bedroom!", "x"]},
        geometry=[Point(0.08, 51.54), Point(0.1, 51.55)],
        crs="EPSG:4326",
    )
    points.to_parquet(tmp_path / "points.parquet")
    points.to_file(tmp_path / "points.geojson", driver="GeoJSON")
    (tmp_path / "cells.csv").write_text("area,Okonkwo-Harris\nE05014053,rm96xx\n")
    (tmp_path / "page.html").write_text("<p>Contact: ig11&#32;7AB</p>\n")
    (tmp_path / "notes.md").write_text(f"line one\nline two {uprn}.0\n")
    (tmp_path / "other.xml").write_text(f"<a>{CANARY.upper()}</a>")
    result = scan_for_leaks([tmp_path], secrets)
    assert not result.passed
    assert _locations(result.findings) == {
        ("cells.parquet", "column note", "person_id"),
        ("cells.parquet", "column uprn_float", "uprn"),
        ("cells.parquet", "metadata comment", "canary"),
        ("points.parquet", "column label", "free_text"),
        ("points.geojson", "key $.features[].properties.label", "free_text"),
        ("cells.csv", "column names", "name"),
        ("cells.csv", "column Okonkwo-Harris", "postcode"),
        ("page.html", "text", "postcode"),
        ("notes.md", "text", "uprn"),
        ("other.xml", "text", "canary"),
    }
    notes = next(f for f in result.findings if f.where["file"].endswith("notes.md"))
    assert notes.where["lines"] == [2]


def test_findings_never_show_the_secret(tmp_path: Path, secrets: dict[str, list[Any]]) -> None:
    person = str(secrets["person_id"][3])
    (tmp_path / "out.csv").write_text(f"id\n{person}\n")
    result = scan_for_leaks([tmp_path / "out.csv"], secrets)
    text = json.dumps([f.__dict__ for f in result.findings]) + result.summary
    assert person.lower() not in text.lower()
    assert result.findings[0].where["sha256_prefixes"] == [secret_digest(person)]


def test_short_numeric_ids_do_not_collide_with_counts(tmp_path: Path) -> None:
    # A borough total of 218,887 and a cell of 12 are counts, not the person ids 12 and 218887.
    (tmp_path / "totals.csv").write_text("area,residents\nE09000002,218887\nE05014053,12\n")
    result = scan_for_leaks([tmp_path], {"person_id": ["12", "218887", "00012345678"]})
    assert result.passed
    assert result.metrics["searched"] == {"person_id": 1}
    assert result.metrics["skipped_too_short"] == {"person_id": 2}


def test_files_that_do_not_parse_are_read_as_text(tmp_path: Path) -> None:
    (tmp_path / "broken.parquet").write_text("not parquet: 00012345678\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "ragged.csv").write_text("a,b\n1,2,00012345678\n")
    result = scan_for_leaks([tmp_path], {"person_id": ["00012345678"]})
    assert _locations(result.findings) == {
        ("broken.parquet", "text", "person_id"),
        ("ragged.csv", "text", "person_id"),
    }


def test_leading_zeros_survive_in_csv(tmp_path: Path) -> None:
    (tmp_path / "ids.csv").write_text("id\n00012345678\n")
    result = scan_for_leaks([tmp_path], {"person_id": ["00012345678"]})
    assert _locations(result.findings) == {("ids.csv", "column id", "person_id")}


def test_secrets_from_records_and_missing_files(tmp_path: Path) -> None:
    records = pd.DataFrame({"pid": ["A1", "A2", None], "pc": ["RM9 6XX", "RM9 6XX", "E1 6AN"]})
    secrets = secrets_from_records(records, {"person_id": "pid", "postcode": "pc"}, canary=CANARY)
    assert secrets == {
        "person_id": ["A1", "A2"],
        "postcode": ["RM9 6XX", "E1 6AN"],
        "canary": [CANARY],
    }
    with pytest.raises(DataError, match="uprn"):
        secrets_from_records(records, {"uprn": "uprn"})
    with pytest.raises(DataError, match="no such file"):
        scan_for_leaks([tmp_path / "missing.parquet"], secrets)


def test_index_sorts_values_by_shape() -> None:
    index = build_secret_index(
        {"postcode": ["rm9 6xx", "RM9"], "name": ["Mary Anne Smith", "Smith"], "canary": ["c"]}
    )
    assert set(index.postcodes) == {"RM96XX"}
    assert index.too_short == {"postcode": 1, "name": 1}
    assert [words for words, _, _ in index.phrases["smith"]] == [("mary", "anne", "smith")]
    assert index.canaries == [("canary", "c")]


@pytest.mark.slow
def test_200k_ids_against_a_file_of_many_megabytes(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    ids = [f"R{n:09d}" for n in rng.choice(10**9, 200_000, replace=False)]
    rows = 300_000
    frame = pd.DataFrame(
        {
            "oa_code": [f"E00{n:06d}" for n in rng.integers(0, 190_000, rows)],
            "count": rng.integers(0, 250_000, rows),
            "estimate": rng.normal(100, 30, rows),
            "note": rng.choice(["none", "small area", "merged"], rows),
        }
    )
    frame.loc[[5, 70_000, 250_000], "note"] = [f"see {ids[0]}", ids[1], f"{ids[2]}/{ids[3]}"]
    frame.to_csv(tmp_path / "big.csv", index=False)
    assert (tmp_path / "big.csv").stat().st_size > 8_000_000
    result = scan_for_leaks([tmp_path], {"person_id": ids})
    (finding,) = result.findings
    assert finding.where["values"] == 4 and finding.where["location"] == "column note"
