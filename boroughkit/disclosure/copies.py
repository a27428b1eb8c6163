"""Whether real residents unique on the quasi-identifiers reappear more often when they were
used to make the output than when they were not (copying, rather than chance)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from boroughkit.disclosure._rowkeys import row_keys


@dataclass(frozen=True)
class ReproducedByPart:
    """Residents unique on the quasi-identifiers, and how many reappear whole in the output,
    among those used to make it and among the others (the control)."""

    used: int
    used_reproduced: int
    control: int
    control_reproduced: int


def reproduced_by_part(
    output: pd.DataFrame,
    source: pd.DataFrame,
    used: pd.DataFrame,
    quasi_identifiers: Sequence[str],
    columns: Sequence[str],
) -> ReproducedByPart:
    """Split ``source``'s QI-unique records by whether they are in ``used`` (a record unique on
    the QIs is unique on every column, so its whole row identifies it) and count each part's
    records that appear verbatim in ``output``."""
    src_full, src_qi = row_keys(source, columns), row_keys(source, quasi_identifiers)
    _, inverse, counts = np.unique(src_qi, return_inverse=True, return_counts=True)
    unique_keys = src_full[counts[inverse] == 1]
    in_used = np.isin(unique_keys, row_keys(used, columns))
    reproduced = np.isin(unique_keys, row_keys(output, columns))
    return ReproducedByPart(
        used=int(in_used.sum()),
        used_reproduced=int((reproduced & in_used).sum()),
        control=int((~in_used).sum()),
        control_reproduced=int((reproduced & ~in_used).sum()),
    )
