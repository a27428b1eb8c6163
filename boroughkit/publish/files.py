"""Write one published table as Parquet (GeoParquet where there is geometry), CSV and RFC 7946
GeoJSON, each saying what it is."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import shapely
from shapely.geometry import mapping

from boroughkit.publish.checksums import sha256_of as sha256_of  # re-exported
from boroughkit.publish.columns import ALL_CELL, ERROR_COLUMNS, TOTAL_CATEGORY
from boroughkit.publish.geoparquet import area_shapes, to_arrow, write_geoparquet


@dataclass(frozen=True)
class WrittenFile:
    """A file of the release as listed in the manifest."""

    path: str  # relative to the release folder
    format: str
    table: str
    level: str
    sha256: str
    rows: int
    #: The borough a per-borough GeoJSON file covers (None: the file covers every area).
    borough: str | None = None

    def listed(self) -> dict[str, object]:
        """The file as the manifest lists it (``borough`` only on a per-borough file)."""
        document = asdict(self)
        if self.borough is None:
            del document["borough"]
        return document


def write_parquet(
    frame: pd.DataFrame,
    path: Path,
    metadata: Mapping[str, str],
    boundaries: gpd.GeoDataFrame | None = None,
) -> None:
    """Parquet with the release's description in the key-value metadata and a description on
    every column; GeoParquet 1.1 when ``boundaries`` of the level are given."""
    if boundaries is not None:
        write_geoparquet(frame, boundaries, path, metadata)
    else:
        pq.write_table(to_arrow(frame.reset_index(drop=True), metadata), path)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV with a header, UTF-8."""
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def _rfc7946_geometry(geometry: shapely.Geometry) -> dict[str, object]:
    # RFC 7946: lon/lat, counter-clockwise exterior rings; already rounded by area_shapes.
    return dict(mapping(geometry))


def wide_properties(
    frame: pd.DataFrame, category_columns: Sequence[str], statistic: str
) -> pd.DataFrame:
    """One row per area; each category cell becomes ``count[col=value]`` (and its error)."""
    keys = (
        frame[list(category_columns)].astype(str).agg(",".join, axis=1)
        if category_columns
        else pd.Series(ALL_CELL, index=frame.index)
    )
    labels = keys.map(lambda key: ALL_CELL if set(key.split(",")) == {TOTAL_CATEGORY} else key)
    if category_columns:
        names = [
            ",".join(f"{c}={v}" for c, v in zip(category_columns, key.split(","), strict=True))
            if key != ALL_CELL
            else ALL_CELL
            for key in labels
        ]
    else:
        names = list(labels)
    frame = frame.assign(_cell=names)
    error_columns = [c for c in ERROR_COLUMNS if c in frame.columns]
    wide = frame.pivot(index="area_code", columns="_cell", values=[statistic, *error_columns])
    wide.columns = [f"{pair[0]}[{pair[1]}]" for pair in wide.columns]
    if statistic == "count":  # the pivot made them floats; counts are integers
        counted = [c for c in wide.columns if c.startswith("count[")]
        wide[counted] = wide[counted].round().astype("Int64")
    return wide.reset_index()


def write_geojson(
    frame: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    path: Path,
    *,
    category_columns: Sequence[str],
    statistic: str,
    properties: Mapping[str, object],
) -> int:
    """An RFC 7946 FeatureCollection, one feature per area with its values as properties."""
    wide = wide_properties(frame, category_columns, statistic)
    names = frame.drop_duplicates("area_code").set_index("area_code")["area_name"]
    approximate = boundaries.set_index("code").get("approximate")
    shapes = area_shapes(boundaries, wide["area_code"], path)
    features = []
    for position, record in enumerate(wide.to_dict(orient="records")):
        code = record.pop("area_code")
        props: dict[str, object] = {
            "area_code": code,
            "area_name": names[code],
            "level": frame["level"].iloc[0],
        }
        props.update({str(k): _plain(v) for k, v in record.items()})
        props["geometry_approximate"] = bool(approximate is not None and approximate[code])
        features.append(
            {
                "type": "Feature",
                "id": code,
                "properties": props,
                "geometry": _rfc7946_geometry(shapes.iloc[position]),
            }
        )
    bbox = [round(float(v), 6) for v in shapes.total_bounds] if features else None
    collection = {
        "type": "FeatureCollection",
        **dict(properties),
        **({"bbox": bbox} if bbox else {}),
        "features": features,
    }
    path.write_text(json.dumps(collection, ensure_ascii=False, allow_nan=False), encoding="utf-8")
    return len(features)


def _plain(value: object) -> object:
    if value is pd.NA:  # a suppressed cell
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        # An empty cell (a mean of no rows, a suppressed value) is null in JSON, never NaN.
        return None if np.isnan(value) else float(value)
    return value
