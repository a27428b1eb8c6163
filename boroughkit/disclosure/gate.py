"""The disclosure gate every release passes before it is published.

Checks here: only declared output columns leave; no identifier value of the input appears in
any output file; every published area has at least the minimum population.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from boroughkit.disclosure.report import CheckResult, Finding

TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\- ]{2,}[A-Za-z0-9]")


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
        rationale="a column of the input that is not needed for the table could identify people.",
    )


def distinctive(values: Iterable[object]) -> set[str]:
    """Identifier values long or specific enough to search for without false alarms."""
    result = set()
    for value in values:
        text = str(value).strip()
        if len(text) >= 5 or (len(text) >= 3 and any(ch.isalpha() for ch in text)):
            result.add(text.upper())
    return result


def check_identifier_leaks(
    files: Sequence[Path], identifiers: Mapping[str, Iterable[object]]
) -> CheckResult:
    """Fail when any identifier value (ids, UPRNs, postcodes) appears in any output file."""
    secrets = {kind: distinctive(values) for kind, values in identifiers.items()}
    findings = []
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace").upper()
        tokens = set(TOKEN.findall(text)) | set(re.findall(r"[A-Z0-9][A-Z0-9\-]+", text))
        for kind, values in secrets.items():
            hits = tokens & values
            if hits:
                findings.append(
                    Finding(
                        {"file": path.name, "identifier": kind},
                        "no-identifiers",
                        f"{len(hits)} {kind} value(s) found",
                    )
                )
    return CheckResult(
        "No identifier reaches an output file",
        not findings,
        f"{sum(len(v) for v in secrets.values())} identifier values searched in "
        f"{len(files)} file(s).",
        tuple(findings),
        rationale="an id, UPRN or postcode in a published file would point at a household.",
    )


def check_min_population(areas: pd.DataFrame, minimum: int) -> CheckResult:
    """Fail when a published area has fewer residents than ``minimum``.

    ``areas`` has columns level, code, name, population.
    """
    small = areas[areas["population"] < minimum]
    findings = tuple(
        Finding(
            {"level": row.level, "area_code": row.code},
            "min-area-population",
            f"{row.name} has {row.population} residents (minimum {minimum})",
        )
        for row in small.itertuples()
    )
    return CheckResult(
        "Every published area has enough residents",
        not findings,
        f"{len(areas)} area(s) checked against a minimum of {minimum} residents.",
        findings,
        rationale="figures for a very small area are close to figures about individuals.",
    )
