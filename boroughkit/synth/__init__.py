"""Record-level synthetic extracts: declared schemas, synthesisers and their evaluation.

Synthesisers share one interface (:class:`Synthesiser`: ``fit(real)`` then ``sample(n)``) and are
built by name with :func:`make_synthesiser`. SDV is imported only by ``sdv_models``, and the DP
methods reach OpenDP only through the privacy layer (``boroughkit.privacy.opendp_*``), each when
its method is first asked for. DP budgets are the privacy layer's types: a
:class:`~boroughkit.privacy.budget.Rho`, or a :class:`~boroughkit.privacy.dp_budget.DPBudget`.
"""

from __future__ import annotations

from typing import Any

from boroughkit.errors import ConfigError
from boroughkit.synth.base import Synthesiser
from boroughkit.synth.cart import SequentialCART
from boroughkit.synth.households import HouseholdCART
from boroughkit.synth.ma2019 import schema_for_ma2019
from boroughkit.synth.rules import StructuralRule, count_violations, parse_rules
from boroughkit.synth.schema import ColumnSpec, Hierarchy, SynthSchema
from boroughkit.synth.schema_dict import schema_from_dict, to_one_row_per_person

METHODS: tuple[str, ...] = ("cart", "gaussian_copula", "ctgan", "tvae", "dp_mst", "dp_aim")
DP_METHODS: tuple[str, ...] = ("dp_mst", "dp_aim")


def make_synthesiser(method: str, schema: SynthSchema, **options: Any) -> Synthesiser:
    """A synthesiser by name; DP methods need ``budget=Rho(...)`` (or a ``DPBudget``), no seed."""
    if method == "cart":
        return SequentialCART(schema, **options)
    if method in ("gaussian_copula", "ctgan", "tvae"):
        from boroughkit.synth.sdv_models import SDVSynthesiser

        return SDVSynthesiser(schema, method, **options)  # type: ignore[arg-type]
    if method in DP_METHODS:
        from boroughkit.synth.dp_marginals import DPMarginalSynthesiser

        if "seed" in options:
            raise ConfigError(f"{method} is differentially private and is never seeded")
        return DPMarginalSynthesiser(schema, algorithm=method.removeprefix("dp_"), **options)  # type: ignore[arg-type]
    raise ConfigError(
        f"unknown synthesis method {method!r}", fix=f"use one of {', '.join(METHODS)}"
    )


__all__ = [
    "DP_METHODS",
    "METHODS",
    "ColumnSpec",
    "Hierarchy",
    "HouseholdCART",
    "SequentialCART",
    "StructuralRule",
    "SynthSchema",
    "Synthesiser",
    "count_violations",
    "make_synthesiser",
    "parse_rules",
    "schema_for_ma2019",
    "schema_from_dict",
    "to_one_row_per_person",
]
