"""An evaluation fit to leave the council: rounded so that no small group can be counted.

The evaluation compares the extract with the real records; its counts and shares describe real
residents and are not covered by a DP synthesiser's guarantee. What the recipient receives has
counts of real people rounded to the nearest 10 and shares of real people to 0.1 %.
"""

from __future__ import annotations

from dataclasses import replace

from boroughkit.synth.evaluate.privacy import ExactMatches
from boroughkit.synth.evaluate.report import ExtractEvaluation


def for_recipient(evaluation: ExtractEvaluation) -> ExtractEvaluation:
    """The evaluation as shared: counts of real people to the nearest 10 and shares of real
    people to 0.1 %, so that no small group of residents can be counted from it."""

    def tens(value: int) -> int:
        return int(round(value / 10) * 10)

    def matches(found: ExactMatches | None) -> ExactMatches | None:
        if found is None:
            return None
        return replace(found, unique_real=tens(found.unique_real), matched=tens(found.matched))

    marginals = {
        name: {**marginal, "real": [round(share, 3) for share in marginal["real"]]}
        for name, marginal in evaluation.marginals.items()
    }
    usefulness = evaluation.utility
    if usefulness is not None:
        usefulness = replace(
            usefulness,
            holdout_rows=tens(usefulness.holdout_rows),
            positive_share=round(usefulness.positive_share, 3),
        )
    exact_all, exact_holdout = matches(evaluation.exact_all), matches(evaluation.exact_holdout)
    assert exact_all is not None and exact_holdout is not None
    return replace(
        evaluation,
        rows={key: tens(value) for key, value in evaluation.rows.items()},
        exact_all=exact_all,
        exact_qi=matches(evaluation.exact_qi),
        exact_holdout=exact_holdout,
        exact_same_size=matches(evaluation.exact_same_size),
        attacks=[
            replace(
                attack,
                train_successes=tens(attack.train_successes),
                control_successes=tens(attack.control_successes),
                trials=tens(attack.trials),
            )
            for attack in evaluation.attacks
        ],
        marginals=marginals,
        utility=usefulness,
    )
