"""Open a config's geography bundle and check that it has every level the release asks for.

A bundle may lack the ``region`` level (its lookup gave no region for some borough); a release
asking for it is refused before any record is read or any budget reserved.
"""

from __future__ import annotations

from typing import Any

from boroughkit.config import LoadedConfig
from boroughkit.errors import ConfigError
from boroughkit.geography import GeographyBundle, open_bundle
from boroughkit.terms import LEVELS


def requested_levels(section: Any) -> dict[str, str]:
    """Every level named by a release section, with the config key that names it first
    (fields whose name mentions ``level``: ``levels``, ``area_level``, ``level_split`` keys)."""
    found: dict[str, str] = {}

    def walk(value: Any, key: str, about_levels: bool) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                if about_levels and name in LEVELS:
                    found.setdefault(str(name), key)
                walk(item, f"{key}.{name}", "level" in str(name))
        elif isinstance(value, list):
            for position, item in enumerate(value):
                walk(item, f"{key}[{position}]" if isinstance(item, dict) else key, about_levels)
        elif about_levels and value in LEVELS:
            found.setdefault(str(value), key)

    walk(section.model_dump(), "release", False)
    return found


def open_geography(loaded: LoadedConfig) -> GeographyBundle:
    """The config's geography bundle; a ConfigError when the release asks for a level it lacks."""
    bundle = open_bundle(loaded.config.geography.boundaries, base_dir=loaded.base_dir)
    for level, key in requested_levels(loaded.config.release).items():
        if level in bundle.levels:
            continue
        raise ConfigError(
            f"{loaded.path or 'config'}: {key} asks for the {level} level, but the geography "
            f"bundle '{bundle.info.name}' ({loaded.config.geography.boundaries}) has none: its "
            f"lookup gave no {level} for some of its boroughs",
            fix=f"leave {level} out of {key}, or import the geography again with "
            "--regions FILE (lad_code,region_code,region_name) or a region column "
            "(--column region_code=RGN22CD)",
        )
    return bundle
