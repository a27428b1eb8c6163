"""The streaming path for large inputs: an aggregation engine (DuckDB, PostgreSQL or Spark; see
:mod:`boroughkit.engines`) reduces the records, OpenDP noises the small table.

Used for ``dp-tables`` counts when records carry their OA code and come as Parquet or CSV, or
from a database: the records never become a pandas frame, so memory does not grow with rows.
The privacy argument is the same as :mod:`boroughkit.anonymise.dp_tables`: the engine keeps at
most ``k`` distinct cells per person (a random choice depending only on that person's rows)
before counting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boroughkit.anonymise.aggregate import OACellAggregate
from boroughkit.anonymise.aggregate_files import out_of_memory
from boroughkit.anonymise.counts import CategoryGrid, category_grid
from boroughkit.anonymise.dp_tables import release_counts_from_oa
from boroughkit.anonymise.measures import TablePlan
from boroughkit.anonymise.released import AreaIndex, ReleasedTable
from boroughkit.engines import CellRequest, engine_for
from boroughkit.errors import DataError
from boroughkit.methods.dp_tables.release import lookup_codes, released_table
from boroughkit.release.gating import secret_columns
from boroughkit.release.job import ReleaseJob
from boroughkit.release.load import ValueRules, read_table
from boroughkit.release.plan import Plan


def can_stream(plan: Plan, source: Path) -> bool:
    """True when every table is a DP count and records are geocoded by OA code, from a file
    DuckDB or Spark reads (Parquet or CSV) or from a database."""
    config = plan.loaded.config
    from_file = config.source.format in ("auto", "csv", "parquet") and source.suffix.lower() in (
        ".parquet",
        ".pq",
        ".csv",
    )
    return (
        all(table.statistic == "count" for table in plan.tables)
        and config.geography.geocode.oa is not None
        and (config.source.database is not None or from_file)
    )


@dataclass(frozen=True)
class StreamFacts:
    """What the analyst is told about the input (exact: never published)."""

    input_rows: int
    opted_out_rows: int
    unmatched: dict[str, int]
    dropped_rows: int = 0
    dropped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AggregatedTable:
    """One table's exact, bounded OA × cell counts, read from the file before any budget is
    reserved; noise is drawn later, by :func:`release_aggregated`."""

    plan: TablePlan
    grid: CategoryGrid
    aggregate: OACellAggregate


def aggregate_tables(
    job: ReleaseJob, rules: ValueRules | None = None
) -> tuple[list[AggregatedTable], StreamFacts]:
    """Reduce the records to each table's counts in the aggregation engine and check the input
    as the in-memory path does (``rules``: the columns that must hold a value, and those whose
    empty rows are left out). Raises the data errors; reads the records but draws no noise."""
    plan, bundle, source, config = job.plan, job.bundle, job.source, job.config
    rules = rules or ValueRules()
    declared = {name: column.values for name, column in config.source.columns.items()}
    index = AreaIndex.from_bundle(bundle)
    opt_outs = _opt_out_ids(plan)
    engine = engine_for(config, source)
    aggregated, facts = [], None
    for table in plan.tables:
        grid = category_grid(table.count_by, declared)
        request = CellRequest(
            person=config.source.privacy_unit,
            oa_column=str(config.geography.geocode.oa),
            categories=list(zip(grid.columns, grid.values, strict=True)),
            max_cells=table.max_categories_per_person,
            oa_codes=index.areas["oa"]["code"].tolist(),
            oa_code_pattern=bundle.info.oa_code_pattern,
            opt_outs=opt_outs,
            opt_out_column=config.source.opt_out_column,
            required=rules.required,
            drop_empty=frozenset(rules.drop),
        )
        try:
            aggregate = engine.aggregate_cells(request)
        except MemoryError:
            raise out_of_memory(source) from None
        _check(aggregate, plan, source)
        aggregated.append(AggregatedTable(table, grid, aggregate))
        facts = StreamFacts(
            aggregate.input_rows,
            aggregate.opted_out_rows,
            dict(aggregate.unmatched),
            aggregate.empty_rows,
            aggregate.dropped,
        )
    assert facts is not None
    return aggregated, facts


def release_aggregated(job: ReleaseJob, aggregated: list[AggregatedTable]) -> list[ReleasedTable]:
    """Measure (draw noise for), reconcile and tidy each aggregated table."""
    index = AreaIndex.from_bundle(job.bundle)
    rng = job.context.rng_factory()
    tables = []
    for item in aggregated:
        table, grid, aggregate = item.plan, item.grid, item.aggregate
        released = release_counts_from_oa(
            aggregate.counts,
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


def _check(aggregate: OACellAggregate, plan: Plan, source: Path) -> None:
    aggregate.raise_for_data_errors(str(source))
    kept = aggregate.input_rows - aggregate.opted_out_rows - aggregate.empty_rows
    if aggregate.input_rows - aggregate.opted_out_rows <= 0:
        raise DataError(f"{source}: no records in the file", fix="check the export is complete")
    if kept <= 0:
        raise DataError(
            f"{source}: every record was left out for invalid values {aggregate.dropped}",
            fix="correct the values, or remove on_invalid: drop to see the rows",
        )
    limit = plan.loaded.config.geography.geocode.max_unmatched_share
    share = aggregate.unmatched_rows / kept
    if share > limit:
        details = "; ".join(f"{reason}: {n} row(s)" for reason, n in aggregate.unmatched.items())
        raise DataError(
            f"{source}: {share:.1%} of records could not be placed in an Output Area ({details})",
            fix="correct the area column (codes like those of the geography bundle), or raise "
            "geography.geocode.max_unmatched_share if these records may be left out",
        )


def _opt_out_ids(plan: Plan) -> list[str] | None:
    config = plan.loaded.config
    if config.source.opt_outs is None:
        return None
    table = read_table(plan.loaded.resolve(config.source.opt_outs), setting="source.opt_outs")
    key = config.source.opt_out_column or config.source.privacy_unit
    column = key if key in table.columns else table.columns[0]
    return [str(value).strip() for value in table[column].dropna()]


def stream_secrets(plan: Plan, source: Path) -> dict[str, Iterable[Any]]:
    """The same secrets as :func:`boroughkit.release.gating.record_secrets` on the loaded
    records: the distinct values of the id, household and identifier columns of every record
    not opted out, read by the aggregation engine, plus the planted canary.

    Every value is handed to the leak scan, which keeps the distinctive ones, so the scan
    searches for as many values as the in-memory path would on the same records.
    """
    config = plan.loaded.config
    columns = secret_columns(config)
    opt_outs = _opt_out_ids(plan)
    # Opted-out residents' rows are left out, as load_records leaves them out in memory.
    key = None if opt_outs is None else config.source.opt_out_column or config.source.privacy_unit
    secrets = dict(engine_for(config, source).distinct_values(columns, key, opt_outs))
    if config.disclosure.canary:
        secrets["canary"] = [config.disclosure.canary]
    return secrets
