"""A geography bundle: the OA lookup, boundaries and postcodes of one borough or many, as one value.

A bundle is immutable once built. On disk it is a folder written by :meth:`GeographyBundle.save`
(see :mod:`boroughkit.geography.storage` for the layout) and read back by
:meth:`GeographyBundle.load`; its :attr:`~GeographyBundle.fingerprint` is stable across the two.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, get_args

import geopandas as gpd
import pandas as pd

from boroughkit.errors import GeographyError
from boroughkit.geography import storage, validation
from boroughkit.geography.levels import CODE_COLUMNS, LEVELS, NAME_COLUMNS, check_level

OAGeometry = Literal["polygons", "approximate", "none"]


@dataclass(frozen=True)
class BundleInfo:
    """Descriptive facts about a bundle: where it came from and what geometry it holds.

    ``oa_geometry`` is ``"polygons"`` when real OA boundaries were supplied, ``"approximate"``
    when OA polygons were derived (e.g. from population-weighted centroids) and ``"none"`` when
    the bundle has no OA polygons. ``attribution`` lines must accompany anything published.
    """

    name: str
    source: str
    polygon_levels: tuple[str, ...]
    oa_geometry: OAGeometry
    oa_code_pattern: str
    attribution: tuple[str, ...]
    synthetic: bool
    notes: tuple[str, ...] = field(default=())
    #: What the import changed in the lookup (the analyst's fixes, the ward rules), each a
    #: ``LookupRepair.to_dict()``: a release's method statement can cite them.
    lookup_repairs: tuple[dict[str, Any], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the info."""
        data = asdict(self)
        for key in ("polygon_levels", "attribution", "notes", "lookup_repairs"):
            data[key] = list(data[key])
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source_file: str) -> BundleInfo:
        """Rebuild info from :meth:`to_dict` output; a GeographyError names ``source_file``."""
        try:
            info = cls(
                name=str(data["name"]),
                source=str(data["source"]),
                polygon_levels=tuple(str(level) for level in data["polygon_levels"]),
                oa_geometry=data["oa_geometry"],
                oa_code_pattern=str(data["oa_code_pattern"]),
                attribution=tuple(str(line) for line in data["attribution"]),
                synthetic=bool(data["synthetic"]),
                notes=tuple(str(note) for note in data.get("notes", ())),
                lookup_repairs=tuple(dict(item) for item in data.get("lookup_repairs", ())),
            )
        except (KeyError, TypeError) as error:
            raise GeographyError(
                f"{source_file}: the 'info' section is incomplete ({error})",
                fix="re-create the bundle with `boroughkit geography import`",
            ) from error
        if info.oa_geometry not in get_args(OAGeometry):
            raise GeographyError(
                f"{source_file}: oa_geometry {info.oa_geometry!r} is not one of "
                f"{', '.join(get_args(OAGeometry))}",
                fix="re-create the bundle with `boroughkit geography import`",
            )
        return info


@dataclass(frozen=True, eq=False)
class GeographyBundle:
    """The geography of one or more boroughs: lookup, boundaries per level, optional postcodes
    and centroids.

    ``lookup`` has one row per OA (columns :data:`~boroughkit.geography.levels.LOOKUP_COLUMNS`);
    ``boundaries`` maps a level to a GeoDataFrame (``code, name, approximate, geometry``,
    EPSG:4326) for the levels that have polygons; ``postcodes`` maps ``postcode`` to
    ``oa_code``; ``centroids`` holds OA points (``oa_code, geometry``) when they were supplied.
    """

    lookup: pd.DataFrame
    boundaries: Mapping[str, gpd.GeoDataFrame]
    info: BundleInfo
    postcodes: pd.DataFrame | None = None
    centroids: gpd.GeoDataFrame | None = None

    def __post_init__(self) -> None:
        # Normalise once so that every consumer (and the fingerprint) sees the same shapes.
        parts = validation.normalise_parts(
            self.lookup, self.boundaries, self.info, self.postcodes, self.centroids
        )
        object.__setattr__(self, "lookup", parts.lookup)
        object.__setattr__(self, "boundaries", parts.boundaries)
        object.__setattr__(self, "postcodes", parts.postcodes)
        object.__setattr__(self, "centroids", parts.centroids)

    @cached_property
    def levels(self) -> tuple[str, ...]:
        """The levels this bundle has, finest first (``region`` only when every OA has one)."""
        return validation.available_levels(self.lookup)

    def require_level(self, level: str, *, where: str = "") -> None:
        """Raise a GeographyError saying how to add ``level`` when the bundle lacks it."""
        checked = check_level(level)
        if checked in self.levels:
            return
        raise GeographyError(
            f"{where + ': ' if where else ''}the geography bundle '{self.info.name}' has no "
            f"{checked} level (its lookup gave no {checked} for its boroughs)",
            fix="import the geography again with a region column (--column region_code=RGN22CD)"
            " or --regions FILE (lad_code,region_code,region_name), or leave region out of the "
            "levels",
        )

    def areas(self, level: str) -> pd.DataFrame:
        """The areas of ``level`` as ``code, name, population``, sorted by code.

        Population is summed from the lookup; it is ``<NA>`` when any OA of the area has an
        unknown population. OAs are named by their code. A level the bundle lacks (see
        :attr:`levels`) has no areas.
        """
        checked = check_level(level)
        code_column = CODE_COLUMNS[checked]
        name_column = NAME_COLUMNS[checked] or code_column
        grouped = self.lookup.groupby(code_column, sort=True)
        population = grouped["population"].sum(min_count=1).astype("Int64")
        complete = grouped["population"].count() == grouped.size()
        population = population.mask(~complete)
        frame = pd.DataFrame(
            {
                "code": population.index.astype(str),
                "name": grouped[name_column].first().astype(str).to_numpy(),
                "population": population.array,
            }
        )
        return frame.reset_index(drop=True)

    def oa_to_level(self, level: str) -> pd.Series:
        """A Series mapping each OA code (index) to the code of its area at ``level``."""
        checked = check_level(level)
        series = pd.Series(
            self.lookup[CODE_COLUMNS[checked]].to_numpy(),
            index=pd.Index(self.lookup["oa_code"].to_numpy(), name="oa_code"),
            name=CODE_COLUMNS[checked],
        )
        return series

    def has_polygons(self, level: str) -> bool:
        """Whether the bundle holds polygons for ``level``."""
        return check_level(level) in self.boundaries

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 (hex) of the lookup, boundary geometry (WKB), postcodes and centroids."""
        return storage.compute_fingerprint(
            self.lookup, self.boundaries, self.postcodes, self.centroids
        )

    def save(self, folder: Path | str) -> Path:
        """Write the bundle to ``folder`` (replaced atomically if it already holds a bundle)."""
        return storage.write_bundle(self, Path(folder))

    @classmethod
    def load(cls, folder: Path | str) -> GeographyBundle:
        """Read a bundle folder, checking every file and the fingerprint."""
        parts = storage.read_bundle(Path(folder))
        try:
            bundle = cls(
                lookup=parts.lookup,
                boundaries=parts.boundaries,
                info=BundleInfo.from_dict(parts.info, source_file=str(parts.info_file)),
                postcodes=parts.postcodes,
                centroids=parts.centroids,
            )
            fingerprint = bundle.fingerprint
        except MemoryError as error:
            raise storage.too_large(f"loading the geography bundle {folder}") from error
        if parts.fingerprint != fingerprint:
            raise GeographyError(
                f"{parts.info_file}: the bundle's files do not match its recorded fingerprint "
                "(a file was changed or replaced after the bundle was written)",
                fix="re-create the bundle with `boroughkit geography import`",
            )
        return bundle

    def copy(self) -> GeographyBundle:
        """A deep copy whose frames can be modified without touching this bundle."""
        return GeographyBundle(
            lookup=self.lookup.copy(),
            boundaries={level: frame.copy() for level, frame in self.boundaries.items()},
            info=copy.deepcopy(self.info),
            postcodes=None if self.postcodes is None else self.postcodes.copy(),
            centroids=None if self.centroids is None else self.centroids.copy(),
        )

    def describe(self) -> str:
        """A short text summary: name, counts per level, geometry, attribution."""
        lines = [f"{self.info.name} ({'synthetic' if self.info.synthetic else self.info.source})"]
        for level in LEVELS:
            count = self.lookup[CODE_COLUMNS[level]].nunique()
            if level not in self.levels:
                lines.append(f"  {level:<8}   none (no {level} in the lookup)")
                continue
            shapes = "no polygons"
            if level in self.boundaries:
                approximate = bool(self.boundaries[level]["approximate"].any())
                kind = "approximate polygons" if approximate else "polygons"
                shapes = f"{len(self.boundaries[level])} {kind}"
            lines.append(f"  {level:<8} {count:>6} areas, {shapes}")
        if self.postcodes is not None:
            lines.append(f"  postcodes {len(self.postcodes)}")
        lines.extend(f"  note: {note}" for note in self.info.notes)
        lines.extend(f"  repair: {item.get('text', '')}" for item in self.info.lookup_repairs)
        lines.extend(f"  {line}" for line in self.info.attribution)
        lines.append(f"  fingerprint {self.fingerprint}")
        return "\n".join(lines)
