"""Tables from an aggregation engine (DuckDB, PostgreSQL or Spark; see :mod:`boroughkit.engines`):
when records carry their OA code and come as Parquet or CSV or from a database, a table method
asks the engine for each table's exact OA × cell tallies and never holds the records.

What is shared by the methods that stream: when streaming applies, the request of one table,
the input checks the in-memory path makes, the input facts and the leak scan's secrets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from boroughkit.anonymise.aggregate_files import open_records, out_of_memory
from boroughkit.anonymise.aggregate_result import OACellAggregate
from boroughkit.anonymise.counts import CategoryGrid
from boroughkit.anonymise.keystore import RecordKeys
from boroughkit.anonymise.released import AreaIndex
from boroughkit.config.models import is_url
from boroughkit.engines import AggregationEngine, CellRequest, engine_for
from boroughkit.engines.protocol import ValueSums
from boroughkit.errors import DataError
from boroughkit.release.gating import secret_columns
from boroughkit.release.job import ReleaseJob
from boroughkit.release.load import ValueRules, read_table
from boroughkit.release.manifest import InputFacts
from boroughkit.release.plan import Plan
from boroughkit.release.populations import published_populations


def can_stream(plan: Plan, source: Path) -> bool:
    """True when records are geocoded by OA code, from a file DuckDB or Spark reads (Parquet
    or CSV) or from a database."""
    config = plan.loaded.config
    from_file = config.source.format in ("auto", "csv", "parquet") and source.suffix.lower() in (
        ".parquet",
        ".pq",
        ".csv",
    )
    return config.geography.geocode.oa is not None and (
        config.source.database is not None or from_file
    )


def can_stream_checked(job: ReleaseJob, rules: ValueRules) -> bool:
    """Whether ``job``'s tables are streamed (no number column may be empty: that is checked in
    memory only); a records file that cannot be opened says why, as on the in-memory path."""
    if rules.optional or not can_stream(job.plan, job.source):
        return False
    if job.config.source.database is None and not is_url(job.config.source.path):
        open_records(job.source)
    return True


def job_request(job: ReleaseJob, rules: ValueRules) -> CellRequest:
    """What every table's request of ``job`` shares (columns, geography, opt-outs, ``rules``),
    read once; :func:`table_request` adds a table's cells and bound."""
    config = job.config
    return CellRequest(
        person=config.source.privacy_unit,
        oa_column=str(config.geography.geocode.oa),
        categories=[],
        max_cells=1,
        oa_codes=AreaIndex.from_bundle(job.bundle).areas["oa"]["code"].tolist(),
        oa_code_pattern=job.bundle.info.oa_code_pattern,
        opt_outs=opt_out_ids(job.plan),
        opt_out_column=config.source.opt_out_column,
        required=rules.required,
        drop_empty=frozenset(rules.drop),
        numbers=rules.numbers,
    )


def table_request(
    shared: CellRequest,
    grid: CategoryGrid,
    *,
    max_cells: int,
    sums: ValueSums | None = None,
    record_keys: RecordKeys | None = None,
) -> CellRequest:
    """The engine request of one table over ``grid``."""
    categories = list(zip(grid.columns, grid.values, strict=True))
    return replace(
        shared, categories=categories, max_cells=max_cells, sums=sums, record_keys=record_keys
    )


def aggregate_checked(
    engine: AggregationEngine, request: CellRequest, job: ReleaseJob
) -> OACellAggregate:
    """The engine's aggregate, with the data errors the in-memory path raises for the same
    input (empty or undeclared values, persons in two OAs, too many unplaced rows)."""
    source = job.source
    try:
        aggregate = engine.aggregate_cells(request)
    except MemoryError:
        raise out_of_memory(source) from None
    aggregate.raise_for_data_errors(str(source))
    kept = aggregate.input_rows - aggregate.opted_out_rows - aggregate.empty_rows
    if aggregate.input_rows - aggregate.opted_out_rows <= 0:
        raise DataError(f"{source}: no records in the file", fix="check the export is complete")
    if kept <= 0:
        raise DataError(
            f"{source}: every record was left out for invalid values {aggregate.dropped}",
            fix="correct the values, or remove on_invalid: drop to see the rows",
        )
    limit = job.config.geography.geocode.max_unmatched_share
    share = aggregate.unmatched_rows / kept
    if share > limit:
        details = "; ".join(f"{reason}: {n} row(s)" for reason, n in aggregate.unmatched.items())
        raise DataError(
            f"{source}: {share:.1%} of records could not be placed in an Output Area ({details})",
            fix="correct the area column (codes like those of the geography bundle), or raise "
            "geography.geocode.max_unmatched_share if these records may be left out",
        )
    return aggregate


def input_facts(aggregate: OACellAggregate) -> InputFacts:
    """What the analyst is told about the input (exact: never published)."""
    return InputFacts(
        aggregate.input_rows,
        aggregate.opted_out_rows,
        dict(aggregate.unmatched),
        aggregate.empty_rows,
        aggregate.dropped,
    )


def opt_out_ids(plan: Plan) -> list[str] | None:
    """The opt-out register's ids (trimmed text), or None without a register."""
    config = plan.loaded.config
    if config.source.opt_outs is None:
        return None
    table = read_table(plan.loaded.resolve(config.source.opt_outs), setting="source.opt_outs")
    key = config.source.opt_out_column or config.source.privacy_unit
    column = key if key in table.columns else table.columns[0]
    return [str(value).strip() for value in table[column].dropna()]


def streamed_evidence(
    job: ReleaseJob, levels: list[str]
) -> tuple[dict[str, Iterable[Any]], pd.DataFrame]:
    """The gate's evidence of a streamed release: the leak scan's secrets (as
    :func:`stream_secrets`) and the published areas' public populations."""
    secrets = stream_secrets(job, engine_for(job.config, job.source))
    return secrets, published_populations(job.plan.loaded, job.bundle, levels)


def stream_secrets(job: ReleaseJob, engine: AggregationEngine) -> dict[str, Iterable[Any]]:
    """The same secrets as :func:`boroughkit.release.gating.record_secrets` on the loaded
    records: the distinct values of the id, household and identifier columns of every record
    not opted out, read by the aggregation engine, plus the planted canary.

    Every value is handed to the leak scan, which keeps the distinctive ones, so the scan
    searches for as many values as the in-memory path would on the same records.
    """
    config = job.config
    opt_outs = opt_out_ids(job.plan)
    # Opted-out residents' rows are left out, as load_records leaves them out in memory.
    key = None if opt_outs is None else config.source.opt_out_column or config.source.privacy_unit
    secrets = dict(engine.distinct_values(secret_columns(config), key, opt_outs))
    if config.disclosure.canary:
        secrets["canary"] = [config.disclosure.canary]
    return secrets
