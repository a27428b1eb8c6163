"""Make sdc-tables hold: primary rules, secondary suppression and the attack audit.

Cell-key tables are perturbed, but an intruder may still treat published figures as exact and
combine tables, levels and totals. To be safe the gate assumes the worst: it builds every
published cell with its *true* count, applies the table rules (threshold, zeros, minimum area
population), then suppresses complementary cells until the attack audit (an LP over every
published relation) can neither recover nor narrow any suppressed cell below the protection
width. The suppression found is applied to the perturbed tables before they are written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from boroughkit.anonymise.counts import TOTAL
from boroughkit.anonymise.released import AreaIndex, ReleasedTable
from boroughkit.anonymise.sdc_tables import KeyedCounts
from boroughkit.disclosure.report import CheckResult
from boroughkit.disclosure.rules import RuleSettings, apply_rules, area_populations
from boroughkit.disclosure.suppression import secondary_suppression
from boroughkit.disclosure.tables import SUPPRESSED, CellTable
from boroughkit.geography.bundle import GeographyBundle


@dataclass(frozen=True)
class TableTruth:
    """One table's exact tallies and the label of each of its cells (as :func:`_key` gives)."""

    keyed: KeyedCounts
    labels: list[str]


def protect(
    tables: list[ReleasedTable],
    truths: dict[str, TableTruth],
    index: AreaIndex,
    bundle: GeographyBundle,
    settings: RuleSettings,
) -> tuple[list[ReleasedTable], list[CheckResult]]:
    """Tables with primary and secondary suppression applied, and the checks that say so."""
    cells = CellTable.from_frame(_cells(tables, truths, index), source="release")
    primary, rule_checks = apply_rules(
        cells, settings, area_populations=area_populations(bundle.lookup)
    )
    if not primary.suppressed.any():
        nothing = CheckResult(
            "Suppression that holds",
            True,
            "No cell is suppressed, so no cell can be recovered from others.",
            id="secondary-suppression",
            rationale="an intruder subtracts published cells from totals",
        )
        return tables, [*rule_checks, nothing]
    secondary = secondary_suppression(primary, bundle.lookup, settings, prune_limit=40)
    protected = _apply(tables, secondary.cells.frame)
    return protected, [*rule_checks, secondary.check, secondary.audit.check]


def _key(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    if not columns:
        return pd.Series(TOTAL, index=frame.index)
    labels = frame[list(columns)].astype(str)
    total = (labels == TOTAL).all(axis=1)
    return labels.agg(" / ".join, axis=1).where(~total, TOTAL)


def _cells(
    tables: list[ReleasedTable], truths: dict[str, TableTruth], index: AreaIndex
) -> pd.DataFrame:
    frames = []
    for table in tables:
        truth = truths[table.name]
        label_position = {label: j for j, label in enumerate(truth.labels)}
        for level, published in table.frames.items():
            tallies = truth.keyed.at_level(index, level)
            area_position = {code: i for i, code in enumerate(index.areas[level]["code"])}
            keys = _key(published, table.category_columns)
            value = [
                int(tallies.persons[area_position[a]])
                if k == TOTAL
                else int(tallies.counts[area_position[a], label_position[k]])
                for a, k in zip(published["area_code"], keys, strict=True)
            ]
            frames.append(
                pd.DataFrame(
                    {
                        "table": table.name,
                        "level": level,
                        "area_code": published["area_code"],
                        "category": keys,
                        "value": value,
                        "status": np.where(
                            published["status"] == SUPPRESSED, SUPPRESSED, "published"
                        ),
                        "rule": np.where(
                            published["status"] == SUPPRESSED, "cell-key threshold", ""
                        ),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def cell_labels(cells: list[tuple[str, ...]]) -> list[str]:
    """Each cell's label as :func:`_key` writes it for a published row."""
    return [" / ".join(cell) if cell else TOTAL for cell in cells]


def _apply(tables: list[ReleasedTable], cells: pd.DataFrame) -> list[ReleasedTable]:
    suppressed = cells[cells["status"] == SUPPRESSED]
    hidden = set(
        zip(
            suppressed["table"],
            suppressed["level"],
            suppressed["area_code"],
            suppressed["category"],
            strict=True,
        )
    )
    result = []
    for table in tables:
        frames = {}
        for level, frame in table.frames.items():
            keys = _key(frame, table.category_columns)
            mask = np.array(
                [
                    (table.name, level, a, k) in hidden
                    for a, k in zip(frame["area_code"], keys, strict=True)
                ]
            )
            frame = frame.copy()
            frame["count"] = frame["count"].astype("Int64").mask(mask)
            frame["status"] = np.where(mask, SUPPRESSED, frame["status"])
            frames[level] = frame
        result.append(replace(table, frames=frames))
    return result
