"""Cross-release differencing: what subtracting an earlier release of the same data reveals.

A new release is compared with every earlier release of the same dataset (read from the
catalogue). Two rules:

1. **Changed or overlapping areas.** Every area of the new release is set against every
   overlapping area of the earlier one (the same code redrawn, or a different definition such as
   LSOAs then wards). Each sliver (old \\ new, new \\ old, the overlap) with fewer than
   ``min_population`` residents fails, unless it is a union of areas published by either
   release, which exposes nothing new. Populations are today's: people move slowly, so a strip
   of a few dozen residents stays small whatever the reference dates.
2. **Changed cells.** When both releases publish exact counts (``protection`` ``"none"`` or
   ``"suppression"``) for the same reference date, the same cell (table, level, area code,
   category) must not differ by 1 to ``min_cell - 1``: the difference isolates that many
   residents (late records, corrections, opt-outs, or the sliver of a redrawn area). Releases for
   different reference dates measure change over time, a statistic in its own right that is
   not tested here. Suppressed cells (no value) are not compared.

What other methods do instead: a pair involving a **differentially private** release is not
tested at all: the guarantee holds whatever else is published, and the budget ledger accounts
for the composition of the two releases. **Cell-key** releases are protected against rule 2 by
consistent record keys (the same records always get the same perturbation, different records a
fresh one, so differences are not true counts); **rounded** releases differ by multiples of the
base, which do not give the true difference. Rule 1 applies to both, as an area-design rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import pandas as pd

from boroughkit.disclosure._slivers import Sliver, area_label, find_slivers, is_union_of_areas
from boroughkit.disclosure._slivers import oa_index as build_oa_index
from boroughkit.disclosure.area_sets import AreaSets, population_series
from boroughkit.disclosure.report import CheckResult, Finding
from boroughkit.errors import ConfigError, DataError

Protection = Literal["dp", "cell-key", "rounding", "suppression", "none"]
_EXACT: tuple[Protection, ...] = ("suppression", "none")
_CELL_KEYS = ("table", "level", "area_code", "category")


@dataclass(frozen=True)
class ReleaseSnapshot:
    """What one release published: its area definitions and, for tables, its cells.

    ``protection`` is how its figures were protected (one of :data:`Protection`).
    ``cells`` has columns ``table, level, area_code, category, value`` as published (``value``
    missing for suppressed cells; a ``status`` of ``"suppressed"`` or a ``measure`` other than
    ``"count"`` also leaves a row out of rule 2).
    """

    release_id: str
    protection: Protection
    areas: AreaSets
    reference_date: str | None = None
    cells: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if self.protection not in get_args(Protection):
            raise ConfigError(
                f"release {self.release_id}: unknown protection {self.protection!r}",
                fix=f"use one of {', '.join(get_args(Protection))}",
            )
        if self.cells is not None:
            missing = [c for c in (*_CELL_KEYS, "value") if c not in self.cells.columns]
            if missing:
                raise DataError(
                    f"release {self.release_id}: cells lack columns {', '.join(missing)}",
                    fix=f"give cells the columns {', '.join((*_CELL_KEYS, 'value'))}",
                )

    def exact_counts(self) -> pd.DataFrame:
        """Published, unsuppressed count cells keyed by table, level, area and category."""
        if self.cells is None or self.protection not in _EXACT:
            return pd.DataFrame(columns=[*_CELL_KEYS, "value"])
        cells = self.cells
        keep = pd.to_numeric(cells["value"], errors="coerce").notna()
        if "status" in cells.columns:
            keep &= cells["status"].astype(str) != "suppressed"
        if "measure" in cells.columns:
            keep &= cells["measure"].astype(str) == "count"
        frame = cells.loc[keep, [*_CELL_KEYS, "value"]].astype({c: str for c in _CELL_KEYS})
        return frame.assign(value=pd.to_numeric(frame["value"]))


def check_cross_release(
    new: ReleaseSnapshot,
    earlier: Sequence[ReleaseSnapshot],
    oa_population: Mapping[str, int] | pd.Series,
    *,
    min_population: int = 100,
    min_cell: int = 10,
    names: Mapping[str, Mapping[str, str]] | None = None,
) -> CheckResult:
    """Apply the two cross-release rules of the module docstring to ``new`` vs ``earlier``."""
    if new.protection == "dp":
        return _result(
            True,
            f"Not tested against {len(earlier)} earlier release(s): this release is "
            "differentially private, so its guarantee holds whatever else was published; the "
            "budget ledger accounts for repeated releases of the same data.",
            (),
            {"earlier_releases": len(earlier)},
            superseded=True,
        )
    population = population_series(oa_population)
    findings: list[Finding] = []
    counts = {"skipped_dp": 0, "slivers": 0, "cells_compared": 0}
    for old in earlier:
        if old.protection == "dp":
            counts["skipped_dp"] += 1
            continue
        findings += _changed_areas(new, old, population, min_population, names, counts)
        findings += _changed_cells(new, old, min_cell, names, counts)
    small_slivers = sum(f.rule == "cross-release-min-population" for f in findings)
    summary = (
        f"Compared with {len(earlier)} earlier release(s) ({counts['skipped_dp']} skipped as "
        f"differentially private): {counts['slivers']} sliver(s) between changed or "
        f"overlapping areas, {small_slivers} with fewer than {min_population} residents; "
        f"{counts['cells_compared']} cell(s) compared at the same reference date, "
        f"{len(findings) - small_slivers} differing by 1 to {min_cell - 1}."
    )
    return _result(not findings, summary, tuple(findings), counts)


def _changed_areas(
    new: ReleaseSnapshot,
    old: ReleaseSnapshot,
    population: pd.Series,
    min_population: int,
    names: Mapping[str, Mapping[str, str]] | None,
    counts: dict[str, int],
) -> list[Finding]:
    published = {f"{d}@{new.release_id}": dict(a) for d, a in new.areas.items()}
    published |= {f"{d}@{old.release_id}": dict(a) for d, a in old.areas.items()}
    pairs = [
        (f"{n}@{new.release_id}", f"{o}@{old.release_id}") for n in new.areas for o in old.areas
    ]
    slivers = find_slivers(published, pairs)
    indices = {key: build_oa_index(members) for key, members in published.items()}
    gains = [
        s
        for s in slivers
        if not any(
            is_union_of_areas(s.oas, members, indices[key]) for key, members in published.items()
        )
    ]
    counts["slivers"] += len(gains)
    unknown = sorted({oa for s in gains for oa in s.oas} - set(population.index))
    if unknown:
        raise DataError(
            f"no population is known for OA(s) {', '.join(unknown[:5])}",
            fix="give populations for every OA of both releases",
        )
    findings = []
    for sliver in gains:
        residents = int(population.loc[list(sliver.oas)].sum())
        if residents < min_population:
            findings.append(
                Finding(
                    where={
                        "first": sliver.definition_a + ":" + sliver.code_a,
                        "operation": sliver.operation,
                        "second": sliver.definition_b + ":" + sliver.code_b,
                        "oa_codes": sorted(sliver.oas),
                        "population": residents,
                    },
                    rule="cross-release-min-population",
                    detail=(
                        f"{_describe(sliver, names)} {len(sliver.oas)} OA(s) with {residents} "
                        f"residents (minimum {min_population})"
                    ),
                )
            )
    return findings


def _changed_cells(
    new: ReleaseSnapshot,
    old: ReleaseSnapshot,
    min_cell: int,
    names: Mapping[str, Mapping[str, str]] | None,
    counts: dict[str, int],
) -> list[Finding]:
    if new.reference_date is None or new.reference_date != old.reference_date:
        return []
    merged = new.exact_counts().merge(
        old.exact_counts(), on=list(_CELL_KEYS), suffixes=("_new", "_old")
    )
    counts["cells_compared"] += len(merged)
    difference = (merged["value_new"] - merged["value_old"]).abs()
    small = merged[(difference >= 1) & (difference < min_cell)]
    return [
        Finding(
            where={
                **{key: getattr(row, key) for key in _CELL_KEYS},
                "earlier_release": old.release_id,
            },
            rule="cross-release-small-difference",
            detail=(
                f"{area_label(str(row.level), str(row.area_code), names)}, "
                f"{row.category!r} of table {row.table!r} differs by 1 to {min_cell - 1} "
                f"from release {old.release_id} of the same reference date {new.reference_date}"
            ),
        )
        for row in small.itertuples(index=False)
    ]


def _describe(sliver: Sliver, names: Mapping[str, Mapping[str, str]] | None) -> str:
    first_definition, first_release = sliver.definition_a.rsplit("@", 1)
    second_definition, second_release = sliver.definition_b.rsplit("@", 1)
    first = f"{area_label(first_definition, sliver.code_a, names)} of release {first_release}"
    second = f"{area_label(second_definition, sliver.code_b, names)} of release {second_release}"
    if sliver.operation == "minus":
        return f"{first} minus {second} leaves"
    return f"the overlap of {first} and {second} holds"


def _result(
    passed: bool,
    summary: str,
    findings: tuple[Finding, ...],
    metrics: dict[str, Any],
    *,
    superseded: bool = False,
) -> CheckResult:
    return CheckResult(
        id="cross-release-differencing",
        name="differencing against earlier releases",
        passed=passed,
        summary=summary,
        findings=findings,
        rationale=(
            "earlier releases stay in the public catalogue; subtracting them from this one can "
            "single out the residents who changed or the strip where a boundary moved."
        ),
        superseded_by_dp=superseded,
        category="release-differencing",
        metrics=metrics,
    )
