"""Published files open as they are in independent readers: GeoParquet, GeoJSON, CSV."""

from __future__ import annotations

import json
import re

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely

from boroughkit.publish.files import wide_properties
from boroughkit.publish.release_writer import write_table_files
from tests.helpers.publishing import fake_frame

METADATA = {
    "licence": "Open Government Licence v3.0 (https://…)",
    "method": "dp-tables",
    "attribution": "Contains OS data © Crown copyright and database right 2026",
}


@pytest.fixture
def written(tmp_path, demo_bundle):
    frame = fake_frame(demo_bundle, "lsoa")
    frame.loc[0, "area_name"] = "Lé Quartier — Nörth"  # non-ASCII survives every format
    files = write_table_files(
        tmp_path,
        table="tenure",
        level="lsoa",
        frame=frame,
        category_columns=["tenure"],
        statistic="count",
        formats=["parquet", "geojson", "csv"],
        boundaries=demo_bundle.boundaries["lsoa"],
        file_metadata=METADATA,
        geoparquet=True,
    )
    return tmp_path, frame, {f.format: tmp_path / f.path for f in files}


def test_parquet_is_geoparquet_1_1_with_bbox_covering(written, demo_bundle):
    _, frame, paths = written
    path = paths["parquet"]
    schema = pq.read_schema(path)
    geo = json.loads(schema.metadata[b"geo"])
    column = geo["columns"]["geometry"]
    assert geo["version"] == "1.1.0" and geo["primary_column"] == "geometry"
    assert column["encoding"] == "WKB" and column["crs"]["id"]["code"] == "CRS84"
    assert column["covering"]["bbox"]["xmin"] == ["bbox", "xmin"]
    assert schema.metadata[b"boroughkit.licence"].decode().startswith("Open Government")
    assert b"margin" in schema.field("moe95").metadata[b"description"]
    layer = gpd.read_parquet(path)  # GeoPandas reads the geo metadata
    assert len(layer) == len(frame) and layer.crs.to_string() in ("OGC:CRS84", "EPSG:4326")
    assert layer.geometry.is_valid.all()
    assert layer["area_name"].iloc[0] == "Lé Quartier — Nörth"
    bounds = shapely.bounds(layer.geometry.to_numpy())
    boxes = pq.read_table(path, columns=["bbox"]).column("bbox").to_pylist()
    assert boxes[0] == dict(zip(["xmin", "ymin", "xmax", "ymax"], bounds[0], strict=True))
    assert column["bbox"] == pytest.approx(list(layer.total_bounds))
    # DuckDB without extensions: the covering column filters rows by place.
    west = float(layer.total_bounds[0]) + 0.01
    hits = duckdb.sql(f"select count(*) from '{path}' where bbox.xmax < {west}").fetchall()[0][0]
    assert hits == int((bounds[:, 2] < west).sum()) > 0


def test_parquet_without_boundaries_is_plain(tmp_path, demo_bundle):
    frame = fake_frame(demo_bundle, "ward")
    (entry,) = write_table_files(
        tmp_path,
        table="t",
        level="ward",
        frame=frame,
        category_columns=["tenure"],
        statistic="count",
        formats=["parquet"],
        boundaries=None,
        file_metadata=METADATA,
    )
    schema = pq.read_schema(tmp_path / entry.path)
    assert b"geo" not in schema.metadata and "geometry" not in schema.names
    assert pd.read_parquet(tmp_path / entry.path).equals(frame)


def _coordinates(geometry):
    rings = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return rings


def test_geojson_is_rfc7946(written, demo_bundle):
    _, frame, paths = written
    text = paths["geojson"].read_text(encoding="utf-8")
    document = json.loads(text)
    assert document["type"] == "FeatureCollection" and "crs" not in document
    assert document["licence"].startswith("Open Government") and document["method"]
    assert len(document["bbox"]) == 4
    assert len(document["features"]) == len(demo_bundle.areas("lsoa"))
    decimals = {len(match) for match in re.findall(r"\.(\d+)", text.split('"features"')[1])}
    assert max(decimals) <= 6
    for feature in document["features"]:
        for polygon in _coordinates(feature["geometry"]):
            exterior = shapely.LinearRing(polygon[0])
            assert exterior.is_ccw, feature["id"]  # RFC 7946 §3.1.6: exterior counter-clockwise
            for hole in polygon[1:]:
                assert not shapely.LinearRing(hole).is_ccw
            for lon, lat in polygon[0]:
                assert 2 < lon < 3 and 52 < lat < 53  # lon/lat order
    layer = pyogrio.read_dataframe(paths["geojson"])  # GDAL's GeoJSON driver
    assert layer.geometry.is_valid.all() and len(layer) == len(document["features"])
    first = document["features"][0]["properties"]
    assert first["count[all]"] == int(frame.loc[2, "count"])
    assert first["moe95[tenure=owned]"] == 3.92


def test_csv_is_utf8_with_a_header_and_the_error_columns(written):
    _, frame, paths = written
    raw = paths["csv"].read_bytes()
    assert raw.decode("utf-8").splitlines()[0] == ",".join(frame.columns)
    read = pd.read_csv(paths["csv"], encoding="utf-8")
    assert read["area_name"][0] == "Lé Quartier — Nörth"
    assert {"noise_sd", "moe95"} <= set(read.columns)
    layer = pyogrio.read_dataframe(paths["csv"])
    assert len(layer) == len(frame)


def test_wide_properties_carry_whichever_error_column_exists(demo_bundle):
    frame = fake_frame(demo_bundle, "ward").drop(columns="moe95")
    wide = wide_properties(frame, ["tenure"], "count")
    assert "noise_sd[tenure=owned]" in wide and not any(c.startswith("moe95") for c in wide)
    assert pd.api.types.is_integer_dtype(wide["count[all]"])


def test_an_empty_cell_is_null_in_geojson_never_nan():
    from boroughkit.publish.files import _plain

    assert _plain(float("nan")) is None and _plain(np.float64("nan")) is None
    assert _plain(2.5) == 2.5 and _plain(np.int64(3)) == 3
