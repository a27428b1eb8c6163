"""``dp-tables`` from an aggregation engine (see :mod:`boroughkit.release.streamed`): the engine
reduces the records, OpenDP noises the small table.

Counts, sums and means alike: the records never become a pandas frame, so memory does not grow
with rows. The privacy argument is the same as :mod:`boroughkit.anonymise.dp_tables`: the
engine keeps at most ``k`` distinct cells per person, and for sums at most ``m`` rows of them
with values clipped to the bounds (a choice depending only on that person's rows and a fresh
secret salt), before counting or summing.
"""

from __future__ import annotations

from dataclasses import dataclass

from boroughkit.anonymise.aggregate import OACellAggregate
from boroughkit.anonymise.counts import CategoryGrid, category_grid
from boroughkit.anonymise.dp_tables import release_from_oa
from boroughkit.anonymise.measures import TablePlan
from boroughkit.anonymise.released import AreaIndex, ReleasedTable
from boroughkit.engines import engine_for
from boroughkit.engines.protocol import ValueSums
from boroughkit.methods.dp_tables.release import lookup_codes, released_table
from boroughkit.release.job import ReleaseJob
from boroughkit.release.load import ValueRules
from boroughkit.release.manifest import InputFacts
from boroughkit.release.streamed import (
    aggregate_checked,
    input_facts,
    job_request,
    table_request,
)


@dataclass(frozen=True)
class AggregatedTable:
    """One table's exact, bounded OA × cell tallies, read before any budget is reserved;
    noise is drawn later, by :func:`release_aggregated`."""

    plan: TablePlan
    grid: CategoryGrid
    aggregate: OACellAggregate


def aggregate_tables(
    job: ReleaseJob, rules: ValueRules | None = None
) -> tuple[list[AggregatedTable], InputFacts]:
    """Reduce the records to each table's tallies in the aggregation engine and check the
    input as the in-memory path does (``rules``: the columns that must hold a value or a
    number, and those whose bad rows are left out). Raises the data errors; draws no noise."""
    rules = rules or ValueRules()
    declared = {name: column.values for name, column in job.config.source.columns.items()}
    engine = engine_for(job.config, job.source)
    shared = job_request(job, rules)
    aggregated = []
    for table in job.plan.tables:
        grid = category_grid(table.count_by, declared)
        sums = None
        if table.statistic != "count":
            assert table.value is not None and table.bounds is not None
            sums = ValueSums(table.value, table.bounds, table.max_rows_per_person)
        request = table_request(shared, grid, max_cells=table.max_categories_per_person, sums=sums)
        aggregated.append(AggregatedTable(table, grid, aggregate_checked(engine, request, job)))
    return aggregated, input_facts(aggregated[-1].aggregate)


def release_aggregated(job: ReleaseJob, aggregated: list[AggregatedTable]) -> list[ReleasedTable]:
    """Measure (draw noise for), reconcile and tidy each aggregated table."""
    index = AreaIndex.from_bundle(job.bundle)
    rng = job.context.rng_factory()
    tables = []
    for item in aggregated:
        table, grid, aggregate = item.plan, item.grid, item.aggregate
        released = release_from_oa(
            aggregate.counts,
            oa_sums=aggregate.sums,
            index=index,
            lookup=lookup_codes(index),
            plan=table,
            grid=grid,
            rng=rng,
            contributions=aggregate.contributions,
            kept=aggregate.kept_contributions,
        )
        tables.append(released_table(table, grid, released))
    return tables
