"""Words for ``boroughkit plan``: what a release will do, cost and how accurate it will be."""

from __future__ import annotations

from fractions import Fraction

from boroughkit.config.models import SDCTablesRelease
from boroughkit.pipeline.plan import Plan

STATISTIC_WORDS = {"count": "counts", "sum": "sums", "mean": "means"}


def show(value: Fraction) -> str:
    """A budget as a short decimal (or integer)."""
    return f"{float(value):.6g}" if value.denominator != 1 else str(value.numerator)


def describe_plan(plan: Plan) -> str:
    """The plan as text: steps, then per table and level the budget, noise and expected moe95."""
    if plan.method == "synthetic-extract":
        return _describe_extract(plan)
    if not plan.spends_budget:
        return _describe_sdc(plan)
    config = plan.loaded.config
    lines = [
        f"Release '{config.name}' (dp-tables), total budget rho = {show(plan.rho)}",
        "Steps: " + " → ".join(plan.steps),
        "",
    ]
    for table in plan.tables:
        by = ", ".join(table.count_by) or "(area only)"
        what = STATISTIC_WORDS[table.statistic]
        if table.value:
            what += f" of {table.value} clipped to {list(table.bounds or ())}"
        lines.append(
            f"Table {table.name}: {what} by area × {by}; rho = {show(table.rho)}; at "
            f"most {table.max_categories_per_person} cell(s) and "
            f"{table.max_rows_per_person} row(s) per person"
        )
        for measure in table.measures:
            if len(table.measures) > 1:
                lines.append(f"  {measure.kind}:")
            for level in measure.levels:
                lines.append(
                    f"  {level.level:<8} rho = {show(level.rho):<10} noise sd = "
                    f"{level.sigma:10.3f}   expected moe95 = ±{level.expected_moe95:.1f}"
                )
    lines += [
        "",
        "expected moe95: the typical 95% margin of error of a published cell after the",
        "levels are made consistent. Nothing has been read, drawn or spent.",
    ]
    return "\n".join(lines)


def _describe_sdc(plan: Plan) -> str:
    release = plan.loaded.config.release
    assert isinstance(release, SDCTablesRelease)
    parameters = release.ptable_parameters
    source = (
        str(release.ptable)
        if release.ptable
        else (f"generated (D={parameters.D}, V={parameters.V}, js={parameters.js})")
    )
    lines = [
        f"Release '{plan.loaded.config.name}' (sdc-tables): ONS cell-key perturbation",
        "Steps: " + " → ".join(plan.steps),
        f"ptable: {source}; suppress counts below {release.threshold}; round to base "
        f"{release.rounding_base}",
        "",
    ]
    for table in release.tables:
        by = ", ".join(table.count_by) or "(area only)"
        lines.append(f"Table {table.name}: counts by area × {by} at {', '.join(table.levels)}")
    lines += ["", "No privacy budget is used; nothing has been read."]
    return "\n".join(lines)


def _describe_extract(plan: Plan) -> str:
    from boroughkit.config.extract_models import SyntheticExtractRelease

    release = plan.loaded.config.release
    assert isinstance(release, SyntheticExtractRelease)
    budget = (
        f"rho = {show(plan.rho)} from the dataset's privacy ledger"
        if plan.spends_budget
        else "no privacy budget (not differentially private); seed "
        + (str(release.seed) if release.seed is not None else "drawn and recorded")
    )
    gate = release.gate
    recipient = release.recipient
    columns = ", ".join(release.columns) or "every declared non-id column"
    return "\n".join([
        f"Release '{plan.loaded.config.name}' (synthetic-extract): {release.synthesiser} at "
        f"{release.area_level} level; {budget}",
        "Steps: " + " → ".join(plan.steps),
        f"Columns: {columns}; hold-out {release.holdout_fraction:.0%} of people",
        f"Gate: unique exact matches ≤ {gate.max_exact_match_share:.3%}, attacker advantage "
        f"(95% upper) ≤ {gate.max_attack_advantage}, DCR no worse than the hold-out "
        f"(+{gate.dcr_margin:.0%}), {gate.max_unique_reproduced} QI-unique records reproduced",
        f"Recipient: {recipient.organisation} under {recipient.agreement} until "
        f"{recipient.expires.isoformat()}",
        "",
        "Nothing has been read, fitted or spent.",
    ])
