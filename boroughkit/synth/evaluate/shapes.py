"""SDMetrics column shapes and column pair trends (the only module importing ``sdmetrics``).

Both tables are subsampled to ``max_rows`` rows (default 2,000) because the pair trends cost
grows with rows × pairs; the subsample size is returned with the scores.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import pandas as pd

from boroughkit.synth.schema import SynthSchema

_TABLE = "extract"


@dataclass(frozen=True)
class ShapesResult:
    """SDMetrics quality scores (0..1) and the number of rows each side was subsampled to."""

    column_shapes: float
    column_pair_trends: float
    rows_used: int
    per_column: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "column_shapes": self.column_shapes,
            "column_pair_trends": self.column_pair_trends,
            "rows_used": self.rows_used,
            "per_column": self.per_column,
        }


def _labelled(data: pd.DataFrame, schema: SynthSchema) -> pd.DataFrame:
    frame = data[schema.names].copy()
    for spec in schema.synthesised:
        if spec.is_discrete:
            frame[spec.name] = frame[spec.name].astype(str)
    return frame


def sdmetrics_quality(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: SynthSchema,
    *,
    max_rows: int = 2000,
    seed: int = 0,
) -> ShapesResult:
    """Column shapes and column pair trends from SDMetrics' quality report."""
    from sdmetrics.reports import QualityReport

    rows = min(max_rows, len(real), len(synthetic))
    real_sample = _labelled(real.sample(rows, random_state=seed), schema)
    synth_sample = _labelled(synthetic.sample(rows, random_state=seed), schema)
    columns = {
        spec.name: {"sdtype": "categorical" if spec.is_discrete else "numerical"}
        for spec in schema.synthesised
    }
    report = QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate(
            {_TABLE: real_sample},
            {_TABLE: synth_sample},
            {"tables": {_TABLE: {"columns": columns}}},
            verbose=False,
        )
    properties = report.get_properties().set_index("Property")["Score"]
    details = report.get_details("Column Shapes")
    return ShapesResult(
        column_shapes=float(properties["Column Shapes"]),
        column_pair_trends=float(properties["Column Pair Trends"]),
        rows_used=rows,
        per_column={
            str(c): float(s) for c, s in zip(details["Column"], details["Score"], strict=True)
        },
    )
