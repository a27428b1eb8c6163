"""Repairs of ONS lookups: the analyst's corrections, then two documented rules.

Real ONS files have two kinds of gap that would otherwise stop an import, and each has a rule
that is applied, reported and stored in the bundle (``bundle.json``, ``info.repairs``):

* **An OA without a ward** (15 OAs of the 2022 England and Wales lookup, e.g. E00019599 in
  Richmond upon Thames): it is given the ward that holds most of the other OAs of its LSOA,
  else of its MSOA (ties go to the lowest code). ``--on-ward-gap refuse`` stops instead.
* **A ward in two boroughs** (E05014284, Hunmanby & Sherburn, in Ryedale and Scarborough): the
  ward is split into one ward per borough, coded ``<ward>-<borough>`` and named after the part
  ("… (part in Ryedale)", unless the name already says which part), so that every ward lies in
  one borough. ``--on-ward-across-lad refuse`` stops instead.

Corrections (``--lookup-fix FILE``: a CSV of ``oa_code,column,value``) are applied first, so an
analyst who knows the right ward of an OA says so and the rule never sees that gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from boroughkit.errors import ConfigError, GeographyError
from boroughkit.geography.levels import LOOKUP_COLUMNS

WardGapRule = Literal["assign", "refuse"]
WardAcrossRule = Literal["split", "refuse"]
WARD_GAP_RULES: tuple[WardGapRule, ...] = ("assign", "refuse")
WARD_ACROSS_RULES: tuple[WardAcrossRule, ...] = ("split", "refuse")
_FIX_COLUMNS = ("oa_code", "column", "value")


@dataclass(frozen=True)
class LookupRepair:
    """One change made to a lookup on import: which rule, to what, and why (in words)."""

    rule: str  # "lookup-fix", "ward-gap", "ward-across-lad" or "region"
    subject: str  # the OA, ward or borough code changed
    text: str
    values: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {"rule": self.rule, "subject": self.subject, "text": self.text, **self.values}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LookupRepair:
        """Rebuild from :meth:`to_dict` output."""
        rest = {k: v for k, v in data.items() if k not in ("rule", "subject", "text")}
        return cls(str(data["rule"]), str(data["subject"]), str(data["text"]), rest)


def _blank(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip()
    return (text.isna() | (text == "")).astype(bool)


def apply_fixes(frame: pd.DataFrame, path: Path) -> list[LookupRepair]:
    """Apply ``oa_code,column,value`` corrections from ``path`` to ``frame`` in place."""
    try:
        fixes = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError) as error:
        raise ConfigError(
            f"cannot read the lookup fixes {path}: {error}",
            fix="give a CSV file with the columns oa_code,column,value",
        ) from error
    missing = [column for column in _FIX_COLUMNS if column not in fixes.columns]
    if missing:
        raise ConfigError(
            f"lookup fixes {path} lack the column(s) {', '.join(missing)}",
            fix="give a CSV file with the columns oa_code,column,value",
        )
    allowed = [column for column in LOOKUP_COLUMNS if column != "oa_code"]
    position = pd.Series(frame.index, index=frame["oa_code"].astype(str).str.strip())
    repairs = []
    for line, fix in enumerate(fixes[list(_FIX_COLUMNS)].itertuples(index=False), start=2):
        oa, column, value = (str(part).strip() for part in fix)
        if column not in allowed:
            raise ConfigError(
                f"lookup fixes {path} line {line}: {column!r} is not a lookup column",
                fix=f"use one of: {', '.join(allowed)}",
            )
        if oa not in position.index:
            raise ConfigError(
                f"lookup fixes {path} line {line}: OA {oa} is not in the lookup",
                fix="correct the OA code or remove the line",
            )
        row = position[oa]
        old = (
            str(frame.at[row, column]).strip() if not _blank(frame.loc[[row], column]).all() else ""
        )
        frame.at[row, column] = value
        repairs.append(
            LookupRepair(
                "lookup-fix",
                oa,
                f"{oa}: {column} {old or '(empty)'} → {value} ({path.name} line {line})",
                {"column": column, "old": old, "new": value},
            )
        )
    return repairs


def _most_common_ward(known: pd.DataFrame, column: str, value: str) -> tuple[str, int, int] | None:
    """The ward of most OAs with ``column == value`` (lowest code on ties), its count, total."""
    members = known[known[column] == value]
    if members.empty:
        return None
    counts = members.groupby("ward_code").size()
    best = counts[counts == counts.max()].index.min()
    return str(best), int(counts[best]), len(members)


def fill_ward_gaps(frame: pd.DataFrame, rule: WardGapRule, path: Path) -> list[LookupRepair]:
    """Give each OA without a ward code the ward of most other OAs of its LSOA, else MSOA."""
    gap = _blank(frame["ward_code"])
    if not gap.any():
        return []
    oas = frame.loc[gap, "oa_code"].astype(str).tolist()
    shown = ", ".join(
        f"{oa} (line {int(i) + 2})" for oa, i in zip(oas, frame.index[gap], strict=True)
    )
    if rule == "refuse":
        raise GeographyError(
            f"lookup file {path}: {len(oas)} OA(s) have no ward code: {shown}",
            fix="give their wards with --lookup-fix FILE (oa_code,column,value), or let the "
            "importer assign them (--on-ward-gap assign)",
        )
    known = frame[~gap]
    names = known.groupby("ward_code")["ward_name"].agg(lambda n: n.mode().iloc[0])
    repairs = []
    for row in frame.index[gap]:
        oa = str(frame.at[row, "oa_code"])
        for level in ("lsoa", "msoa"):
            area = str(frame.at[row, f"{level}_code"])
            found = _most_common_ward(known, f"{level}_code", area)
            if found is not None:
                break
        if found is None:
            raise GeographyError(
                f"lookup file {path}: OA {oa} (line {int(row) + 2}) has no ward code, and no "
                "other OA of its LSOA or MSOA has one to go by",
                fix=f"give its ward with --lookup-fix FILE (a line '{oa},ward_code,CODE' and "
                f"'{oa},ward_name,NAME')",
            )
        ward, count, total = found
        frame.at[row, "ward_code"], frame.at[row, "ward_name"] = ward, names[ward]
        borough = str(frame.at[row, "borough_name"])
        repairs.append(
            LookupRepair(
                "ward-gap",
                oa,
                f"{oa} ({borough}) had no ward: assigned {ward} {names[ward]}, the ward of "
                f"{count} of the {total} other OAs of its {level.upper()} {area}",
                {"ward_code": ward, "ward_name": str(names[ward]), "basis": level, "area": area},
            )
        )
    return repairs


def split_wards_across_boroughs(
    frame: pd.DataFrame, rule: WardAcrossRule, path: Path
) -> list[LookupRepair]:
    """Split each ward that lies in several boroughs into one ward per borough, in place."""
    spread = frame.groupby("ward_code")["borough_code"].nunique()
    crossing = sorted(str(code) for code in spread[spread > 1].index)
    if not crossing:
        return []
    if rule == "refuse":
        raise GeographyError(
            f"lookup file {path}: {len(crossing)} ward(s) lie in more than one borough "
            f"(e.g. {', '.join(crossing[:5])})",
            fix="correct them with --lookup-fix FILE, or let the importer split each into one "
            "ward per borough (--on-ward-across-lad split)",
        )
    repairs = []
    for ward in crossing:
        rows = frame["ward_code"] == ward
        parts = []
        for borough, members in frame[rows].groupby("borough_code", sort=True):
            name = str(members["ward_name"].mode().iloc[0])
            borough_name = str(members["borough_name"].iloc[0])
            part_name = name if borough_name in name else f"{name} (part in {borough_name})"
            code = f"{ward}-{borough}"
            frame.loc[members.index, "ward_code"] = code
            frame.loc[members.index, "ward_name"] = part_name
            parts.append({"code": code, "name": part_name, "borough_code": str(borough),
                          "borough_name": borough_name, "oas": len(members)})  # fmt: skip
        described = "; ".join(
            f"{p['code']} {p['name']} ({p['oas']} OAs in {p['borough_name']})" for p in parts
        )
        repairs.append(
            LookupRepair(
                "ward-across-lad",
                ward,
                f"ward {ward} lies in {len(parts)} boroughs: split into {described}",
                {"parts": parts},
            )
        )
    return repairs
