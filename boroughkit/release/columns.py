"""Checks of a table release's columns against the declared schema, before any data is read."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from boroughkit.anonymise.counts import category_grid
from boroughkit.config import LoadedConfig
from boroughkit.config.yaml_source import read_yaml
from boroughkit.errors import ConfigError


def check_declared_categories(loaded: LoadedConfig, where: str, count_by: Sequence[str]) -> None:
    """Every ``count_by`` column has public values declared under ``source.columns``; an
    undeclared one is named with its config line and the closest declared column."""
    declared = {name: column.values for name, column in loaded.config.source.columns.items()}
    try:
        category_grid(count_by, declared)
    except ConfigError as error:
        position, column = next(
            ((i, c) for i, c in enumerate(count_by) if not declared.get(c)), (0, "")
        )
        close = difflib.get_close_matches(column, list(declared), n=1)
        hint = f"did you mean '{close[0]}'? " if close and close[0] != column else ""
        raise ConfigError(
            f"{_where(loaded, where, position)}: {where}.count_by[{position}]: {error.message}",
            fix=hint + (error.fix or ""),
        ) from None


def _where(loaded: LoadedConfig, where: str, position: int) -> str:
    """``file:line`` of the ``count_by`` entry, or the file alone when it cannot be found."""
    if loaded.path is None:
        return "config"
    location: list[str | int] = [
        "release",
        "tables",
        int(where.split("[")[-1].rstrip("]")),
        "count_by",
        position,
    ]
    try:
        line = read_yaml(loaded.path).line_of(tuple(location))
    except ConfigError:
        line = None
    return f"{loaded.path}:{line}" if line else str(loaded.path)
