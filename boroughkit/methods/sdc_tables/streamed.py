"""``sdc-tables`` from an aggregation engine: distinct persons and the sums of their record keys
by OA × cell are computed where the records are (DuckDB, PostgreSQL, Spark), with each person's
key derived there from the key store's secret; the perturbation, rules and suppression run on
those tallies exactly as on records in memory, so both paths publish the same tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from boroughkit.anonymise.released import ReleasedTable
from boroughkit.anonymise.sdc_tables import KeyedCounts
from boroughkit.engines import engine_for
from boroughkit.methods.sdc_tables.protection import TableTruth, cell_labels
from boroughkit.methods.sdc_tables.release import key_store, protect_truths, table_grids
from boroughkit.release.job import ReleaseJob
from boroughkit.release.load import ValueRules
from boroughkit.release.oa_truth import OATruth
from boroughkit.release.streamed import (
    aggregate_checked,
    input_facts,
    job_request,
    streamed_evidence,
    table_request,
)


class StreamedSDCTables:
    """Tallies read by the aggregation engine when this is made (before anything is written);
    :meth:`tables` perturbs and protects them."""

    def __init__(self, job: ReleaseJob, rules: ValueRules) -> None:
        self.job = job
        engine = engine_for(job.config, job.source)
        keys = key_store(job).record_keys()
        shared = job_request(job, rules)
        self._truths: dict[str, TableTruth] = {}
        for name, grid in table_grids(job).items():
            request = table_request(shared, grid, max_cells=len(grid.cells), record_keys=keys)
            aggregate = aggregate_checked(engine, request, job)
            assert aggregate.key_sums is not None and aggregate.person_key_sums is not None
            keyed = KeyedCounts(
                aggregate.counts,
                aggregate.key_sums,
                aggregate.persons_per_oa,
                aggregate.person_key_sums,
            )
            self._truths[name] = TableTruth(keyed, cell_labels(grid.cells))
        self.facts = input_facts(aggregate)
        self._oa_codes = list(shared.oa_codes)

    def tables(self) -> list[ReleasedTable]:
        """Perturb, suppress, round and protect every table."""
        return protect_truths(self.job, self._truths)

    def evidence(self, paths: list[Path], levels: list[str]) -> tuple[Any, pd.DataFrame]:
        """The input's identifier values (read by the engine) and the canary, as the in-memory
        path collects them, and the areas' public populations."""
        return streamed_evidence(self.job, levels)

    @property
    def truth(self) -> OATruth | None:
        """The tallies' facts, for the differencing checks."""
        return KeyedTruth(self._truths, self._oa_codes)


class KeyedTruth:
    """Persons per OA and per OA × cell, from the engine's tallies."""

    def __init__(self, truths: dict[str, TableTruth], oa_codes: list[str]) -> None:
        self.truths, self.oa_codes = truths, oa_codes

    def population(self) -> pd.Series:
        """Distinct persons per OA code (every table counts the same persons)."""
        persons = next(iter(self.truths.values())).keyed.persons
        population = pd.Series(persons, index=pd.Index(self.oa_codes, name="oa_code"))
        return population[population > 0]

    def oa_counts(self, table: ReleasedTable) -> pd.DataFrame:
        """Distinct persons by OA × the table's cells, as records in memory give them."""
        truth = self.truths[table.name]
        columns = truth.labels if table.category_columns else ["all"]
        frame = pd.DataFrame(
            truth.keyed.counts, index=pd.Index(self.oa_codes, name="oa_code"), columns=columns
        )
        frame = frame.loc[frame.to_numpy().sum(axis=1) > 0, np.asarray(frame.sum(axis=0) > 0)]
        return frame.sort_index().sort_index(axis=1)
