"""Geography: OA lookups, boundaries, geocoding and the built-in demo borough.

A :class:`GeographyBundle` holds the OAs of one or more boroughs and the LSOA, MSOA, ward,
borough and (when known) region each belongs to, polygons for the levels that have them, and
optionally postcodes. Open one with :func:`open_bundle` (``"builtin:demo"`` or a folder built by
:func:`import_bundle`), and find the OA of each record with :func:`geocode`.
"""

from __future__ import annotations

from boroughkit.geography.bundle import BundleInfo, GeographyBundle
from boroughkit.geography.demo import build_demo_bundle
from boroughkit.geography.geocode import UNMATCHED_REASONS, GeocodeResult, geocode
from boroughkit.geography.importer import ImportReport, import_bundle
from boroughkit.geography.levels import LEVELS, Level
from boroughkit.geography.registry import open_bundle

__all__ = [
    "LEVELS",
    "UNMATCHED_REASONS",
    "BundleInfo",
    "GeocodeResult",
    "GeographyBundle",
    "ImportReport",
    "Level",
    "build_demo_bundle",
    "geocode",
    "import_bundle",
    "open_bundle",
]
