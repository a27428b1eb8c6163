"""Protect ``sdc-tables``: cell-key perturbation, suppression and rounding, then the rules,
secondary suppression and the attack audit across every table and level of the release."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from boroughkit.anonymise import counts
from boroughkit.anonymise.keystore import KeyStore
from boroughkit.anonymise.ptable import PTable, generate_ptable, load_ptable
from boroughkit.anonymise.released import AreaIndex, ReleasedTable
from boroughkit.anonymise.sdc_tables import default_key_store, keyed_counts, release_sdc_table
from boroughkit.config import LoadedConfig
from boroughkit.methods.sdc_tables.config import SDCTablesRelease
from boroughkit.methods.sdc_tables.protection import TableTruth, cell_labels, protect
from boroughkit.release.gating import rule_settings
from boroughkit.release.job import ReleaseJob


def sdc_release(config_release: object) -> SDCTablesRelease:
    """The ``release:`` section, typed (the registry guarantees the method)."""
    assert isinstance(config_release, SDCTablesRelease)
    return config_release


def ptable_for(release: SDCTablesRelease, loaded: LoadedConfig) -> PTable:
    """The user's ptable file, or one generated from the D, V, js parameters."""
    if release.ptable is not None:
        return load_ptable(loaded.resolve(release.ptable))
    parameters = release.ptable_parameters
    return generate_ptable(D=parameters.D, V=parameters.V, js=parameters.js)


def key_store(job: ReleaseJob) -> KeyStore:
    """The dataset's record-key store (beside the catalogue unless the config names one)."""
    release = sdc_release(job.config.release)
    return KeyStore(
        job.plan.loaded.resolve(release.key_store)
        if release.key_store
        else default_key_store(job.catalogue, job.dataset)
    )


def table_grids(job: ReleaseJob) -> dict[str, counts.CategoryGrid]:
    """Each table's public cells, by table name."""
    declared = {name: column.values for name, column in job.config.source.columns.items()}
    return {
        table.name: counts.category_grid(table.count_by, declared)
        for table in sdc_release(job.config.release).tables
    }


def protect_tables(job: ReleaseJob, frame: pd.DataFrame) -> list[ReleasedTable]:
    """Every table perturbed with the dataset's record keys, from records in memory."""
    store = key_store(job)
    oa_codes = AreaIndex.from_bundle(job.bundle).areas["oa"]["code"].tolist()
    truths = {
        name: TableTruth(
            keyed_counts(
                frame,
                person=job.config.source.privacy_unit,
                grid=grid,
                oa_codes=oa_codes,
                keys=store,
            ),
            cell_labels(grid.cells),
        )
        for name, grid in table_grids(job).items()
    }
    return protect_truths(job, truths)


def protect_truths(job: ReleaseJob, truths: dict[str, TableTruth]) -> list[ReleasedTable]:
    """Every table perturbed from its exact tallies, then protected together."""
    release = sdc_release(job.config.release)
    index = AreaIndex.from_bundle(job.bundle)
    ptable = ptable_for(release, job.plan.loaded)
    grids = table_grids(job)
    tables = [
        release_sdc_table(
            truths[table.name].keyed,
            name=table.name,
            grid=grids[table.name],
            levels=list(table.levels),
            index=index,
            ptable=ptable,
            threshold=release.threshold,
            rounding_base=release.rounding_base,
            unit=table.unit,
        )
        for table in release.tables
    ]
    settings = rule_settings(job.config.disclosure)
    protected, checks = protect(tables, truths, index, job.bundle, settings)
    return [replace(protected[0], checks=tuple(checks)), *protected[1:]]


def manifest_section(release: SDCTablesRelease) -> dict[str, Any]:
    """What was done to every published figure, for the manifest and every file."""
    return {
        "method_statement": (
            f"Counts were perturbed with the ONS cell-key method (each person has a fixed "
            f"record key), counts below {release.threshold} were suppressed and published "
            f"counts rounded to the nearest {release.rounding_base}."
        ),
        "privacy": {
            "definition": "statistical disclosure control (ONS cell-key method)",
            "ptable": str(release.ptable)
            if release.ptable
            else {"generated": release.ptable_parameters.model_dump()},
            "threshold": release.threshold,
            "rounding_base": release.rounding_base,
            "record_keys": "one key 0-255 per person, kept between releases",
        },
    }
