"""SDV 2.x single-table synthesisers (GaussianCopula, CTGAN, TVAE) behind the common interface.

The only module importing ``sdv``. SDV metadata is built from the declared schema, never detected
from the data:

- categories and areas are SDV ``categorical`` columns;
- a flag is an ``ordinal`` column ordered missing, no, yes, so that the copula's correlations
  carry "older people have a difficulty more often" (in SDV's order of first appearance, with
  missing between the two values, they did not: a classifier trained on the synthetic rows then
  did no better than chance);
- a whole-number column whose public range holds at most ``ORDERED_INTEGER_LIMIT`` values (ages,
  household sizes, poverty ratios) is an ``ordinal`` column over every value of that range, in
  order. GaussianCopula then keeps the column's observed distribution exactly instead of fitting
  a smooth curve to a few spikes (a beta curve over 0-5 children puts most people between the
  spikes, and rounding does not put them back);
- a missing value of a discrete or ordered column is a category of its own, placed first in the
  order, so that its link with other columns (no income below 15) is modelled instead of drawn at
  random;
- other numbers are SDV ``numerical`` columns.

SDV's own min/max enforcement is switched off because it would learn the observed extremes (a
disclosure of the largest values); the public bounds of the schema are applied to the samples
instead, and structural rules are enforced by the common sampler. Torch runs on the CPU.

CTGAN and TVAE are not recommended for extracts of a few thousand people: see
``NEURAL_MODELS_NOTE``.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
import pandas as pd

from boroughkit.errors import ConfigError
from boroughkit.synth.base import Synthesiser
from boroughkit.synth.schema import ColumnSpec, SynthSchema

SDVModel = Literal["gaussian_copula", "ctgan", "tvae"]
SDV_MODELS: tuple[str, ...] = ("gaussian_copula", "ctgan", "tvae")
_TABLE = "extract"
#: Whole-number columns with at most this many public values are modelled as ordered categories.
ORDERED_INTEGER_LIMIT = 1000
#: The label of a missing value in an ordered column (never the text of a declared value).
MISSING = "<missing>"
NEURAL_MODELS_NOTE = (
    "CTGAN and TVAE are not recommended for extracts of a few thousand people: on NIST's "
    "Massachusetts excerpt (6,107 training rows, two shared CPU cores) SDV's own CTGAN took 29 "
    "minutes for a tenth of its default 300 epochs and scored 0.78 of the hold-out's SDNist "
    "k-marginal (CART 0.99, GaussianCopula 0.85, TVAE at 300 epochs 0.83); at 20 epochs CTGAN did "
    "worse than chance on the utility test. Use cart, or gaussian_copula (see benchmarks/synth.py)."
)


def ordered_values(spec: ColumnSpec) -> list[str] | None:
    """The ordered labels of a whole-number column with a small public range, else None.

    Every whole number of the public range is a label (as text), in order; a missing value comes
    first.
    """
    if spec.kind != "integer" or spec.lower is None or spec.upper is None:
        return None
    low, high = math.ceil(spec.lower), math.floor(spec.upper)
    if high - low + 1 > ORDERED_INTEGER_LIMIT:
        return None
    return ([MISSING] if spec.nullable else []) + [str(value) for value in range(low, high + 1)]


def flag_order(spec: ColumnSpec) -> list[str]:
    """A flag's labels in order: missing, then the other values, then the positive value."""
    others = [str(v) for v in spec.values if v != spec.positive]
    return ([MISSING] if spec.nullable else []) + others + [str(spec.positive)]


def sdv_metadata_dict(schema: SynthSchema) -> dict[str, Any]:
    """SDV metadata (spec V1) for the synthesised columns of ``schema``."""
    columns: dict[str, dict[str, Any]] = {}
    for spec in schema.synthesised:
        order = ordered_values(spec)
        if spec.kind == "flag":
            columns[spec.name] = {"sdtype": "ordinal", "range_values": flag_order(spec)}
        elif spec.is_discrete:
            columns[spec.name] = {"sdtype": "categorical"}
        elif order is not None:
            columns[spec.name] = {"sdtype": "ordinal", "range_values": order}
        else:
            # Integers are kept whole by SDV's rounding and by the schema's bounds afterwards.
            columns[spec.name] = {"sdtype": "numerical"}
    return {"METADATA_SPEC_VERSION": "V1", "tables": {_TABLE: {"columns": columns}}}


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed the global RNGs SDV and torch draw from, restoring them afterwards."""
    import torch

    saved = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.set_rng_state(saved[2])


class SDVSynthesiser(Synthesiser):
    """An SDV single-table model fitted on the declared schema.

    ``epochs`` and ``batch_size`` apply to CTGAN and TVAE (small values for tests). CTGAN and
    TVAE are not recommended for small extracts: see ``NEURAL_MODELS_NOTE``.
    """

    def __init__(
        self,
        schema: SynthSchema,
        model: SDVModel = "gaussian_copula",
        *,
        seed: int | None = None,
        epochs: int = 300,
        batch_size: int = 500,
    ) -> None:
        if model not in SDV_MODELS:
            raise ConfigError(f"unknown SDV model {model!r}", fix=f"use one of {SDV_MODELS}")
        super().__init__(schema, seed=seed)
        self.model = model
        self.method = f"sdv_{model}"
        self.epochs = epochs
        self.batch_size = batch_size
        self._synthesizer: Any = None
        self._sample_calls = 0

    def parameters(self) -> dict[str, Any]:
        """Settings recorded with the extract."""
        params: dict[str, Any] = {"model": self.model}
        if self.model != "gaussian_copula":
            params |= {"epochs": self.epochs, "batch_size": self.batch_size}
        return params

    def _build(self) -> Any:
        from sdv.metadata import Metadata
        from sdv.single_table import (
            CTGANSynthesizer,
            GaussianCopulaSynthesizer,
            TVAESynthesizer,
        )

        metadata = Metadata.load_from_dict(sdv_metadata_dict(self.schema))
        common = {"enforce_min_max_values": False, "enforce_rounding": True}
        if self.model == "gaussian_copula":
            return GaussianCopulaSynthesizer(metadata, **common)
        # CTGAN/TVAE need a batch size that is a multiple of their pac (10).
        batch = max(10, self.batch_size - self.batch_size % 10)
        if self.model == "ctgan":
            return CTGANSynthesizer(
                metadata, epochs=self.epochs, batch_size=batch, enable_gpu=False, **common
            )
        return TVAESynthesizer(
            metadata, epochs=self.epochs, batch_size=batch, enable_gpu=False, **common
        )

    def _fit(self, data: pd.DataFrame) -> None:
        assert self.seed is not None
        with _seeded(self.seed), warnings.catch_warnings():
            # Values of a public range nobody has are never drawn: that is intended, not a gap.
            warnings.filterwarnings("ignore", message="The training data does not cover")
            self._synthesizer = self._build()
            self._synthesizer.fit({_TABLE: _for_sdv(data, self.schema)})
        self._sample_calls = 0

    def _sample_batch(self, n: int) -> pd.DataFrame:
        assert self.seed is not None
        # Each call gets its own derived seed so repeated batches differ but stay reproducible.
        with _seeded(self.seed + 1 + self._sample_calls):
            self._synthesizer._set_random_state(self.seed + 1 + self._sample_calls)
            sampled = next(iter(self._synthesizer.sample(num_rows=n).values()))
        self._sample_calls += 1
        return _from_sdv(sampled, self.schema)


def _for_sdv(data: pd.DataFrame, schema: SynthSchema) -> pd.DataFrame:
    # Categories as strings so SDV sees labels, not numbers to be modelled as such.
    frame = data.copy()
    for spec in schema.synthesised:
        if spec.is_discrete:
            codes = spec.encode(frame[spec.name])
            labels = np.asarray([str(value) for value in spec.values], dtype=object)
            present = codes < len(spec.values)
            chosen = pd.Series(labels[np.where(present, codes, 0)], index=frame.index)
            frame[spec.name] = chosen.where(present, MISSING if spec.nullable else None)
        elif ordered_values(spec) is not None:
            numbers = pd.to_numeric(frame[spec.name], errors="coerce")
            frame[spec.name] = numbers.map(lambda v: MISSING if pd.isna(v) else str(round(v)))
    return frame


def _from_sdv(sampled: pd.DataFrame, schema: SynthSchema) -> pd.DataFrame:
    frame = sampled.copy()
    for spec in schema.synthesised:
        if spec.is_discrete:
            lookup = {str(value): value for value in spec.values}
            frame[spec.name] = frame[spec.name].map(lookup)
        else:
            text = frame[spec.name].mask(frame[spec.name].astype(str) == MISSING)
            frame[spec.name] = pd.to_numeric(text, errors="coerce")
    return frame
