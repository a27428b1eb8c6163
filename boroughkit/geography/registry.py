"""Opening a bundle by reference: ``builtin:<name>`` or a bundle folder."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from boroughkit.errors import ConfigError
from boroughkit.geography.bundle import GeographyBundle
from boroughkit.geography.demo import build_demo_bundle

BUILTIN_PREFIX = "builtin:"

#: Built-in bundles by name; each builder is pure and deterministic.
BUILTIN_BUNDLES: dict[str, Callable[[], GeographyBundle]] = {"demo": build_demo_bundle}


@cache
def _builtin(name: str) -> GeographyBundle:
    # A pure, deterministic build: caching it is a speed-up, not shared privacy state.
    return BUILTIN_BUNDLES[name]()


def open_bundle(ref: str | Path, base_dir: Path | str | None = None) -> GeographyBundle:
    """Open ``"builtin:demo"`` or a bundle folder.

    A relative folder is resolved against ``base_dir`` (the config's folder, say) when given.
    Each call returns an independent copy, so callers may modify its frames freely.
    """
    text = str(ref)
    if text.startswith(BUILTIN_PREFIX):
        name = text[len(BUILTIN_PREFIX) :]
        if name not in BUILTIN_BUNDLES:
            known = ", ".join(f"{BUILTIN_PREFIX}{known}" for known in sorted(BUILTIN_BUNDLES))
            raise ConfigError(
                f"unknown built-in geography {text!r}",
                fix=f"use one of: {known}, or the folder of a bundle built by "
                "`boroughkit geography import`",
            )
        return _builtin(name).copy()
    folder = Path(text).expanduser()
    if not folder.is_absolute() and base_dir is not None:
        folder = Path(base_dir) / folder
    return GeographyBundle.load(folder)
