"""A resolved release: what a run will do, with which budget, before anything is read.

Building a plan is pure: it reads the config only (no records, no geography, no noise, no
ledger), so ``boroughkit plan`` costs nothing. The accuracy preview, which needs the public
geography, is a separate step (:func:`boroughkit.pipeline.plan.preview_accuracy`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from boroughkit.anonymise.measures import TablePlan
from boroughkit.config import LoadedConfig
from boroughkit.privacy.budget import Rho

if TYPE_CHECKING:
    from boroughkit.release.method import ReleaseMethod


@dataclass(frozen=True)
class Plan:
    """Everything a run will do, resolved from the config by its release method."""

    loaded: LoadedConfig
    method: str
    steps: tuple[str, ...]
    rho: Rho
    # DP tables' measurements (empty for methods that publish no DP tables).
    tables: tuple[TablePlan, ...] = ()
    release_method: ReleaseMethod | None = field(default=None, compare=False, repr=False)

    @property
    def spends_budget(self) -> bool:
        """True when the release draws on the privacy ledger (a differentially private one)."""
        return self.rho > 0

    def describe(self) -> str:
        """A human-readable summary for ``boroughkit plan``."""
        assert self.release_method is not None, "plans are built by a release method"
        return self.release_method.describe(self)


def show(value: Rho | Fraction) -> str:
    """A budget as a short decimal (or integer)."""
    exact = value.value if isinstance(value, Rho) else value
    return f"{float(exact):.6g}" if exact.denominator != 1 else str(exact.numerator)
