"""Primary disclosure rules for published tables: which cells may not be published as they are.

Defaults are UK practice: counts of 1–9 and unexplained zeros are disclosive (threshold rule);
a magnitude cell is disclosive when its two largest contributors make more than 90 % of it
(dominance) or when the second-largest could estimate the largest within 10 % (p % rule); means
and rates need 10 contributors; areas need 100 residents and 40 households. Differentially
private tables are exempt: see :func:`dp_superseded_results`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from boroughkit.disclosure.report import CheckResult, Finding
from boroughkit.disclosure.tables import PUBLISHED, CellTable
from boroughkit.errors import ConfigError
from boroughkit.terms import LEVELS


@dataclass(frozen=True)
class RuleSettings:
    """Thresholds of the table rules and of the attack audit (percentages are 0–100)."""

    min_cell: int = 10
    zeros_disclosive: bool = True
    dominance_n: int = 2
    dominance_k: float = 90.0
    p_percent: float = 10.0
    min_contributors: int = 10
    min_area_population: int = 100
    min_area_households: int = 40
    #: The audit fails a suppressed cell an intruder can narrow to an interval this narrow.
    protection_width: float = 10.0
    #: Also require a width of this % of the cell's value (for magnitude tables); 0 turns it off.
    protection_percent: float = 0.0

    def __post_init__(self) -> None:
        if self.dominance_n not in (1, 2):
            raise ConfigError(
                f"dominance n must be 1 or 2, got {self.dominance_n}",
                fix="set disclosure.dominance_n to 1 or 2 (cells carry top1, top2)",
            )
        for name in ("dominance_k", "p_percent", "protection_percent"):
            if not 0 <= getattr(self, name) <= 100:
                raise ConfigError(
                    f"{name} must be a percentage 0–100, got {getattr(self, name)}",
                    fix=f"set disclosure.{name} between 0 and 100",
                )
        for name in (
            "min_cell",
            "min_contributors",
            "min_area_population",
            "min_area_households",
            "protection_width",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative", fix=f"set {name} to 0 or more")


#: The stable id of each rule's check (the area rule's id differs from the gate's own
#: ``min-area-population`` check of published areas).
_IDS = {
    "threshold": "threshold",
    "zero": "zeros",
    "min-contributors": "min-contributors",
    "dominance": "dominance",
    "p-percent": "p-percent",
    "min-area-population": "area-population-rule",
}
#: The intruder scenario (see the risk report) each rule answers.
_CATEGORIES = {
    "threshold": "small-cells",
    "zero": "small-cells",
    "min-contributors": "small-cells",
    "dominance": "dominance",
    "p-percent": "dominance",
    "min-area-population": "area-population",
}
_RULES: dict[str, tuple[str, str]] = {
    "threshold": (
        "Threshold rule",
        "a count of 1–9 people in a small area can point to identifiable neighbours,"
        " and lets a person in the cell learn about the others in it",
    ),
    "zero": (
        "Disclosive zeros",
        "an empty cell tells everyone in the area that they lack the attribute (or that"
        " everyone has the other one): group disclosure",
    ),
    "dominance": (
        "Dominance rule",
        "when one or two people make up most of an amount, the amount approximates"
        " what they paid, owe or receive",
    ),
    "p-percent": (
        "p% rule",
        "the second-largest contributor can subtract their own share and estimate the"
        " largest contributor's amount closely",
    ),
    "min-contributors": (
        "Minimum contributors for means and rates",
        "an average or rate over a few people reveals their individual values",
    ),
    "min-area-population": (
        "Minimum area population",
        "figures for an area with very few residents or households describe"
        " people who are easy to single out",
    ),
}


def sensitive_cells(
    cells: CellTable, settings: RuleSettings, area_populations: pd.DataFrame | None = None
) -> dict[str, np.ndarray]:
    """For each rule, the boolean mask of cells it finds disclosive (published or not).

    ``area_populations`` has columns ``level, area_code, population`` and optionally
    ``households`` (see :func:`area_populations`); without it the area rule marks nothing.
    """
    frame = cells.frame
    value = frame["value"].to_numpy(float)
    contributors = frame["contributors"].to_numpy(float)
    measure = frame["measure"].to_numpy()
    count = measure == "count"
    magnitude = measure == "magnitude"
    structural = frame["structural_zero"].to_numpy(bool)
    # Persons behind a cell: the value of a count, the stated contributors otherwise.
    persons = np.where(count, value, contributors)
    unknown_persons = ~count & np.isnan(contributors)
    masks = {
        "threshold": (count | magnitude)
        & (((persons > 0) & (persons < settings.min_cell)) | (magnitude & unknown_persons)),
        "zero": (
            settings.zeros_disclosive
            & ~structural
            & (count | magnitude)
            & (np.nan_to_num(persons, nan=1) == 0)
        ),
        "min-contributors": (
            ~count
            & ~magnitude
            & ~structural
            & (np.nan_to_num(persons, nan=0) < settings.min_contributors)
        ),
    }
    masks.update(_magnitude_rules(frame, settings, magnitude & (value > 0)))
    masks["min-area-population"] = _small_areas(frame, settings, area_populations)
    return masks


def _magnitude_rules(
    frame: pd.DataFrame, settings: RuleSettings, applies: np.ndarray
) -> dict[str, np.ndarray]:
    value = frame["value"].to_numpy(float)
    top1 = frame["top1"].to_numpy(float)
    top2 = frame["top2"].to_numpy(float)
    single = frame["contributors"].to_numpy(float) <= 1
    # Unknown largest contributions are treated as the worst case: the cell is disclosive.
    top2 = np.where(np.isnan(top2), np.where(single, 0.0, value - np.nan_to_num(top1)), top2)
    top1 = np.where(np.isnan(top1), value, top1)
    largest = top1 + (top2 if settings.dominance_n == 2 else 0.0)
    with np.errstate(invalid="ignore"):
        dominance = applies & (largest > settings.dominance_k / 100 * value)
        p_percent = applies & (value - top1 - top2 < settings.p_percent / 100 * top1)
    return {"dominance": dominance, "p-percent": p_percent}


def _small_areas(
    frame: pd.DataFrame, settings: RuleSettings, populations: pd.DataFrame | None
) -> np.ndarray:
    if populations is None or populations.empty:
        return np.zeros(len(frame), dtype=bool)
    keyed = populations.astype({"level": str, "area_code": str}).set_index(["level", "area_code"])
    index = pd.MultiIndex.from_frame(frame[["level", "area_code"]])
    people = keyed["population"].reindex(index).astype("Float64")
    small = (people < settings.min_area_population).fillna(False)
    if "households" in keyed:
        homes = keyed["households"].reindex(index).astype("Float64")
        small |= (homes < settings.min_area_households).fillna(False)
    return np.asarray(small, dtype=bool)


def area_populations(
    lookup: pd.DataFrame,
    levels: Mapping[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """Residents and households of every area, summed from the OA lookup.

    ``levels`` maps a level to a Series OA code → area code; by default every
    ``<level>_code`` column of the lookup. An area with any OA of unknown population gets NA.
    """
    oa = lookup["oa_code"].astype(str).to_numpy()
    mapping = (
        dict(levels)
        if levels
        else {
            level: pd.Series(lookup[f"{level}_code"].to_numpy(), index=oa)
            for level in LEVELS
            if f"{level}_code" in lookup
        }
    )
    counted = [column for column in ("population", "households") if column in lookup]
    frames = []
    for level, codes in mapping.items():
        data = lookup[counted].astype("Float64").set_axis(oa)
        data["area_code"] = pd.Series(codes).reindex(oa).to_numpy()
        grouped = data.dropna(subset=["area_code"]).groupby("area_code")
        # sum(min_count=...) of every OA: one OA of unknown size makes the area unknown.
        sums = (
            grouped[counted]
            .sum(min_count=1)
            .where(grouped[counted].count() == grouped.size().to_numpy()[:, None])
        )
        frames.append(sums.reset_index().assign(level=level))
    return pd.concat(frames, ignore_index=True)


def apply_rules(
    cells: CellTable,
    settings: RuleSettings,
    *,
    area_populations: pd.DataFrame | None = None,
) -> tuple[CellTable, list[CheckResult]]:
    """Suppress every cell a primary rule finds disclosive; one passing result per rule."""
    masks = sensitive_cells(cells, settings, area_populations)
    protected = cells
    for rule, mask in masks.items():
        protected = protected.suppress(mask, rule)
    results = []
    for rule, mask in masks.items():
        findings = _findings(cells.frame, mask, rule, "suppressed (primary)")
        summary = (
            f"{int(mask.sum())} cells suppressed."
            if mask.any()
            else "No cell is disclosive under this rule."
        )
        results.append(_result(rule, True, summary, findings, settings, len(mask)))
    return protected, results


def check_rules(
    cells: CellTable, settings: RuleSettings, *, area_populations: pd.DataFrame | None = None
) -> list[CheckResult]:
    """Verify an already protected release: a rule fails if it finds a published cell."""
    published = cells.frame["status"].to_numpy() == PUBLISHED
    results = []
    for rule, mask in sensitive_cells(cells, settings, area_populations).items():
        exposed = mask & published
        findings = _findings(cells.frame, exposed, rule, "published but disclosive")
        summary = (
            f"{int(exposed.sum())} published cells break this rule; suppress them."
            if exposed.any()
            else f"All {int(mask.sum())} disclosive cells are suppressed."
        )
        results.append(_result(rule, not exposed.any(), summary, findings, settings, len(mask)))
    return results


def dp_superseded_results(settings: RuleSettings) -> list[CheckResult]:
    """The table rules as not applicable to differentially private tables, and why."""
    reason = (
        " Not applied: this table is differentially private. The DP guarantee bounds what"
        " any cell reveals about any one person, whatever the cell's size, so a small or"
        " dominated noisy cell is no more disclosive than a large one. Applying these rules"
        " to noisy values would add no protection, and suppressing cells based on them"
        " would leak information about the true values through the pattern of"
        " suppression."
    )
    return [
        replace(
            _result(rule, True, "", (), settings, 0),
            superseded_by_dp=True,
            summary=_settings_note(rule, settings).strip() + reason,
        )
        for rule in _RULES
    ]


def _result(
    rule: str,
    passed: bool,
    summary: str,
    findings: tuple[Finding, ...],
    settings: RuleSettings,
    n_cells: int,
) -> CheckResult:
    title, why = _RULES[rule]
    return CheckResult(
        title,
        passed,
        summary + _settings_note(rule, settings),
        findings,
        rationale=why,
        id=_IDS[rule],
        category=_CATEGORIES[rule],
        metrics={"cells": n_cells, "flagged": len(findings)},
    )


def _settings_note(rule: str, settings: RuleSettings) -> str:
    notes = {
        "threshold": f"counts below {settings.min_cell}",
        "zero": "zeros disclosive" if settings.zeros_disclosive else "zeros allowed",
        "dominance": f"(n={settings.dominance_n}, k={settings.dominance_k:g}%)",
        "p-percent": f"p={settings.p_percent:g}%",
        "min-contributors": f"at least {settings.min_contributors} contributors",
        "min-area-population": (
            f"at least {settings.min_area_population} residents and"
            f" {settings.min_area_households} households"
        ),
    }
    return f" Setting: {notes[rule]}."


def _findings(
    frame: pd.DataFrame,
    mask: np.ndarray,
    rule: str,
    detail: str,
) -> tuple[Finding, ...]:
    # True values stay out of the report: the location and the rule are enough to act on.
    hits = frame.loc[mask, ["table", "level", "area_code", "category"]]
    return tuple(
        Finding({str(k): v for k, v in where.items()}, rule, detail)
        for where in hits.to_dict("records")
    )
