"""Geographic differencing: what an intruder learns by subtracting overlapping published areas.

Every published area is a set of 2021 Output Areas (OAs): LSOAs, MSOAs and the borough by exact
nesting, wards by the ONS best-fit lookup, custom areas (estates, school catchments) by
:func:`custom_areas_from_polygons` or :func:`custom_areas_from_lists`. For two published areas A
and B that overlap without being equal, an intruder can form the *slivers* A \\ B, B \\ A and
A ∩ B. A \\ B is derived exactly by subtraction when B lies inside A; otherwise the slivers are
atoms of the overlay of the two definitions, derivable with a little outside knowledge of how the
overlap splits (e.g. from a third publication), so they are tested too (cautious practice).

What is and is not an intruder gain, per table: a sliver is **no gain** when it is itself a
published area, or a union of areas of a definition the same table is published at. Wards are OA
sets, so OA vs ward leaves no sliver of interest; an LSOA straddling two wards leaves slivers that
are unions of OAs, so if the table is also published by OA they expose nothing new (the OA cells
are tested by the table rules). Slivers matter only at levels whose pieces are not published.

A sliver **fails** when it has fewer residents than ``min_population`` (default 100), or when the
true count of any category of a table published at both definitions is 1 to ``min_cell - 1`` in
the sliver (a derivable small cell; zero is not a disclosure by this rule).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations_with_replacement
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from boroughkit.disclosure._slivers import (
    Sliver,
    area_label,
    exactly_derivable,
    find_slivers,
    is_union_of_areas,
    oa_index,
)
from boroughkit.disclosure.area_sets import (
    AreaSets,
    areas_from_lookup,
    custom_areas_from_lists,
    custom_areas_from_polygons,
    names_from_lookup,
    oa_counts_from_records,
    population_series,
)
from boroughkit.disclosure.release_differencing import ReleaseSnapshot, check_cross_release
from boroughkit.disclosure.report import CheckResult, Finding
from boroughkit.errors import ConfigError, DataError


@dataclass(frozen=True)
class Publication:
    """One table as published: the area definitions it appears at and its true counts per OA.

    ``oa_counts`` (optional) has one row per OA code (index) and one column per category, with
    the true, unperturbed counts; OAs missing from it count zero. Without it only the sliver's
    population is tested for this table.
    """

    name: str
    definitions: tuple[str, ...]
    oa_counts: pd.DataFrame | None = None


def check_geographic_differencing(
    areas: AreaSets,
    oa_population: Mapping[str, int] | pd.Series,
    publications: Sequence[Publication] | None = None,
    *,
    min_population: int = 100,
    min_cell: int = 10,
    names: Mapping[str, Mapping[str, str]] | None = None,
) -> CheckResult:
    """Test every sliver between overlapping published areas (see the module docstring).

    ``areas`` maps a definition (a level such as ``"ward"`` or a custom name such as
    ``"estates"``) to area code → OA codes. ``publications`` default to one table published at
    every definition. ``names`` (definition → code → name) make the findings readable.
    """
    population = population_series(oa_population)
    publications = list(publications or [Publication("all tables", tuple(areas))])
    small_areas: dict[frozenset[str], tuple[Sliver, list[str]]] = {}
    cell_findings: list[Finding] = []
    counted = {"slivers": 0, "no_gain": 0}
    for publication in publications:
        slivers = _slivers_with_gain(areas, publication, counted)
        if not slivers:
            continue
        _check_populations(slivers, population, publication, min_population, small_areas)
        if publication.oa_counts is not None:
            cell_findings += _derivable_cells(
                slivers, publication.oa_counts, publication.name, min_cell, names
            )
    population_findings = [
        _population_finding(sliver, tables, population, min_population, names)
        for sliver, tables in small_areas.values()
    ]
    findings = tuple(population_findings + cell_findings)
    return CheckResult(
        id="geographic-differencing",
        name="geographic differencing between overlapping areas",
        passed=not findings,
        summary=(
            f"{counted['slivers']} sliver(s) found between overlapping areas of "
            f"{len(areas)} area definition(s) over {len(publications)} table(s); "
            f"{counted['no_gain']} are published anyway or are unions of published areas; "
            f"{len(population_findings)} have fewer than {min_population} residents; "
            f"{len(cell_findings)} derivable cell(s) count 1 to {min_cell - 1}."
        ),
        findings=findings,
        rationale=(
            "areas that do not nest (wards, LSOAs, estates, catchments) can be subtracted from "
            "one another; the leftover piece may describe only a few households."
        ),
        category="geographic-differencing",
        metrics={
            "slivers": counted["slivers"],
            "no_gain": counted["no_gain"],
            "small_slivers": len(population_findings),
            "small_cells": len(cell_findings),
        },
    )


def _slivers_with_gain(
    areas: AreaSets, publication: Publication, counted: dict[str, int]
) -> list[Sliver]:
    unknown = [d for d in publication.definitions if d not in areas]
    if unknown:
        raise ConfigError(
            f"table {publication.name!r} is published at unknown area definition(s) "
            f"{', '.join(unknown)}",
            fix=f"use definitions among {', '.join(areas)} or add their OA sets",
        )
    published = {d: areas[d] for d in publication.definitions}
    slivers = find_slivers(published, combinations_with_replacement(publication.definitions, 2))
    counted["slivers"] += len(slivers)
    indices = {definition: oa_index(members) for definition, members in published.items()}
    gains = [
        sliver
        for sliver in slivers
        if not any(
            is_union_of_areas(sliver.oas, members, indices[definition])
            for definition, members in published.items()
        )
    ]
    counted["no_gain"] += len(slivers) - len(gains)
    derivable = exactly_derivable([s.oas for s in gains], published)
    return [sliver.with_exact(exact) for sliver, exact in zip(gains, derivable, strict=True)]


def _check_populations(
    slivers: list[Sliver],
    population: pd.Series,
    publication: Publication,
    min_population: int,
    small_areas: dict[frozenset[str], tuple[Sliver, list[str]]],
) -> None:
    missing = sorted({oa for sliver in slivers for oa in sliver.oas} - set(population.index))
    if missing:
        raise DataError(
            f"no population is known for {len(missing)} OA(s) of published areas "
            f"(e.g. {', '.join(missing[:5])})",
            fix="give populations for every OA (oa_counts_from_records counts the records)",
        )
    for sliver in slivers:
        if int(population.loc[list(sliver.oas)].sum()) < min_population:
            small_areas.setdefault(sliver.oas, (sliver, []))[1].append(publication.name)


def _population_finding(
    sliver: Sliver,
    tables: list[str],
    population: pd.Series,
    min_population: int,
    names: Mapping[str, Mapping[str, str]] | None,
) -> Finding:
    residents = int(population.loc[list(sliver.oas)].sum())
    return Finding(
        where={**_where(sliver), "tables": tables, "population": residents},
        rule="differencing-min-population",
        detail=(
            f"{sliver.describe(names)} {len(sliver.oas)} OA(s) with {residents} residents "
            f"(minimum {min_population})"
        ),
    )


def _derivable_cells(
    slivers: list[Sliver],
    oa_counts: pd.DataFrame,
    table: str,
    min_cell: int,
    names: Mapping[str, Mapping[str, str]] | None,
) -> list[Finding]:
    counts = oa_counts.fillna(0)
    oa_position = {oa: row for row, oa in enumerate(counts.index.astype(str))}
    rows, cols = [], []
    for index, sliver in enumerate(slivers):
        for oa in sliver.oas:
            if oa in oa_position:
                rows.append(index)
                cols.append(oa_position[oa])
    incidence = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(len(slivers), len(counts))
    )
    totals = np.asarray(incidence @ counts.to_numpy(dtype=float))
    findings = []
    for index, column in zip(*np.nonzero((totals >= 1) & (totals < min_cell)), strict=True):
        sliver, category = slivers[index], str(counts.columns[column])
        findings.append(
            Finding(
                where={**_where(sliver), "table": table, "category": category},
                rule="differencing-small-cell",
                detail=(
                    f"{sliver.describe(names)} {len(sliver.oas)} OA(s) where {category!r} of "
                    f"table {table!r} counts 1 to {min_cell - 1}"
                ),
            )
        )
    return findings


def _where(sliver: Sliver) -> dict[str, Any]:
    oas = sorted(sliver.oas)
    where: dict[str, Any] = {
        "first": f"{sliver.definition_a}:{sliver.code_a}",
        "operation": sliver.operation,
        "second": f"{sliver.definition_b}:{sliver.code_b}",
        "derivable": "exact" if sliver.exact else "overlay",
        "oa_count": len(oas),
        "oa_codes": oas,
    }
    return where


__all__ = [
    "AreaSets",
    "Publication",
    "ReleaseSnapshot",
    "area_label",
    "areas_from_lookup",
    "check_cross_release",
    "check_geographic_differencing",
    "custom_areas_from_lists",
    "custom_areas_from_polygons",
    "names_from_lookup",
    "oa_counts_from_records",
]
