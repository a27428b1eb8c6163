"""Two checks of the disclosure gate every release passes before it is published.

Only declared output columns leave, and every published area has at least the minimum
population. The leak scan (no value of the input in any output file) is
:func:`boroughkit.disclosure.leaks.scan_for_leaks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from boroughkit.disclosure.report import CheckResult, Finding


def check_output_columns(files: Sequence[Path], allowed: set[str]) -> CheckResult:
    """Fail when a tabular output carries a column that is not a declared output."""
    findings = []
    for path in files:
        if path.suffix == ".parquet":
            for column in pq.read_schema(path).names:
                if column not in allowed:
                    findings.append(
                        Finding(
                            {"file": path.name, "column": column},
                            "declared-outputs",
                            "column is not a declared output",
                        )
                    )
    return CheckResult(
        "Only declared columns are published",
        not findings,
        f"{len(files)} file(s) checked; {len(findings)} undeclared column(s).",
        tuple(findings),
        id="output-columns",
        rationale="a column of the input that is not needed for the table could identify people.",
    )


def check_min_population(
    areas: pd.DataFrame, minimum: int, *, reason: str | None = None
) -> CheckResult:
    """Fail when a published area has fewer residents than ``minimum``.

    ``areas`` has columns level, code, name, population: public figures (Census), never counts
    of the records, so the outcome does not depend on exact data. ``minimum`` 0 means the
    analyst switched the check off; ``reason`` says why and is printed in the report.
    """
    rationale = "figures for a very small area are close to figures about individuals."
    if minimum <= 0:
        return CheckResult(
            "Every published area has enough residents",
            True,
            f"Switched off by the analyst (min_area_population: 0): {reason or 'no reason given'}"
            f". {len(areas)} area(s) published without a minimum.",
            id="min-area-population",
            rationale=rationale,
        )
    # An area without a public figure fails: it cannot be shown to be large enough.
    unknown = areas["population"].isna()
    small = areas[unknown | (areas["population"].fillna(0) < minimum)]
    findings = tuple(
        Finding(
            {"level": row.level, "area_code": row.code},
            "min-area-population",
            f"{row.name} has {row.population} residents (minimum {minimum})"
            if not pd.isna(row.population)
            else f"{row.name} has no public population figure (minimum {minimum})",
        )
        for row in small.itertuples()
    )
    return CheckResult(
        "Every published area has enough residents",
        not findings,
        f"{len(areas)} area(s) checked against a minimum of {minimum} residents (public "
        "population figures).",
        findings,
        id="min-area-population",
        rationale=rationale,
    )
