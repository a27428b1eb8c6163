"""Plan a release before running it: steps, tables, levels, budget and expected noise.

Planning is pure: it reads the config only, draws no noise and spends no budget, so an analyst
can tune a release with ``boroughkit plan`` first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from boroughkit.config import LoadedConfig
from boroughkit.config.models import DPTableConfig, DPTablesRelease, SDCTablesRelease

# z for a two-sided 95 % interval of a (discrete) Gaussian.
Z95 = 1.959963984540054


@dataclass(frozen=True)
class LevelPlan:
    """One level of one table: its share of the budget and the noise that buys."""

    level: str
    rho: Fraction
    sigma: float

    @property
    def expected_moe95(self) -> float:
        """Half-width of a 95 % interval of one raw noisy cell at this level."""
        return Z95 * self.sigma


@dataclass(frozen=True)
class TablePlan:
    """One published table: what it counts, its contribution bound and its levels."""

    name: str
    count_by: tuple[str, ...]
    max_categories_per_person: int
    rho: Fraction
    levels: tuple[LevelPlan, ...]


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
        return self.method == "dp-tables"

    def describe(self) -> str:
        """A human-readable summary for ``boroughkit plan``."""
        config = self.loaded.config
        if not self.spends_budget:
            return self._describe_sdc()
        lines = [
            f"Release '{config.name}' ({self.method}), total budget rho = {_show(self.rho)}",
            "Steps: " + " → ".join(self.steps),
            "",
        ]
        for table in self.tables:
            by = ", ".join(table.count_by) or "(area only)"
            lines.append(
                f"Table {table.name}: counts by area × {by}; rho = {_show(table.rho)};"
                f" at most {table.max_categories_per_person} cell(s) per person per level"
            )
            for level in table.levels:
                lines.append(
                    f"  {level.level:<8} rho = {_show(level.rho):<10} noise sd = "
                    f"{level.sigma:8.3f}   expected moe95 = ±{level.expected_moe95:.1f}"
                )
        lines += ["", "Nothing has been read, drawn or spent."]
        return "\n".join(lines)


    def _describe_sdc(self) -> str:
        release = self.loaded.config.release
        assert isinstance(release, SDCTablesRelease)
        source = str(release.ptable) if release.ptable else (
            f"generated (D={release.ptable_parameters.D}, V={release.ptable_parameters.V}, "
            f"js={release.ptable_parameters.js})")
        lines = [f"Release '{self.loaded.config.name}' (sdc-tables): ONS cell-key perturbation",
                 "Steps: " + " → ".join(self.steps), f"ptable: {source}; suppress counts below "
                 f"{release.threshold}; round to base {release.rounding_base}", ""]
        for table in release.tables:
            by = ", ".join(table.count_by) or "(area only)"
            lines.append(f"Table {table.name}: counts by area × {by} at "
                         f"{', '.join(table.levels)}")
        lines += ["", "No privacy budget is used; nothing has been read."]
        return "\n".join(lines)


def default_level_split(levels: Sequence[str]) -> dict[str, Fraction]:
    """Equal shares of a table's budget across its levels (exact fractions summing to 1)."""
    return {level: Fraction(1, len(levels)) for level in levels}


def level_sigma(rho: Fraction, cells_per_person: int) -> float:
    """Discrete Gaussian scale giving ``rho``-zCDP when one person changes ``cells_per_person``
    cells by at most 1 each (squared L2 sensitivity = cells_per_person)."""
    return math.sqrt(cells_per_person / (2 * float(rho)))


def _table_plan(table: DPTableConfig, rho: Fraction) -> TablePlan:
    split = table.level_split or default_level_split(table.levels)
    total_weight = sum(split.get(level, Fraction(0)) for level in table.levels)
    levels = []
    for level in table.levels:
        level_rho = rho * split.get(level, Fraction(0)) / total_weight
        levels.append(
            LevelPlan(level, level_rho, level_sigma(level_rho, table.max_categories_per_person))
        )
    return TablePlan(
        table.name, tuple(table.count_by), table.max_categories_per_person, rho, tuple(levels)
    )


def build_plan(loaded: LoadedConfig) -> Plan:
    """Resolve a validated config into a :class:`Plan` (pure: reads no data, spends nothing)."""
    release = loaded.config.release
    steps = ("load", "geocode", release.method, "disclosure gate", "publish")
    tables: list[TablePlan] = []
    if isinstance(release, DPTablesRelease):
        total_weight = sum(table.weight for table in release.tables)
        for table in release.tables:
            tables.append(_table_plan(table, release.budget.rho * table.weight / total_weight))
    rho = release.budget.rho if isinstance(release, DPTablesRelease) else Fraction(0)
    return Plan(loaded, steps, release.method, rho, tuple(tables))


def _show(value: Fraction) -> str:
    return f"{float(value):.6g}" if value.denominator != 1 else str(value.numerator)
