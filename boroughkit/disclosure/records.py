"""Record-level disclosure risk of an extract: k-anonymity, uniques, households and copies.

Each check takes the records an extract would publish (real or synthetic) and returns a
:class:`~boroughkit.disclosure.report.CheckResult`. Quasi-identifiers (QIs) are the columns a
motivated intruder could know from elsewhere (age, sex, area, tenure…). Rows are compared through
64-bit hashes of their canonical values, so every check is vectorised and fast on 200,000 rows;
numbers compare by value (``5`` equals ``5.0``) and missing values equal each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from boroughkit.disclosure._rowkeys import class_sizes, household_signatures, json_value, row_keys
from boroughkit.disclosure.report import CheckResult, Finding
from boroughkit.errors import ConfigError, DataError


@dataclass(frozen=True)
class RecordRiskLimits:
    """Limits of the record-level checks; a check fails when its measure goes past its limit.

    ``min_k``/``max_share_below_k``: every record must share its QI combination with at least
    ``min_k - 1`` others (a share of records in smaller classes up to the limit is tolerated).
    ``max_unique_share``: share of records unique on the QIs. ``max_unique_household_share``:
    share of households whose members' QIs together are unique. ``max_exact_match_share``:
    share of output rows equal to an input row on every shared column.
    ``max_unique_reproduced``: input rows unique on the QIs that reappear verbatim.
    """

    min_k: int = 5
    max_share_below_k: float = 0.0
    max_unique_share: float = 0.01
    max_unique_household_share: float = 0.01
    max_exact_match_share: float = 0.01
    max_unique_reproduced: int = 0


def check_k_anonymity(
    records: pd.DataFrame,
    quasi_identifiers: Sequence[str],
    *,
    min_k: int = 5,
    max_share_below_k: float = 0.0,
    max_findings: int = 200,
) -> CheckResult:
    """Fail when too many records sit in QI classes smaller than ``min_k``.

    Findings list the smallest classes (their QI values and size), at most ``max_findings``.
    """
    if min_k < 2:
        raise ConfigError(f"min_k must be at least 2 (got {min_k})", fix="set min_k: 5")
    sizes = class_sizes(records, quasi_identifiers)
    below = sizes < min_k
    share = float(below.mean()) if len(sizes) else 0.0
    smallest_k = int(sizes.min()) if len(sizes) else 0
    findings = _class_findings(records, quasi_identifiers, sizes, below, min_k, max_findings)
    qis = ", ".join(quasi_identifiers)
    return CheckResult(
        id="record-k-anonymity",
        name="k-anonymity on quasi-identifiers",
        passed=share <= max_share_below_k,
        summary=(
            f"{len(records)} records checked on {qis}: the smallest group has k={smallest_k}; "
            f"{int(below.sum())} records ({share:.2%}) are in groups of fewer than {min_k} "
            f"(allowed: {max_share_below_k:.2%})."
        ),
        findings=findings,
        rationale=(
            "someone who knows a neighbour's age, sex and area could pick out the neighbour's "
            "record when few records share those details."
        ),
        category="record-k-anonymity",
        metrics={
            "records": len(records),
            "min_k_found": smallest_k,
            "min_k_required": min_k,
            "records_below_k": int(below.sum()),
            "share_below_k": share,
        },
    )


def check_sample_uniques(
    records: pd.DataFrame, quasi_identifiers: Sequence[str], *, max_unique_share: float = 0.01
) -> CheckResult:
    """Fail when the share of records unique on the QIs exceeds ``max_unique_share``."""
    sizes = class_sizes(records, quasi_identifiers)
    uniques = int((sizes == 1).sum())
    share = uniques / len(sizes) if len(sizes) else 0.0
    return CheckResult(
        id="record-uniques",
        name="sample uniques on quasi-identifiers",
        passed=share <= max_unique_share,
        summary=(
            f"{uniques} of {len(records)} records ({share:.2%}) are the only record with their "
            f"combination of {', '.join(quasi_identifiers)} (allowed: {max_unique_share:.2%})."
        ),
        rationale=(
            "a record that is unique on details an acquaintance knows can be linked to a person "
            "with certainty, revealing the rest of the record."
        ),
        category="record-uniques",
        metrics={"records": len(records), "unique_records": uniques, "unique_share": share},
    )


def check_household_uniques(
    records: pd.DataFrame,
    household: str,
    quasi_identifiers: Sequence[str],
    *,
    max_unique_share: float = 0.01,
) -> CheckResult:
    """Fail when too many households are unique on their members' combined QIs.

    Records sharing a UPRN or household id are taken together: a household of a woman of 34,
    a man of 36 and two children of 3 and 5 is far rarer than any one of its members.
    """
    signatures = household_signatures(records, household, quasi_identifiers)
    counts = signatures.map(signatures.value_counts())
    unique_households = int((counts == 1).sum())
    share = unique_households / len(signatures) if len(signatures) else 0.0
    return CheckResult(
        id="record-households",
        name="household uniques",
        passed=share <= max_unique_share,
        summary=(
            f"{unique_households} of {len(signatures)} households ({share:.2%}) are the only "
            f"one whose members together have their {', '.join(quasi_identifiers)} "
            f"(allowed: {max_unique_share:.2%})."
        ),
        rationale=(
            "a neighbour knows who lives next door; records grouped by address can be matched "
            "on the household's make-up even when each person alone is common."
        ),
        category="record-households",
        metrics={
            "households": len(signatures),
            "unique_households": unique_households,
            "unique_household_share": share,
        },
    )


def check_exact_matches(
    output: pd.DataFrame,
    source: pd.DataFrame,
    quasi_identifiers: Sequence[str],
    *,
    columns: Sequence[str] | None = None,
    max_match_share: float = 0.01,
    max_unique_reproduced: int = 0,
    max_findings: int = 200,
) -> CheckResult:
    """Fail when output rows copy input rows, above all input rows unique on the QIs.

    ``columns`` defaults to the columns the two frames share. Measures: share of output rows
    equal to an input row on all those columns, and on the QIs; input rows unique on the QIs
    that appear verbatim in the output (findings give their input row labels, never values).
    """
    shared = (
        list(columns)
        if columns is not None
        else [str(c) for c in output.columns if c in source.columns]
    )
    if not shared:
        raise DataError(
            "the output and input records share no column to compare",
            fix="pass columns=[...] naming the columns both frames hold",
        )
    out_full, src_full = row_keys(output, shared), row_keys(source, shared)
    out_qi, src_qi = row_keys(output, quasi_identifiers), row_keys(source, quasi_identifiers)
    full_share = float(np.isin(out_full, src_full).mean()) if len(output) else 0.0
    qi_share = float(np.isin(out_qi, src_qi).mean()) if len(output) else 0.0
    _, inverse, counts = np.unique(src_qi, return_inverse=True, return_counts=True)
    unique_rows = np.flatnonzero(counts[inverse] == 1)
    reproduced = unique_rows[np.isin(src_full[unique_rows], out_full)]
    findings = tuple(
        Finding(
            {"input_row": json_value(source.index[position])},
            "unique-record-reproduced",
            "an input record unique on the quasi-identifiers appears verbatim in the output",
        )
        for position in reproduced[:max_findings]
    )
    passed = full_share <= max_match_share and len(reproduced) <= max_unique_reproduced
    return CheckResult(
        id="record-exact-matches",
        name="exact copies of input records",
        passed=passed,
        summary=(
            f"{full_share:.2%} of {len(output)} output rows equal an input row on all "
            f"{len(shared)} shared columns (allowed: {max_match_share:.2%}); {qi_share:.2%} "
            f"match one on the quasi-identifiers; {len(reproduced)} of {len(unique_rows)} input "
            f"records unique on the quasi-identifiers reappear verbatim "
            f"(allowed: {max_unique_reproduced})."
        ),
        findings=findings,
        rationale=(
            "a synthetic or sampled record that copies a real, unusual resident discloses that "
            "resident as surely as publishing the record itself."
        ),
        category="record-exact-matches",
        metrics={
            "output_rows": len(output),
            "exact_match_share": full_share,
            "qi_match_share": qi_share,
            "input_qi_uniques": len(unique_rows),
            "unique_reproduced": len(reproduced),
        },
    )


def assess_record_risk(
    output: pd.DataFrame,
    quasi_identifiers: Sequence[str],
    *,
    source: pd.DataFrame | None = None,
    household: str | None = None,
    limits: RecordRiskLimits | None = None,
) -> list[CheckResult]:
    """Run every record-level check that applies to ``output`` with ``limits``."""
    limits = limits or RecordRiskLimits()
    results = [
        check_k_anonymity(
            output,
            quasi_identifiers,
            min_k=limits.min_k,
            max_share_below_k=limits.max_share_below_k,
        ),
        check_sample_uniques(output, quasi_identifiers, max_unique_share=limits.max_unique_share),
    ]
    if household is not None:
        results.append(
            check_household_uniques(
                output,
                household,
                quasi_identifiers,
                max_unique_share=limits.max_unique_household_share,
            )
        )
    if source is not None:
        results.append(
            check_exact_matches(
                output,
                source,
                quasi_identifiers,
                max_match_share=limits.max_exact_match_share,
                max_unique_reproduced=limits.max_unique_reproduced,
            )
        )
    return results


def _class_findings(
    records: pd.DataFrame,
    quasi_identifiers: Sequence[str],
    sizes: np.ndarray,
    below: np.ndarray,
    min_k: int,
    max_findings: int,
) -> tuple[Finding, ...]:
    if not below.any():
        return ()
    small = records.loc[below, list(quasi_identifiers)].assign(_k=sizes[below])
    small = small.drop_duplicates().sort_values("_k", kind="stable").head(max_findings)
    return tuple(
        Finding(
            {column: json_value(row[column]) for column in quasi_identifiers},
            "k-anonymity",
            f"{int(row['_k'])} record(s) have "
            + ", ".join(f"{column}={row[column]}" for column in quasi_identifiers)
            + f" (at least {min_k} required)",
        )
        for _, row in small.iterrows()
    )
