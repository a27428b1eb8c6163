"""Checks of a table release's columns against the declared schema, before any data is read."""

from __future__ import annotations

from collections.abc import Sequence

from boroughkit.anonymise.counts import category_grid
from boroughkit.config import LoadedConfig
from boroughkit.errors import ConfigError


def check_declared_categories(loaded: LoadedConfig, where: str, count_by: Sequence[str]) -> None:
    """Every ``count_by`` column has public values declared under ``source.columns``."""
    declared = {name: column.values for name, column in loaded.config.source.columns.items()}
    try:
        category_grid(count_by, declared)
    except ConfigError as error:
        raise ConfigError(f"{loaded.path or 'config'}: {where}.count_by: {error.message}",
                          fix=error.fix) from None
