"""Residents of each published area, for the minimum-population check: public figures only.

The check must not depend on the records: a true count of residents per area, compared with a
threshold, would make the run's outcome (and its exit code) a function of exact data. So the
figures come from the geography bundle (Census populations) or, where the bundle has none, from
a CSV the analyst supplies (``disclosure.area_populations``: ``level,area_code,population``).
Without either, the analyst may switch the check off with a stated reason
(``min_area_population: 0`` and ``min_area_population_reason``); otherwise the run is refused
before any budget is reserved or any record read.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from boroughkit.config import LoadedConfig
from boroughkit.errors import ConfigError
from boroughkit.geography.bundle import GeographyBundle

SUPPLIED_COLUMNS = ("level", "area_code", "population")


def published_populations(
    loaded: LoadedConfig, bundle: GeographyBundle, levels: Sequence[str]
) -> pd.DataFrame:
    """Residents of every area of ``levels`` (columns level, code, name, population) from the
    bundle's figures, completed by the analyst's CSV. Raises ConfigError naming the fix when an
    area has no public figure and the check is on; with the check off, unknown figures are NA.
    """
    disclosure = loaded.config.disclosure
    supplied = _supplied(loaded) if disclosure.area_populations is not None else None
    frames, missing = [], []
    for level in levels:
        areas = bundle.areas(level)[["code", "name", "population"]].copy()
        areas["population"] = areas["population"].astype("Int64")
        if supplied is not None and areas["population"].isna().any():
            figures = supplied[supplied["level"] == level].set_index("area_code")["population"]
            areas["population"] = areas["population"].fillna(areas["code"].map(figures))
        unknown = areas.loc[areas["population"].isna(), "code"].astype(str).tolist()
        missing += [(level, code) for code in unknown]
        frames.append(areas.assign(level=level))
    if missing and disclosure.min_area_population > 0:
        raise _no_figures(loaded, bundle, missing)
    columns = ["level", "code", "name", "population"]
    if not frames:
        return pd.DataFrame(columns=columns).astype({"population": "Int64"})
    return pd.concat(frames, ignore_index=True)[columns]


def _no_figures(
    loaded: LoadedConfig, bundle: GeographyBundle, missing: list[tuple[str, str]]
) -> ConfigError:
    levels = sorted({level for level, _ in missing})
    examples = ", ".join(f"{level} {code}" for level, code in missing[:5])
    where = loaded.path or "config"
    source = (
        f"neither the geography bundle '{bundle.info.name}' nor "
        f"{loaded.config.disclosure.area_populations}"
        if loaded.config.disclosure.area_populations is not None
        else f"the geography bundle '{bundle.info.name}'"
    )
    return ConfigError(
        f"{where}: disclosure.min_area_population is "
        f"{loaded.config.disclosure.min_area_population} but {source} gives the population of "
        f"{len(missing)} published area(s) at level(s) {', '.join(levels)} (e.g. {examples}); "
        "the check uses public figures only, never a count of the records",
        fix="give public figures (e.g. Census 2021 usual residents) in a CSV with columns "
        "level,area_code,population as disclosure.area_populations, or import the geography "
        "with a population column, or switch the check off with min_area_population: 0 and "
        'min_area_population_reason: "why"',
    )


def _supplied(loaded: LoadedConfig) -> pd.DataFrame:
    """The analyst's CSV of public populations, checked."""
    given = loaded.config.disclosure.area_populations
    assert given is not None
    path = loaded.resolve(given)
    key = "disclosure.area_populations"
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except FileNotFoundError as error:
        raise ConfigError(
            f"{path}: file not found ({key})",
            fix=f"check {key} (relative to the config file's folder)",
        ) from error
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise ConfigError(
            f"{path}: cannot be read as CSV ({key}: {error})",
            fix="save it as a UTF-8 CSV with a header row",
        ) from error
    absent = [column for column in SUPPLIED_COLUMNS if column not in table.columns]
    if absent:
        raise ConfigError(
            f"{path}: no column(s) {', '.join(absent)} ({key})",
            fix=f"give the columns {','.join(SUPPLIED_COLUMNS)}; found "
            f"{','.join(map(str, table.columns))}",
        )
    table = table[list(SUPPLIED_COLUMNS)].dropna(subset=["level", "area_code"])
    table["level"] = table["level"].str.strip().str.lower()
    table["area_code"] = table["area_code"].str.strip()
    numbers = pd.to_numeric(table["population"].str.strip(), errors="coerce")
    bad = table.index[numbers.isna() | (numbers < 0) | (numbers % 1 != 0)]
    if len(bad):
        line = int(bad[0]) + 2  # the header is line 1
        raise ConfigError(
            f"{path}:{line}: population {table.loc[bad[0], 'population']!r} "
            f"is not a whole number of residents ({key})",
            fix="give each area's usual residents as a whole number",
        )
    return table.assign(population=numbers.astype("int64")).drop_duplicates(
        ["level", "area_code"], keep="last"
    )
