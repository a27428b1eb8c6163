"""GeoParquet 1.1: the table's rows with each area's boundary as WKB and a bbox covering column.

Readers that know GeoParquet (GeoPandas, GDAL, DuckDB spatial, QGIS) see a layer; readers that do
not (pandas, DuckDB without extensions, Excel's Power Query) see the same columns as the plain
Parquet plus two extra ones they can ignore.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from pyproj import CRS
from shapely.geometry.polygon import orient

from boroughkit.errors import GeographyError
from boroughkit.publish.columns import describe_column

GEOPARQUET_VERSION = "1.1.0"


def rfc7946_shape(geometry: shapely.Geometry) -> shapely.Geometry:
    """Round to 6 decimals (about 10 cm) and orient exterior rings counter-clockwise.

    Orientation comes after rounding because snapping to the grid can flip a thin ring.
    """
    if geometry is None or geometry.is_empty:
        return geometry
    geometry = shapely.set_precision(geometry, 1e-6)
    if geometry.geom_type == "Polygon":
        return orient(geometry, 1.0)
    if geometry.geom_type == "MultiPolygon":
        return shapely.MultiPolygon([orient(part, 1.0) for part in geometry.geoms])
    return geometry


@cache
def _crs84() -> dict[str, Any]:
    return dict(CRS("OGC:CRS84").to_json_dict())


def area_shapes(boundaries: gpd.GeoDataFrame, codes: pd.Series, where: Path) -> gpd.GeoSeries:
    """The published shape of each area code (one per row of ``codes``), in lon/lat."""
    if boundaries.crs is not None and not boundaries.crs.equals(CRS("EPSG:4326")):
        boundaries = boundaries.to_crs("EPSG:4326")
    shapes = boundaries.set_index("code").geometry
    missing = sorted(set(codes) - set(shapes.index))
    if missing:
        raise GeographyError(
            f"{where}: no boundary for area(s) {', '.join(missing[:5])}",
            fix="rebuild the geography bundle so every area of the level has a polygon",
        )
    unique = {code: rfc7946_shape(shapes[code]) for code in pd.unique(codes)}
    return gpd.GeoSeries([unique[code] for code in codes], index=codes.index, crs="OGC:CRS84")


def geo_metadata(shapes: gpd.GeoSeries) -> dict[str, Any]:
    """The ``geo`` key-value metadata of GeoParquet 1.1 for one WKB column with bbox covering."""
    bounds = [float(v) for v in shapes.total_bounds] if len(shapes) else []
    return {
        "version": GEOPARQUET_VERSION,
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": sorted(set(shapes.geom_type.dropna())),
                "crs": _crs84(),
                "orientation": "counterclockwise",
                "edges": "planar",
                "bbox": bounds,
                "covering": {
                    "bbox": {
                        "xmin": ["bbox", "xmin"],
                        "ymin": ["bbox", "ymin"],
                        "xmax": ["bbox", "xmax"],
                        "ymax": ["bbox", "ymax"],
                    }
                },
            }
        },
    }


def to_arrow(
    frame: pd.DataFrame,
    metadata: Mapping[str, str],
    shapes: gpd.GeoSeries | None = None,
) -> pa.Table:
    """Arrow table of ``frame`` with column descriptions, the release's description and, with
    ``shapes``, a GeoParquet geometry and bbox column."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    extra: dict[bytes, bytes] = {
        f"boroughkit.{key}".encode(): value.encode() for key, value in metadata.items()
    }
    if shapes is not None:
        bounds = shapely.bounds(shapes.to_numpy())
        bbox = pa.StructArray.from_arrays(
            [pa.array(bounds[:, i], pa.float64()) for i in range(4)],
            names=["xmin", "ymin", "xmax", "ymax"],
        )
        wkb = pa.array(list(shapely.to_wkb(shapes.to_numpy(), output_dimension=2)), pa.binary())
        table = table.append_column("geometry", wkb).append_column("bbox", bbox)
        extra[b"geo"] = json.dumps(geo_metadata(shapes)).encode()
    fields = [
        field.with_metadata({"description": describe_column(field.name).description.encode()})
        for field in table.schema
    ]
    schema = pa.schema(fields, metadata={**(table.schema.metadata or {}), **extra})
    return table.cast(schema)


def write_geoparquet(
    frame: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    path: Path,
    metadata: Mapping[str, str],
) -> None:
    """Write ``frame`` as GeoParquet 1.1, each row carrying its area's boundary."""
    shapes = area_shapes(boundaries, frame["area_code"].reset_index(drop=True), path)
    extra = dict(metadata)
    approximate = approximate_codes(boundaries, frame["area_code"])
    if approximate:
        extra["approximate_areas"] = json.dumps(approximate)
    table = to_arrow(frame.reset_index(drop=True), extra, shapes)
    pq.write_table(table, path, row_group_size=max(1, min(len(frame), 64_000)))


def approximate_codes(boundaries: gpd.GeoDataFrame, codes: pd.Series) -> list[str]:
    """Codes among ``codes`` whose boundary is flagged as approximate."""
    if "approximate" not in boundaries:
        return []
    flagged = boundaries.loc[boundaries["approximate"].astype(bool), "code"]
    return sorted(str(code) for code in flagged[flagged.isin(codes)])


def has_geometry(path: Path) -> bool:
    """Whether a Parquet file declares GeoParquet geometry."""
    return b"geo" in (pq.read_schema(path).metadata or {})
