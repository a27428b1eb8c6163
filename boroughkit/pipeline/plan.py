"""Plan a release before running it: steps, tables, levels, budget and expected accuracy.

Planning is pure: it reads the config only, draws no noise and spends no budget, so an analyst
can tune a release with ``boroughkit plan`` first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from boroughkit.anonymise.consistency import default_level_split, expected_moe95
from boroughkit.config import LoadedConfig
from boroughkit.config.models import DPTableConfig, DPTablesRelease
from boroughkit.terms import Z95


@dataclass(frozen=True)
class LevelPlan:
    """One level of one measure: its share of the budget, the noise, the expected moe95."""

    level: str
    rho: Fraction
    sigma: float
    expected_moe95: float = math.nan


@dataclass(frozen=True)
class MeasurePlan:
    """A noisy measurement of a table: counts, or sums of a clipped value."""

    kind: str  # "count" | "sum"
    sensitivity_squared: int  # squared L2 sensitivity of one person at any level
    levels: tuple[LevelPlan, ...]


@dataclass(frozen=True)
class TablePlan:
    """One published table: its statistic, contribution bounds, budget and measurements."""

    name: str
    count_by: tuple[str, ...]
    statistic: str
    max_categories_per_person: int
    max_rows_per_person: int
    value: str | None
    bounds: tuple[int, int] | None
    rho: Fraction
    measures: tuple[MeasurePlan, ...]

    @property
    def levels(self) -> tuple[LevelPlan, ...]:
        """The levels of the first measure (every measure has the same levels)."""
        return self.measures[0].levels

    def measure(self, kind: str) -> MeasurePlan:
        """The measure of the given kind."""
        return next(m for m in self.measures if m.kind == kind)


@dataclass(frozen=True)
class Plan:
    """Everything a run will do, resolved from the config."""

    loaded: LoadedConfig
    steps: tuple[str, ...]
    method: str
    rho: Fraction
    tables: tuple[TablePlan, ...]

    @property
    def spends_budget(self) -> bool:
        """True for differentially private methods, which draw on the ledger."""
        return self.method == "dp-tables" or (self.method == "synthetic-extract" and self.rho > 0)

    def describe(self) -> str:
        """A human-readable summary for ``boroughkit plan``."""
        from boroughkit.pipeline.plan_text import describe_plan

        return describe_plan(self)


def level_sigma(rho: Fraction, sensitivity_squared: int) -> float:
    """Discrete Gaussian scale giving ``rho``-zCDP at the given squared L2 sensitivity."""
    return math.sqrt(sensitivity_squared / (2 * float(rho)))


def _measure(kind: str, table: DPTableConfig, rho: Fraction, lookup: Any) -> MeasurePlan:
    k, m = table.max_categories_per_person, table.max_rows_per_person
    if kind == "count":
        # distinct (person, cell) pairs for counts; rows for a mean's denominator
        sensitivity = k if table.statistic == "count" else m * m
    else:
        assert table.bounds is not None
        sensitivity = (m * max(abs(table.bounds[0]), abs(table.bounds[1]))) ** 2
    split = table.level_split or default_level_split(table.levels)
    total = sum(split[level] for level in table.levels)
    sigmas: dict[str, float] = {
        level: level_sigma(rho * split[level] / total, sensitivity) for level in table.levels
    }
    preview = expected_moe95(lookup, sigmas) if lookup is not None else {}
    levels = tuple(
        LevelPlan(
            level,
            rho * split[level] / total,
            sigmas[level],
            preview.get(level, Z95 * sigmas[level]),
        )
        for level in table.levels
    )
    return MeasurePlan(kind, sensitivity, levels)


def _table_plan(table: DPTableConfig, rho: Fraction, lookup: Any) -> TablePlan:
    measures: tuple[MeasurePlan, ...]
    if table.statistic == "mean":
        measures = (
            _measure("count", table, rho / 2, lookup),
            _measure("sum", table, rho / 2, lookup),
        )
    else:
        kind = "count" if table.statistic == "count" else "sum"
        measures = (_measure(kind, table, rho, lookup),)
    return TablePlan(
        table.name,
        tuple(table.count_by),
        table.statistic,
        table.max_categories_per_person,
        table.max_rows_per_person,
        table.value,
        table.bounds,
        rho,
        measures,
    )


def build_plan(loaded: LoadedConfig, *, preview_accuracy: bool = True) -> Plan:
    """Resolve a validated config into a :class:`Plan` (reads no records, spends nothing).

    With ``preview_accuracy`` the geography's public lookup is opened to preview the ``moe95``
    each level will have after the levels are made consistent.
    """
    release = loaded.config.release
    steps: tuple[str, ...] = ("load", "geocode", release.method, "disclosure gate", "publish")
    if release.method == "synthetic-extract":
        steps = ("load", "geocode", "hold-out split", "synthesise", "evaluate",
                 "disclosure gate", "researcher bundle")
    tables: list[TablePlan] = []
    if isinstance(release, DPTablesRelease):
        lookup = _public_lookup(loaded) if preview_accuracy else None
        total_weight = sum(table.weight for table in release.tables)
        for table in release.tables:
            share = release.budget.rho * table.weight / total_weight
            tables.append(_table_plan(table, share, lookup))
    budget = getattr(release, "budget", None)
    rho = budget.rho if budget is not None else Fraction(0)
    return Plan(loaded, steps, release.method, rho, tuple(tables))


def _public_lookup(loaded: LoadedConfig) -> Any:
    from boroughkit.geography import open_bundle

    bundle = open_bundle(loaded.config.geography.boundaries, base_dir=loaded.base_dir)
    return bundle.lookup
