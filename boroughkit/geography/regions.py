"""The region of each borough, for the ``region`` level above the borough.

Where each borough's region comes from, in order:

1. a region column of the lookup (``RGN22CD``/``RGN22NM`` style, found by name, or mapped with
   ``--column region_code=COLUMN --column region_name=COLUMN``);
2. ``--regions FILE``: a CSV of ``lad_code,region_code,region_name`` (ONS ``LAD22CD,RGN22CD,
   RGN22NM`` headers are read too);
3. a built-in rule that needs no download: London boroughs (codes ``E09…``) are in
   E12000007 London and Welsh authorities (``W06…``) in W92000004 Wales.

A bundle has the region level only when every borough has a region this way; otherwise the
import says which boroughs lack one, and the bundle has no region level (asking for ``region``
in a release is then an error saying how to add it).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from boroughkit.errors import ConfigError, GeographyError

#: Borough code prefix -> (region code, region name): the built-in rule.
BUILTIN_REGIONS: dict[str, tuple[str, str]] = {
    "E09": ("E12000007", "London"),
    "W06": ("W92000004", "Wales"),
}
_ALTERNATIVES = {
    "lad_code": (r"lad_code", r"lad\d{2}cd", r"borough_code"),
    "region_code": (r"region_code", r"rgn\d{2}cd"),
    "region_name": (r"region_name", r"rgn\d{2}nm"),
}


def _pick(columns: list[str], key: str) -> str | None:
    for pattern in _ALTERNATIVES[key]:
        found = [c for c in columns if re.fullmatch(pattern, c.strip(), re.IGNORECASE)]
        if found:
            return found[0]
    return None


def read_regions(path: Path) -> pd.DataFrame:
    """``--regions FILE`` as ``lad_code, region_code, region_name`` (one row per borough)."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError) as error:
        raise ConfigError(
            f"cannot read the regions file {path}: {error}",
            fix="give a CSV file with the columns lad_code,region_code,region_name",
        ) from error
    columns = {key: _pick([str(c) for c in raw.columns], key) for key in _ALTERNATIVES}
    missing = [key for key, found in columns.items() if found is None]
    if missing:
        raise ConfigError(
            f"regions file {path} has no column for {', '.join(missing)} (its columns are "
            f"{', '.join(map(str, raw.columns))})",
            fix="give a CSV file with the columns lad_code,region_code,region_name",
        )
    frame = pd.DataFrame({key: raw[str(found)].str.strip() for key, found in columns.items()})
    frame = frame[frame["lad_code"] != ""].drop_duplicates()
    repeated = frame["lad_code"][frame["lad_code"].duplicated()]
    if len(repeated):
        raise ConfigError(
            f"regions file {path} gives more than one region for {', '.join(repeated[:5])}",
            fix="give one region per borough",
        )
    return frame


def assign_regions(frame: pd.DataFrame, regions_file: Path | None) -> str:
    """Fill ``region_code``/``region_name`` in place; when some borough has no region, clear
    them (the bundle then has no region level). Returns a note saying which it was."""
    code = frame["region_code"].astype("string").str.strip().fillna("")
    name = frame["region_name"].astype("string").str.strip().fillna("")
    prefix = frame["borough_code"].astype(str).str.strip().str[:3]
    sources: dict[str, int] = {"the lookup": int((code != "").sum())}
    if regions_file is not None:
        table = read_regions(regions_file).set_index("lad_code")
        wanted = (code == "") & frame["borough_code"].isin(table.index)
        boroughs = frame.loc[wanted, "borough_code"]
        code = code.mask(wanted, boroughs.map(table["region_code"]))
        name = name.mask(wanted, boroughs.map(table["region_name"]))
        sources[regions_file.name] = int(wanted.sum())
    builtin = 0
    for start, (region, region_name) in BUILTIN_REGIONS.items():
        wanted = (code == "") & (prefix == start)
        code, name = code.mask(wanted, region), name.mask(wanted, region_name)
        builtin += int(wanted.sum())
    sources["the built-in rule (E09 → London, W06 → Wales)"] = builtin
    lacking = sorted(set(frame.loc[(code == "").to_numpy(), "borough_code"].astype(str)))
    if lacking:
        frame["region_code"], frame["region_name"] = None, None
        boroughs = frame["borough_code"].nunique()
        return (
            f"no region level: {len(lacking)} of the {boroughs} boroughs have no region "
            f"(e.g. {', '.join(lacking[:5])}); give --regions FILE "
            "(lad_code,region_code,region_name) or a region column to add one"
        )
    frame["region_code"], frame["region_name"] = code.astype(object), name.astype(object)
    spread = frame.groupby("borough_code")["region_code"].nunique()
    if (spread > 1).any():
        broken = ", ".join(map(str, spread[spread > 1].index[:5]))
        raise GeographyError(
            f"boroughs {broken} have OAs in more than one region; a borough lies in one region",
            fix="correct the region column of the lookup, or map another with --column",
        )
    used = ", ".join(f"{count} OAs from {source}" for source, count in sources.items() if count)
    regions = frame["region_code"].nunique()
    return f"region level: {regions} region(s) ({used})"
