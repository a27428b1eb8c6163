"""Words for ``boroughkit plan`` of a ``synthetic-extract`` release."""

from __future__ import annotations

from boroughkit.methods.synthetic_extract.config import SyntheticExtractRelease
from boroughkit.release.plan import Plan, show


def describe_extract(plan: Plan, release: SyntheticExtractRelease) -> str:
    """Synthesiser, budget or seed, columns, gate limits and recipient."""
    budget = (
        f"rho = {show(plan.rho)} from the dataset's privacy ledger"
        if plan.spends_budget
        else "no privacy budget (not differentially private); seed "
        + (str(release.seed) if release.seed is not None else "drawn and recorded")
    )
    gate = release.gate
    recipient = release.recipient
    columns = ", ".join(release.columns) or "every declared non-id column"
    return "\n".join(
        [
            f"Release '{plan.loaded.config.name}' ({release.method}): {release.synthesiser} at "
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
        ]
    )
