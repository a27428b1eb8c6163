"""Findings the evidence neither shows nor rules out, left to a named person's judgement.

A check refuses a release when its evidence shows a risk (an interval wholly beyond the limit)
and passes it when the evidence keeps within the limit. In between (the interval straddles the
limit, typically because the data are small), the release is built and staged, and the check
lists an :class:`InconclusiveFinding` for each such measure: a stable id, the estimate and its
interval, the limit, and what would settle it. ``boroughkit approve`` then requires the approver
to accept every one by id (``--accept ID``); the accepted ids are kept in the approval record
and in the Data Sharing Register entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class InconclusiveFinding:
    """One measure whose 95 % interval straddles its limit."""

    id: str  # stable: the same check on the same measure always gives the same id
    measure: str  # what was measured, in words
    estimate: float
    interval: tuple[float, float]
    limit: float
    settle: str  # what would settle it either way

    def describe(self) -> str:
        """One line for the approver."""
        low, high = self.interval
        return (
            f"`{self.id}`: {self.measure} {self.estimate:.3f} (95% interval {low:.3f} to "
            f"{high:.3f}) against a limit of {self.limit:.3f}. To settle it: {self.settle}"
        )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "id": self.id,
            "measure": self.measure,
            "estimate": self.estimate,
            "interval": list(self.interval),
            "limit": self.limit,
            "settle": self.settle,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InconclusiveFinding:
        """Rebuild from :meth:`to_json` output."""
        low, high = data["interval"]
        return cls(
            id=data["id"],
            measure=data["measure"],
            estimate=float(data["estimate"]),
            interval=(float(low), float(high)),
            limit=float(data["limit"]),
            settle=data["settle"],
        )


def markdown_section(findings: Sequence[InconclusiveFinding], release_id: str) -> list[str]:
    """The report's section listing the findings an approver must accept by name."""
    if not findings:
        return []
    accepts = " ".join(f"--accept {finding.id}" for finding in findings)
    return [
        "## Inconclusive findings: the approver decides",
        "",
        "The evidence neither shows these risks nor rules them out: each interval reaches past "
        "its limit without lying wholly beyond it. The release was built and staged; it is "
        "approved only if the approver accepts each finding by name, having weighed what it "
        "would reveal and the recipient's agreement:",
        "",
        *(f"- {finding.describe()}" for finding in findings),
        "",
        f'To accept them: `boroughkit approve {release_id} --by "NAME" {accepts}`.',
        "",
    ]
