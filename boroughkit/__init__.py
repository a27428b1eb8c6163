"""boroughkit: turn resident-level council records into safe open data.

The public API is curated here; the CLI calls exactly these functions::

    from boroughkit import load_config, build_plan, run_pipeline
    result = run_pipeline(build_plan(load_config("configs/council-tax-support.yaml")))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boroughkit.version import __version__

__all__ = [
    "__version__",
    "build_plan",
    "describe_plan",
    "load_config",
    "open_bundle",
    "preview_accuracy",
    "run_pipeline",
]

_EXPORTS = {
    "load_config": "boroughkit.pipeline.plan",
    "build_plan": "boroughkit.pipeline.plan",
    "describe_plan": "boroughkit.pipeline.plan",
    "preview_accuracy": "boroughkit.pipeline.plan",
    "run_pipeline": "boroughkit.pipeline.run",
    "open_bundle": "boroughkit.geography",
}

if TYPE_CHECKING:
    from boroughkit.geography import open_bundle
    from boroughkit.pipeline.plan import build_plan, describe_plan, load_config, preview_accuracy
    from boroughkit.pipeline.run import run_pipeline


def __getattr__(name: str) -> Any:
    # Lazy so that `boroughkit --help` does not import OpenDP, geopandas and friends.
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'boroughkit' has no attribute {name!r}")
