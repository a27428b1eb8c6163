"""The streaming path for large inputs: DuckDB reduces the file, OpenDP noises the small table.

Used for ``dp-tables`` counts when records carry their OA code and come as Parquet or CSV: the
records never become a pandas frame, so 100 million rows run in a few GiB. The privacy argument
is the same as :mod:`boroughkit.anonymise.dp_tables`: DuckDB keeps at most ``k`` distinct cells
per person (a random choice depending only on that person's rows) before counting.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from boroughkit.anonymise.aggregate import OACellAggregate, aggregate_oa_cells
from boroughkit.anonymise.aggregate_source import find_identifier_values
from boroughkit.anonymise.counts import category_grid
from boroughkit.anonymise.dp_tables import level_frame, release_counts_from_oa
from boroughkit.anonymise.released import AreaIndex, ReleasedTable
from boroughkit.errors import DataError
from boroughkit.geography.bundle import GeographyBundle
from boroughkit.methods.dp_tables.release import lookup_codes, table_details
from boroughkit.release.job import ReleaseJob
from boroughkit.release.load import read_table
from boroughkit.release.plan import Plan

TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]{3,}")


def can_stream(plan: Plan, source: Path) -> bool:
    """True when every table is a DP count and records are geocoded by OA code from a file
    DuckDB reads (Parquet or CSV)."""
    config = plan.loaded.config
    return (all(table.statistic == "count" for table in plan.tables)
            and config.geography.geocode.oa is not None
            and config.source.format in ("auto", "csv", "parquet")
            and source.suffix.lower() in (".parquet", ".pq", ".csv"))


@dataclass(frozen=True)
class StreamFacts:
    """What the analyst and the manifest are told about the input."""

    input_rows: int
    opted_out_rows: int
    unmatched: dict[str, int]
    persons_per_oa: Any


def stream_release(job: ReleaseJob) -> tuple[list[ReleasedTable], StreamFacts]:
    """Aggregate each table in DuckDB, then measure, reconcile and tidy it."""
    plan, bundle, source, config = job.plan, job.bundle, job.source, job.config
    declared = {name: column.values for name, column in config.source.columns.items()}
    index = AreaIndex.from_bundle(bundle)
    opt_outs = _opt_out_ids(plan)
    rng = job.context.rng_factory()
    tables, facts = [], None
    for table in plan.tables:
        grid = category_grid(table.count_by, declared)
        aggregate = _aggregate(
            source, config.source.format, person=config.source.privacy_unit,
            oa_column=str(config.geography.geocode.oa),
            categories=list(zip(grid.columns, grid.values, strict=True)),
            max_cells=table.max_categories_per_person,
            oa_codes=index.areas["oa"]["code"].tolist(),
            oa_code_pattern=bundle.info.oa_code_pattern, opt_outs=opt_outs,
            opt_out_column=config.source.opt_out_column)
        _check(aggregate, plan, source)
        released = release_counts_from_oa(aggregate.counts, index=index,
                                          lookup=lookup_codes(index), plan=table, grid=grid,
                                          rng=rng, contributions=aggregate.contributions,
                                          kept=aggregate.kept_contributions)
        frames: dict[str, pd.DataFrame] = {lp.level: level_frame(released, lp.level) for lp in table.levels}
        tables.append(ReleasedTable(table.name, grid.columns, "count", frames,
                                    table_details(table, grid, released)))
        facts = StreamFacts(aggregate.input_rows, aggregate.opted_out_rows,
                            dict(aggregate.unmatched), aggregate.persons_per_oa)
    assert facts is not None
    return tables, facts


def _aggregate(source: Path, *args: Any, **kwargs: Any) -> OACellAggregate:
    try:
        return aggregate_oa_cells(source, *args, **kwargs)
    except DataError:
        if source.suffix.lower() == ".csv":
            _require_utf8(source)  # say what is wrong when it is the encoding
        raise


def _require_utf8(path: Path) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                raise DataError(
                    f"{path}: not UTF-8 text (byte {offset + error.start} cannot be decoded)",
                    fix="re-save the file as UTF-8 (in Excel: 'CSV UTF-8 (Comma delimited)')",
                ) from error
            offset += len(block)


def _check(aggregate: OACellAggregate, plan: Plan, source: Path) -> None:
    aggregate.raise_for_data_errors(str(source))
    if aggregate.input_rows - aggregate.opted_out_rows <= 0:
        raise DataError(f"{source}: no records in the file", fix="check the export is complete")
    limit = plan.loaded.config.geography.geocode.max_unmatched_share
    share = aggregate.unmatched_rows / max(aggregate.input_rows - aggregate.opted_out_rows, 1)
    if share > limit:
        details = "; ".join(f"{reason}: {n} row(s)" for reason, n in aggregate.unmatched.items())
        raise DataError(
            f"{source}: {share:.1%} of records could not be placed in an Output Area ({details})",
            fix="correct the area column (codes like those of the geography bundle), or raise "
            "geography.geocode.max_unmatched_share if these records may be left out")


def _opt_out_ids(plan: Plan) -> list[str] | None:
    config = plan.loaded.config
    if config.source.opt_outs is None:
        return None
    table = read_table(plan.loaded.resolve(config.source.opt_outs))
    key = config.source.opt_out_column or config.source.privacy_unit
    column = key if key in table.columns else table.columns[0]
    return [str(value).strip() for value in table[column].dropna()]


def identifier_secrets(plan: Plan, source: Path, paths: list[Path]) -> dict[str, list[str]]:
    """Identifier values of the input that occur as tokens in the output files.

    The outputs are small, the input may be huge: tokens of the outputs are checked against
    the input's identifier columns by DuckDB instead of loading every id.
    """
    config = plan.loaded.config
    tokens: set[str] = set()
    for path in paths:
        text = path.read_bytes().decode("utf-8", errors="replace")
        tokens |= set(TOKEN.findall(text))
    columns = [c for c in (config.source.privacy_unit, config.source.household,
                           *config.source.identifiers) if c]
    return {column: sorted(find_identifier_values(source, config.source.format, column, tokens))
            for column in columns}


def populations_from_stream(bundle: GeographyBundle, levels: list[str],
                            facts: StreamFacts) -> pd.DataFrame:
    """Residents of each published area (bundle figures, or persons counted in the input)."""
    frames = []
    index = AreaIndex.from_bundle(bundle)
    for level in levels:
        areas = bundle.areas(level)[["code", "name", "population"]].copy()
        if areas["population"].isna().any():
            per_area = pd.Series(facts.persons_per_oa).groupby(index.oa_position[level]).sum()
            areas["population"] = per_area.reindex(range(len(areas))).fillna(0).to_numpy()
        frames.append(areas.assign(level=level))
    return pd.concat(frames, ignore_index=True).astype({"population": "int64"})
