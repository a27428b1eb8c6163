"""SDNist-exact k-marginal figures of an extract, beside the project's own k-marginal.

On data in the NIST CRC format (PUMA as the area, every column one of the excerpts') the score
is SDNist 2.4's, number for number (``benchmarks/sdnist_check.py`` checks it against SDNist
itself), and can be set beside published SDNist results. On other data SDNist's rules are applied
to the schema (numeric columns in 20 percentile bins of the training data, the area column in
every marginal): the same kind of score, not comparable with published results.

Three figures, all against the training data: synthetic samples as large as the hold-out (the
mean over the draws: like for like with the ceiling), the whole synthetic file (as SDNist's own
report would score it), and the real hold-out (the ceiling).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from boroughkit.synth.evaluate.sdnist import (
    NIST_RULES,
    SdnistRules,
    generic_rules,
    sdnist_kmarginal,
)
from boroughkit.synth.schema import SynthSchema

#: The columns of NIST's CRC data excerpts.
NIST_COLUMNS = frozenset(
    [
        "PUMA",
        "AGEP",
        "SEX",
        "MSP",
        "HISP",
        "RAC1P",
        "NOC",
        "NPF",
        "HOUSING_TYPE",
        "OWN_RENT",
        "DENSITY",
        "INDP",
        "INDP_CAT",
        "EDU",
        "PINCP",
        "PINCP_DECILE",
        "POVPIP",
        "DVET",
        "DREM",
        "DPHY",
        "DEYE",
        "DEAR",
        "PWGTP",
        "WGTP",
    ]
)


@dataclass(frozen=True)
class SdnistFigures:
    """SDNist-exact 2-way k-marginal scores (0 to 1000) of one extract."""

    rules: str  # "nist": SDNist's own, comparable with published results; "generic"
    synthetic: float  # mean over samples as large as the hold-out
    synthetic_full_size: float
    holdout_ceiling: float
    per_area: dict[str, float] = field(default_factory=dict)  # size-matched mean
    per_area_ceiling: dict[str, float] = field(default_factory=dict)
    draws: int = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "rules": self.rules,
            "comparable_with_published_sdnist": self.rules == "nist",
            "synthetic": self.synthetic,
            "synthetic_full_size": self.synthetic_full_size,
            "holdout_ceiling": self.holdout_ceiling,
            "per_area": dict(self.per_area),
            "per_area_ceiling": dict(self.per_area_ceiling),
            "draws": self.draws,
        }


def rules_for(schema: SynthSchema) -> tuple[str, SdnistRules]:
    """SDNist's own rules for NIST-format data, else its rules applied to the schema."""
    if schema.area_column == "PUMA" and set(schema.names) <= NIST_COLUMNS:
        return "nist", NIST_RULES
    numeric = [spec.name for spec in schema.synthesised if spec.is_numeric]
    return "generic", generic_rules(numeric, group_column=schema.area_column)


def sdnist_figures(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    samples: Sequence[pd.DataFrame],
    schema: SynthSchema,
) -> SdnistFigures:
    """Score the size-matched ``samples``, the whole ``synthetic`` file and the hold-out."""
    kind, rules = rules_for(schema)
    columns = list(schema.names)
    target = train[columns]
    drawn = [sdnist_kmarginal(target, sample[columns], rules=rules) for sample in samples]
    ceiling = sdnist_kmarginal(target, holdout[columns], rules=rules)
    full = sdnist_kmarginal(target, synthetic[columns], rules=rules)
    per_area = pd.concat([result.per_area for result in drawn], axis=1).mean(axis=1)
    return SdnistFigures(
        rules=kind,
        synthetic=float(sum(result.score for result in drawn) / len(drawn)),
        synthetic_full_size=full.score,
        holdout_ceiling=ceiling.score,
        per_area={str(k): float(v) for k, v in per_area.items()},
        per_area_ceiling={str(k): float(v) for k, v in ceiling.per_area.items()},
        draws=len(drawn),
    )
