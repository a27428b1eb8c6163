"""Words for ``boroughkit plan`` of a ``dp-tables`` release: budget, noise and accuracy."""

from __future__ import annotations

from boroughkit.release.plan import Plan, show

STATISTIC_WORDS = {"count": "counts", "sum": "sums", "mean": "means"}


def describe_plan(plan: Plan) -> str:
    """The plan as text: steps, then per table and level the budget, noise and expected moe95."""
    lines = [
        f"Release '{plan.loaded.config.name}' (dp-tables), total budget rho = {show(plan.rho)}",
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
        if table.target_moe95:
            wanted = ", ".join(f"{lv} ±{moe:g}" for lv, moe in table.target_moe95.items())
            lines.append(
                f"  target moe95 {wanted} in every area: the level split and the smallest rho "
                "below were chosen to meet it"
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
