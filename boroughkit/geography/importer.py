"""Build a geography bundle from ONS files: a lookup, boundary files, OA centroids."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import pandas as pd

from boroughkit.geography.boundary_reader import GeometryRead, read_geometry_file
from boroughkit.geography.bundle import BundleInfo, GeographyBundle, OAGeometry
from boroughkit.geography.derive import (
    approximate_oa_polygons,
    dissolve_missing_levels,
    finest_parent_level,
    split_ward_polygons,
)
from boroughkit.geography.levels import CODE_COLUMNS, LEVELS, NAME_COLUMNS, Level, check_level
from boroughkit.geography.lookup_reader import (
    LookupRead,
    LookupRules,
    check_column_map,
    read_lookup,
)
from boroughkit.geography.lookup_repairs import LookupRepair
from boroughkit.geography.storage import too_large

ONS_SOURCE_LINE = (
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0."
)
OS_LINE = "Contains OS data © Crown copyright and database right {year}."
_NO_FILES: Mapping[str, Path | str] = MappingProxyType({})


@dataclass
class ImportReport:
    """What an import produced: the bundle folder, counts per level and what to look at."""

    bundle_path: Path
    name: str
    fingerprint: str
    counts: dict[str, int]
    polygons: dict[str, int]
    oa_geometry: str
    missing_codes: dict[str, list[str]] = field(default_factory=dict)
    dropped_features: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: What the analyst's fixes and the importer's rules changed in the lookup.
    repairs: list[LookupRepair] = field(default_factory=list)

    def summary(self) -> str:
        """A human-readable account of the import, as the CLI prints it."""
        lines = [f"Geography bundle '{self.name}' written to {self.bundle_path}"]
        for level in LEVELS:
            if not self.counts.get(level) and level == "region":
                lines.append(f"  {level:<8}   none (see the note on regions)")
                continue
            polygons = self.polygons.get(level, 0)
            shapes = f"{polygons} polygons" if polygons else "no polygons"
            if level == "oa" and self.oa_geometry == "approximate":
                shapes += " (approximate)"
            lines.append(f"  {level:<8} {self.counts.get(level, 0):>6} areas, {shapes}")
        lines.extend(f"  note: {note}" for note in self.notes)
        if self.repairs:
            lines.append(f"  lookup repairs ({len(self.repairs)}, kept in bundle.json):")
            lines.extend(f"    {repair.rule}: {repair.text}" for repair in self.repairs)
        lines.extend(f"  warning: {warning}" for warning in self.warnings)
        lines.append(f"  fingerprint {self.fingerprint}")
        return "\n".join(lines)


def _boundary_frame(
    level: Level, polygons: gpd.GeoDataFrame, lookup: pd.DataFrame, found: _Findings
) -> gpd.GeoDataFrame:
    """Polygons with the lookup's names; empty polygons are dropped and reported."""
    code_column = CODE_COLUMNS[level]
    areas = lookup.drop_duplicates(code_column)
    names = pd.Series(
        areas[NAME_COLUMNS[level] or code_column].to_numpy(), index=areas[code_column]
    )
    empty = polygons.geometry.is_empty.to_numpy()
    if empty.any():
        found.warnings.append(
            f"{level}: no polygon could be made for {', '.join(polygons['code'][empty][:5])}"
        )
    frame = polygons[~empty].copy()
    frame["name"] = frame["code"].map(names)
    return frame[["code", "name", "approximate", "geometry"]]


def _attribution(
    read: LookupRead, files: list[GeometryRead], given: Sequence[str] | None, warnings: list[str]
) -> tuple[str, ...]:
    if given is not None:
        return tuple(given)
    if not read.ons_codes:
        warnings.append("the lookup does not use ONS codes; pass attribution lines for its source")
        return ()
    lines = [ONS_SOURCE_LINE]
    if files:
        years = [file.year for file in files if file.year is not None]
        lines.append(OS_LINE.format(year=max(years) if years else datetime.date.today().year))
    return tuple(lines)


@dataclass
class _Findings:
    """What reading the files turned up, gathered for the report."""

    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing: dict[str, list[str]] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    files: list[GeometryRead] = field(default_factory=list)

    def record(self, label: str, path: Path, read: GeometryRead) -> None:
        self.files.append(read)
        self.notes.extend(read.notes)
        self.warnings.extend(read.warnings)
        self.missing[label], self.dropped[label] = read.missing, read.dropped
        if read.dropped:
            self.notes.append(
                f"{label}: dropped {read.dropped} feature(s) of {path.name} outside the lookup "
                f"(e.g. {', '.join(read.dropped_examples[:3])})"
            )


def import_bundle(
    lookup: Path,
    out: Path,
    *,
    boundaries: Mapping[str, Path | str] = _NO_FILES,
    centroids: Path | None = None,
    column_map: Mapping[str, str] | None = None,
    name: str | None = None,
    boundary_crs: Mapping[str, str] | None = None,
    centroids_crs: str | None = None,
    boroughs: Sequence[str] | None = None,
    attribution: Sequence[str] | None = None,
    rules: LookupRules | None = None,
) -> ImportReport:
    """Build a bundle from an ONS-style lookup and boundary files and write it to ``out``.

    ``boundaries`` maps a level to a GeoJSON/GeoPackage/GeoParquet/Shapefile in any CRS (files
    covering more than the lookup are filtered); ``boundary_crs``/``centroids_crs`` declare the
    CRS of files that lack one. ``column_map`` maps our column names (``oa_code`` …,
    ``population``, or ``<level>_boundary_code``) to the file's. ``boroughs`` keeps only those
    borough codes of a multi-borough lookup (every borough without it). ``rules`` gives the
    analyst's lookup fixes, the ward rules and a regions file (see
    :mod:`~boroughkit.geography.lookup_repairs` and :mod:`~boroughkit.geography.regions`);
    what they changed is in the report and the bundle. Without OA polygons, OA centroids and
    LSOA (or coarser) polygons give approximate OA polygons. A geography too large for this
    machine's memory is a GeographyError saying how to make it smaller.
    """
    try:
        return _import(
            lookup, out, boundaries=boundaries, centroids=centroids, column_map=column_map,
            name=name, boundary_crs=boundary_crs, centroids_crs=centroids_crs,
            boroughs=boroughs, attribution=attribution, rules=rules,
        )  # fmt: skip
    except MemoryError as error:
        raise too_large(f"importing {lookup}") from error


def _import(
    lookup: Path,
    out: Path,
    *,
    boundaries: Mapping[str, Path | str],
    centroids: Path | None,
    column_map: Mapping[str, str] | None,
    name: str | None,
    boundary_crs: Mapping[str, str] | None,
    centroids_crs: str | None,
    boroughs: Sequence[str] | None,
    attribution: Sequence[str] | None,
    rules: LookupRules | None,
) -> ImportReport:
    mapping = dict(column_map or {})
    check_column_map(mapping)
    files = {check_level(level): Path(path) for level, path in boundaries.items()}
    declared = {check_level(level): crs for level, crs in (boundary_crs or {}).items()}
    read = read_lookup(Path(lookup), mapping, boroughs, rules)
    frame = read.frame
    split = {
        repair.subject: repair.values["parts"]
        for repair in read.repairs
        if repair.rule == "ward-across-lad"
    }
    found = _Findings(notes=list(read.notes), warnings=list(read.warnings))
    polygons: dict[Level, gpd.GeoDataFrame] = {}
    for level in (level for level in LEVELS if level in files):
        known = set(frame[CODE_COLUMNS[level]].dropna())
        if level == "ward":  # a split ward's boundary file has the ward whole
            known = (known - {p["code"] for parts in split.values() for p in parts}) | set(split)
        file = read_geometry_file(
            files[level], level, known, mapping,
            assume_crs=declared.get(level), option=f"--boundaries {level}",
            lookup_year=read.years.get(level),
        )  # fmt: skip
        found.record(level, files[level], file)
        polygons[level] = file.frame.assign(approximate=False)
    centroid_frame = None
    if centroids is not None:
        file = read_geometry_file(
            Path(centroids), "oa", set(frame["oa_code"]), mapping,
            assume_crs=centroids_crs, option="--centroids", points=True,
            lookup_year=read.years.get("oa"),
        )  # fmt: skip
        found.record("centroids", Path(centroids), file)
        centroid_frame = file.frame.rename(columns={"code": "oa_code"})
    found.notes.extend(split_ward_polygons(polygons, split))
    derived_notes, derived_warnings = dissolve_missing_levels(polygons, frame)
    found.notes.extend(derived_notes)
    found.warnings.extend(derived_warnings)
    oa_geometry = _oa_geometry(polygons, centroid_frame, frame, found)
    shapes: dict[str, gpd.GeoDataFrame] = {
        level: _boundary_frame(level, polygons[level], frame, found)
        for level in LEVELS
        if level in polygons
    }
    sources = [Path(lookup), *files.values(), *([Path(centroids)] if centroids else [])]
    info = BundleInfo(
        name=name or _default_name(frame),
        source="imported from " + ", ".join(path.name for path in sources),
        polygon_levels=tuple(shapes),
        oa_geometry=oa_geometry,
        oa_code_pattern=read.oa_code_pattern,
        attribution=_attribution(read, found.files, attribution, found.warnings),
        synthetic=False,
        notes=tuple(
            note
            for note in found.notes
            if note.startswith(("OA polygons", "no OA", "region level", "no region level"))
        ),
        lookup_repairs=tuple(repair.to_dict() for repair in read.repairs),
    )
    bundle = GeographyBundle(
        lookup=frame, boundaries=shapes, info=info, postcodes=None, centroids=centroid_frame
    )
    return ImportReport(
        bundle_path=bundle.save(Path(out)),
        name=info.name,
        fingerprint=bundle.fingerprint,
        counts={level: int(frame[CODE_COLUMNS[level]].nunique()) for level in LEVELS},
        repairs=read.repairs,
        polygons={level: len(shape) for level, shape in shapes.items()},
        oa_geometry=oa_geometry,
        missing_codes=found.missing,
        dropped_features=found.dropped,
        warnings=found.warnings,
        notes=found.notes,
    )


def _default_name(frame: pd.DataFrame) -> str:
    """The borough's name; for many, their region's (or how many there are)."""
    names = sorted(frame["borough_name"].unique())
    if len(names) <= 3:
        return " + ".join(names)
    regions = frame["region_name"].dropna().unique()
    if len(regions) == 1:
        return f"{regions[0]} ({len(names)} boroughs)"
    return f"{len(names)} boroughs ({names[0]} … {names[-1]})"


def _oa_geometry(
    polygons: dict[Level, gpd.GeoDataFrame],
    centroids: gpd.GeoDataFrame | None,
    lookup: pd.DataFrame,
    found: _Findings,
) -> OAGeometry:
    """Add approximate OA polygons when possible; say which kind of OA geometry there is."""
    if "oa" in polygons:
        return "polygons"
    parent = finest_parent_level(polygons)
    if centroids is None or parent is None:
        found.notes.append(
            "no OA polygons: geocoding by coordinates is unavailable (supply --boundaries oa=FILE, "
            "or --centroids FILE with LSOA boundaries for approximate ones)"
        )
        return "none"
    approximate, problems = approximate_oa_polygons(
        centroids.rename(columns={"oa_code": "code"}), polygons[parent], parent, lookup
    )
    polygons["oa"] = approximate
    found.warnings.extend(problems)
    found.notes.append(
        f"OA polygons are approximate: Voronoi cells of the OA centroids, each clipped to its "
        f"{parent} polygon; use them for maps and geocoding with care"
    )
    return "approximate"
