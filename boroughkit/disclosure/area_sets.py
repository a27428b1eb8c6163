"""Published areas as sets of 2021 Output Areas, and the OA populations behind them.

Differencing works on area *definitions*: a level (``"ward"``) or a custom name (``"estates"``)
mapping each area code to the OA codes it is built from. Standard levels come from a bundle's
lookup; custom areas from polygons or from lists of OAs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from boroughkit.errors import ConfigError, DataError, GeographyError

if TYPE_CHECKING:
    from boroughkit.geography.bundle import GeographyBundle

#: Definition (a level or a custom name) → area code → the OA codes of the area.
AreaSets = Mapping[str, Mapping[str, frozenset[str]]]

WGS84 = "EPSG:4326"


def areas_from_lookup(
    lookup: pd.DataFrame, levels: Iterable[str]
) -> dict[str, dict[str, frozenset[str]]]:
    """Standard levels of a bundle lookup as area code → OA set (e.g. ``bundle.lookup``)."""
    result: dict[str, dict[str, frozenset[str]]] = {}
    for level in levels:
        column = f"{level}_code"
        if column not in lookup.columns:
            raise ConfigError(
                f"the lookup has no column {column!r} for level {level!r}",
                fix="use levels among oa, lsoa, msoa, ward, borough",
            )
        grouped: defaultdict[str, set[str]] = defaultdict(set)
        for oa, code in zip(lookup["oa_code"].astype(str), lookup[column].astype(str), strict=True):
            grouped[code].add(oa)
        result[level] = {code: frozenset(oas) for code, oas in sorted(grouped.items())}
    return result


def names_from_lookup(lookup: pd.DataFrame, levels: Iterable[str]) -> dict[str, dict[str, str]]:
    """Area names per level from a bundle lookup (OAs are named by their code)."""
    result: dict[str, dict[str, str]] = {}
    for level in levels:
        name_column = f"{level}_name"
        code = lookup[f"{level}_code"].astype(str)
        name = lookup[name_column].astype(str) if name_column in lookup.columns else code
        result[level] = dict(zip(code, name, strict=True))
    return result


def population_series(oa_population: Mapping[str, int] | pd.Series) -> pd.Series:
    """OA code → whole number of residents (or of records); OAs of unknown size are left out.

    The checks name any OA they need whose population is not known.
    """
    series = (
        pd.Series(oa_population, dtype="object")
        if isinstance(oa_population, Mapping)
        else oa_population.copy()
    )
    series.index = series.index.astype(str)
    numbers = pd.to_numeric(series, errors="coerce")
    bad = numbers.isna() & series.notna()
    if bad.any():
        raise DataError(
            f"populations of OA(s) {', '.join(series.index[bad][:5])} are not numbers",
            fix="give whole numbers of residents per OA",
        )
    return numbers.dropna().round().astype("int64")


def oa_counts_from_records(
    records: pd.DataFrame, oa_column: str, by: Sequence[str] = ()
) -> pd.Series | pd.DataFrame:
    """Counts of records per OA: a Series (no ``by``) or OA × category DataFrame.

    Categories of several ``by`` columns are labelled ``"a / b"``. Records without an OA are
    not counted (the geocoding report accounts for them).
    """
    missing = [c for c in (oa_column, *by) if c not in records.columns]
    if missing:
        raise DataError(
            f"records lack column(s) {', '.join(missing)}",
            fix="name the OA column and category columns of the records",
        )
    located = records[records[oa_column].notna()]
    if not by:
        return located.groupby(located[oa_column].astype(str)).size().rename("population")
    labels = located[list(by)].astype(str).agg(" / ".join, axis=1)
    table = pd.crosstab(located[oa_column].astype(str), labels)
    table.columns.name = None
    return table


def custom_areas_from_polygons(
    polygons: gpd.GeoDataFrame, bundle: GeographyBundle, *, code_column: str = "code"
) -> dict[str, frozenset[str]]:
    """Custom areas drawn as polygons (estates, catchments) as sets of the bundle's OAs.

    Rule: an OA belongs to a custom area when its point lies inside the polygon or on its edge.
    The point is the OA's population-weighted centroid when the bundle has centroids (the rule
    ONS uses to fit OAs to wards, so custom areas are built the way wards are); otherwise a
    representative point of the OA polygon (always inside it; the polygons may be approximate).
    Features sharing a code are merged; overlapping polygons may share OAs. A polygon that holds
    no OA point is an error, since no figure can be built for it from OAs.
    """
    if code_column not in polygons.columns:
        raise GeographyError(
            f"custom area polygons have no {code_column!r} column "
            f"(they have {', '.join(map(str, polygons.columns))})",
            fix="pass code_column= naming the column that identifies each area",
        )
    if polygons.crs is None:
        raise GeographyError(
            "custom area polygons have no CRS",
            fix="set it, e.g. polygons.set_crs('EPSG:27700') for British National Grid",
        )
    shapes = gpd.GeoDataFrame(
        {"_area": polygons[code_column].astype(str).to_numpy()},
        geometry=polygons.geometry.to_crs(WGS84).to_numpy(),
        crs=WGS84,
    )
    polygonal = shapes.geom_type.isin(["Polygon", "MultiPolygon"]) & shapes.is_valid
    if not polygonal.all():
        bad = ", ".join(shapes.loc[~polygonal, "_area"].head(5))
        raise GeographyError(
            f"custom areas {bad} are not valid polygons",
            fix="repair them (e.g. shapely.make_valid) or drop non-polygon features",
        )
    joined = gpd.sjoin(_oa_points(bundle), shapes, predicate="intersects", how="inner")
    result = {
        code: frozenset(group["oa_code"].astype(str))
        for code, group in joined.groupby("_area", sort=True)
    }
    empty = sorted(set(shapes["_area"]) - set(result))
    if empty:
        raise GeographyError(
            f"custom area(s) {', '.join(empty)} contain no OA point, so no figure can be "
            "built for them",
            fix="draw them to cover at least one OA centroid, or list their OAs instead",
        )
    return result


def custom_areas_from_lists(
    mapping: Mapping[str, Iterable[str]], *, known_oas: Iterable[str] | None = None
) -> dict[str, frozenset[str]]:
    """Custom areas given as lists of OA codes (area code → OA codes), checked.

    With ``known_oas`` (e.g. ``bundle.lookup["oa_code"]``) every code must be a known OA.
    """
    known = None if known_oas is None else {str(oa) for oa in known_oas}
    result: dict[str, frozenset[str]] = {}
    for code, oas in mapping.items():
        members = frozenset(str(oa).strip() for oa in oas if str(oa).strip())
        if not members:
            raise GeographyError(
                f"custom area {code!r} lists no OA", fix="list the OA codes that make up the area"
            )
        unknown = sorted(members - known) if known is not None else []
        if unknown:
            raise GeographyError(
                f"custom area {code!r} lists OA codes not in the geography: "
                f"{', '.join(unknown[:5])}",
                fix="use 2021 OA codes of the borough's lookup",
            )
        result[str(code)] = members
    return result


def _oa_points(bundle: GeographyBundle) -> gpd.GeoDataFrame:
    known = set(bundle.lookup["oa_code"].astype(str))
    if bundle.centroids is not None:
        points = bundle.centroids[["oa_code", "geometry"]]
    elif "oa" in bundle.boundaries:
        oas = bundle.boundaries["oa"]
        points = gpd.GeoDataFrame(
            {"oa_code": oas["code"].to_numpy()},
            geometry=oas.geometry.representative_point().to_numpy(),
            crs=oas.crs,
        )
    else:
        raise GeographyError(
            "the geography bundle has neither OA centroids nor OA polygons, so custom polygons "
            "cannot be matched to OAs",
            fix="give the custom areas as OA lists, or import OA centroids or boundaries "
            "with `boroughkit geography import`",
        )
    points = points.to_crs(WGS84)
    return points[points["oa_code"].astype(str).isin(known)].reset_index(drop=True)
