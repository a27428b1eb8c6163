"""Configs and plans: read a config against the registered release methods, resolve it into
a plan (pure), and preview a plan's accuracy from the public geography."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from boroughkit.config import LoadedConfig, read_config
from boroughkit.methods import CONFIG_MODEL, method_for
from boroughkit.pipeline.geography_levels import open_geography
from boroughkit.release.plan import Plan


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> LoadedConfig:
    """Read and validate a pipeline config file (file:line errors that name the fix).

    The ``release:`` section is validated by its method's model, then by the method's own
    cross-section checks (e.g. every ``count_by`` column declares its values). ``overrides``
    maps dotted keys (``"publish.to"``) to values replacing the file's.
    """
    loaded = read_config(path, CONFIG_MODEL, overrides)
    method_for(loaded.config.release.method).validate(loaded)
    return loaded


def build_plan(loaded: LoadedConfig) -> Plan:
    """Resolve a validated config into a :class:`Plan`. Pure: reads no records, no geography,
    draws nothing, spends nothing."""
    return method_for(loaded.config.release.method).plan(loaded)


def preview_accuracy(plan: Plan) -> Plan:
    """The plan with its expected accuracy (e.g. each level's ``moe95`` after the levels are
    made consistent), computed from the geography bundle's public lookup."""
    return method_for(plan.method).preview(plan, open_geography(plan.loaded))


def describe_plan(plan: Plan) -> str:
    """The plan in words, for ``boroughkit plan``."""
    return method_for(plan.method).describe(plan)


def config_headline(loaded: LoadedConfig) -> str:
    """The release method and what it makes, for ``boroughkit validate``."""
    method = method_for(loaded.config.release.method)
    return f"{method.name}, {method.headline(loaded.config)}"
