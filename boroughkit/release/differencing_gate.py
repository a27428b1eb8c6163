"""Differencing checks of the gate: slivers between non-nested areas, and earlier releases."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd

from boroughkit.anonymise.released import ReleasedTable
from boroughkit.config.models import CustomAreasConfig
from boroughkit.disclosure.area_sets import (
    areas_from_lookup,
    custom_areas_from_lists,
    custom_areas_from_polygons,
    names_from_lookup,
)
from boroughkit.disclosure.differencing import Publication, check_geographic_differencing
from boroughkit.disclosure.release_differencing import (
    Protection,
    ReleaseSnapshot,
    check_cross_release,
)
from boroughkit.disclosure.report import CheckResult
from boroughkit.errors import ConfigError, DataError
from boroughkit.geography.bundle import GeographyBundle
from boroughkit.release.load import read_table
from boroughkit.release.oa_truth import OATruth
from boroughkit.release.plan import Plan

DP_NOTE = (
    "Not applied: the tables are differentially private, so subtracting one published "
    "area from another yields another noisy figure covered by the same guarantee."
)


def geographic_differencing(
    plan: Plan, bundle: GeographyBundle, tables: list[ReleasedTable], truth: OATruth | None
) -> CheckResult:
    """Fail when subtracting overlapping published areas isolates a small group.

    Sliver populations are persons in the input records (the people the tables describe),
    so a sliver of a large OA still fails when few of its residents are in the data.
    """
    if plan.spends_budget:
        return CheckResult(
            "Geographic differencing",
            True,
            DP_NOTE,
            superseded_by_dp=True,
            id="geographic-differencing",
            rationale="slivers between overlapping areas can isolate a few people",
        )
    levels = sorted({level for table in tables for level in table.frames})
    areas = areas_from_lookup(bundle.lookup, levels)
    names = names_from_lookup(bundle.lookup, levels)
    for custom in plan.loaded.config.disclosure.custom_areas:
        areas[custom.name], names[custom.name] = _custom(custom, plan, bundle)
    assert truth is not None, "sdc releases know their exact tallies"
    population = truth.population()
    population = population.reindex(bundle.lookup["oa_code"].astype(str), fill_value=0)
    publications = [
        Publication(
            table.name,
            (*table.frames, *(c.name for c in plan.loaded.config.disclosure.custom_areas)),
            truth.oa_counts(table),
        )
        for table in tables
    ]
    return check_geographic_differencing(
        areas,
        population,
        publications,
        min_population=plan.loaded.config.disclosure.min_area_population,
        min_cell=plan.loaded.config.disclosure.min_cell,
        names=names,
    )


def _custom(
    custom: CustomAreasConfig, plan: Plan, bundle: GeographyBundle
) -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    if custom.polygons is not None:
        path = plan.loaded.resolve(custom.polygons)
        try:
            frame = gpd.read_file(path)
        except Exception as error:  # pyogrio raises several types for unreadable files
            raise DataError(
                f"{path}: cannot read the custom areas ({error})",
                fix="give a GeoJSON, GeoPackage or Shapefile",
            ) from error
        if custom.code_column not in frame.columns:
            raise ConfigError(
                f"{path}: no column '{custom.code_column}'",
                fix=f"set code_column to one of {list(frame.columns)}",
            )
        sets = custom_areas_from_polygons(
            frame.to_crs("EPSG:4326"), bundle, code_column=custom.code_column
        )
        labels = (
            dict(
                zip(
                    frame[custom.code_column].astype(str),
                    frame[custom.name_column].astype(str),
                    strict=True,
                )
            )
            if custom.name_column
            else {}
        )
        return sets, {code: labels.get(code, code) for code in sets}
    assert custom.oa_lists is not None
    path = plan.loaded.resolve(custom.oa_lists)
    table = read_table(path)
    for column in ("area_code", "oa_code"):
        if column not in table.columns:
            raise DataError(
                f"{path}: column '{column}' not found",
                fix="give a CSV with area_code and oa_code columns",
            )
    grouped = {
        str(code): [str(oa) for oa in oas]
        for code, oas in table.groupby("area_code")["oa_code"].apply(list).items()
    }
    sets = custom_areas_from_lists(grouped, known_oas=bundle.lookup["oa_code"].astype(str))
    label_column = custom.name_column or ("area_name" if "area_name" in table else None)
    labels = (
        dict(zip(table["area_code"], table[label_column], strict=False)) if label_column else {}
    )
    return sets, {code: str(labels.get(code, code)) for code in sets}


def cross_release(
    plan: Plan,
    bundle: GeographyBundle,
    tables: list[ReleasedTable],
    release_id: str,
    catalogue: Path,
    dataset: str,
    truth: OATruth | None,
) -> CheckResult:
    """Compare this release with earlier releases of the same dataset in the catalogue."""
    protection: Protection = "dp" if plan.spends_budget else "cell-key"
    levels = sorted({level for table in tables for level in table.frames})
    new = ReleaseSnapshot(release_id, protection, areas_from_lookup(bundle.lookup, levels))
    earlier = []
    if plan.loaded.config.disclosure.cross_release:
        for manifest_path in sorted(catalogue.glob("*/*/manifest.json")):
            try:
                manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            if manifest.get("dataset") != dataset or manifest.get("release_id") == release_id:
                continue
            if not manifest.get("tables"):
                continue  # record-level synthetic data has no areas to subtract
            if manifest.get("geography", {}).get("fingerprint") != bundle.fingerprint:
                continue  # other area definitions: their slivers are checked when published
            old_levels = sorted({entry["level"] for entry in manifest.get("files", [])})
            # A DP release states its rho; anything else published tables by cell key.
            kind: Protection = "dp" if "rho" in manifest.get("privacy", {}) else "cell-key"
            earlier.append(
                ReleaseSnapshot(
                    manifest["release_id"], kind, areas_from_lookup(bundle.lookup, old_levels)
                )
            )
    if truth is not None:
        population = truth.population()
    else:
        population = bundle.lookup.set_index("oa_code")["population"].fillna(0)
    return check_cross_release(
        new,
        earlier,
        population,
        min_population=plan.loaded.config.disclosure.min_area_population,
        min_cell=plan.loaded.config.disclosure.min_cell,
    )
