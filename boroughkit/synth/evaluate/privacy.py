"""Record-level privacy of a synthetic extract: exact matches and distance to closest record.

- Unique exact matches: of the training records that are unique (on all columns, or on the
  declared quasi-identifiers), the share that appears verbatim in the synthetic data.
- Distance to closest record (DCR): each synthetic record's distance to its nearest training
  record, against the same for the real hold-out records (genuinely new people). Synthetic records
  should be no closer to the training data than new people are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from boroughkit.synth.evaluate.distance import encode_for_distance, nearest, subset
from boroughkit.synth.schema import SynthSchema


@dataclass(frozen=True)
class ExactMatches:
    """Unique real records and how many of them the synthetic data reproduces."""

    columns: tuple[str, ...]
    unique_real: int
    matched: int  # summed over the draws
    draws: int = 1  # synthetic samples compared (their mean is the share)

    @property
    def share(self) -> float:
        """Matched unique records over unique records, mean over draws (0 when none)."""
        return self.matched / (self.unique_real * self.draws) if self.unique_real else 0.0


def exact_matches_of_samples(
    real: pd.DataFrame,
    samples: Sequence[pd.DataFrame],
    schema: SynthSchema,
    columns: Sequence[str] | None = None,
) -> ExactMatches:
    """Unique exact matches of ``real`` in each of ``samples``, summed (share: their mean)."""
    found = [exact_matches(real, sample, schema, columns) for sample in samples]
    return ExactMatches(
        columns=found[0].columns,
        unique_real=found[0].unique_real,
        matched=sum(result.matched for result in found),
        draws=len(found),
    )


def _row_keys(data: pd.DataFrame, schema: SynthSchema, columns: Sequence[str]) -> pd.Series:
    canonical = {}
    for name in columns:
        spec = schema.column(name)
        if spec.is_numeric:
            canonical[name] = pd.to_numeric(data[name], errors="coerce").round(6).fillna(np.inf)
        else:
            canonical[name] = pd.Series(spec.encode(data[name]), index=data.index)
    return pd.util.hash_pandas_object(pd.DataFrame(canonical), index=False)


def exact_matches(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: SynthSchema,
    columns: Sequence[str] | None = None,
) -> ExactMatches:
    """Unique exact matches of ``real`` in ``synthetic`` on ``columns`` (default all)."""
    names = tuple(columns or schema.names)
    real_keys = _row_keys(real, schema, names)
    counts = real_keys.value_counts()
    unique = counts.index[counts.to_numpy() == 1]
    synthetic_keys = set(_row_keys(synthetic, schema, names).to_numpy())
    matched = int(sum(key in synthetic_keys for key in unique))
    return ExactMatches(columns=names, unique_real=len(unique), matched=matched)


@dataclass(frozen=True)
class DistanceToClosest:
    """DCR of synthetic and of hold-out records to the training data; synthetic figures are
    means over samples as large as the hold-out's query set."""

    synthetic_median: float
    holdout_median: float
    holdout_q05: float
    synthetic_below_holdout_q05: float  # expected about 0.05 for data as new as the hold-out
    synthetic_zero_share: float  # synthetic records identical to a training record
    holdout_zero_share: float  # hold-out records identical to a training record
    closer_to_train_share: float  # vs an equal-size hold-out; about 0.5 when no memorisation
    queries: int = 0  # records per side (hold-out, and each synthetic sample)
    draws: int = 1  # synthetic samples averaged

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return asdict(self)


def distance_to_closest(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: SynthSchema,
    *,
    max_records: int = 3000,
    draws: int = 5,
    seed: int = 0,
) -> DistanceToClosest:
    """DCR statistics. The hold-out is queried with up to ``max_records`` records, and the
    synthetic data with samples of as many records (like for like), as many samples as fit in
    ``max_records`` synthetic queries, at most ``draws`` (nearest-neighbour search is the cost;
    the shares are means of per-record facts, so more samples only add precision). Distances
    are to every training record."""
    rng = np.random.default_rng(seed)
    train_enc = encode_for_distance(train, schema)
    holdout_enc = encode_for_distance(holdout, schema)
    synth_all = encode_for_distance(synthetic, schema)
    holdout_query = holdout_enc
    if len(holdout_enc) > max_records:
        holdout_query = subset(
            holdout_enc, rng.choice(len(holdout_enc), max_records, replace=False)
        )
    size = min(len(holdout_query), len(synth_all))
    holdout_dcr, _ = nearest(holdout_query, train_enc)
    q05 = float(np.quantile(holdout_dcr, 0.05))
    # Same-size comparison: a training sample as large as the hold-out, so neither side has
    # more records to be close to.
    reference = min(len(holdout_enc), len(train_enc))
    samples = []
    n_draws = max(1, min(draws, max_records // max(size, 1))) if len(synth_all) > size else 1
    for _ in range(n_draws):
        synth_enc = subset(synth_all, rng.choice(len(synth_all), size, replace=False))
        synth_dcr, _ = nearest(synth_enc, train_enc)
        train_sample = subset(train_enc, rng.choice(len(train_enc), reference, replace=False))
        to_train, _ = nearest(synth_enc, train_sample)
        to_holdout, _ = nearest(synth_enc, holdout_enc)
        samples.append(
            (
                float(np.median(synth_dcr)),
                float(np.mean(synth_dcr < q05)),
                float(np.mean(synth_dcr == 0)),
                float(np.mean(to_train < to_holdout) + 0.5 * np.mean(to_train == to_holdout)),
            )
        )
    median, below, zero, closer = (float(np.mean(column)) for column in zip(*samples, strict=True))
    return DistanceToClosest(
        synthetic_median=median,
        holdout_median=float(np.median(holdout_dcr)),
        holdout_q05=q05,
        synthetic_below_holdout_q05=below,
        synthetic_zero_share=zero,
        holdout_zero_share=float(np.mean(holdout_dcr == 0)),
        closer_to_train_share=closer,
        queries=size,
        draws=len(samples),
    )
