"""Attacks on a synthetic extract, measured against a control set (as in anonymeter).

The attacker holds the synthetic data and partial knowledge of a target. Each attack runs on
training records (people whose data shaped the synthesiser) and on control records (the real
hold-out, people it never saw). Only the excess success on training records is a privacy risk:

    advantage = (train rate − control rate) / (1 − control rate)

computed, as anonymeter does, from the Wilson centres of both rates, with a 95 % interval whose
half-width propagates both Wilson half-widths through that formula (first-order, in quadrature).
When the control rate is near 1 the quasi-identifiers already give the secret away for everyone
(a fact about the population, not about the people in the training data): the attack is then
marked uninformative.

- Linkage: the quasi-identifiers are split in two halves, as if known from two sources; the
  attacker links the halves through the nearest synthetic record of each; success when both halves
  point at the same synthetic record.
- Attribute inference: knowing the target's quasi-identifiers, the attacker takes the secret of the
  nearest synthetic record; success when it equals the target's (numbers: the same public bin).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from boroughkit.errors import ConfigError
from boroughkit.synth.evaluate.distance import encode_for_distance, nearest
from boroughkit.synth.schema import SynthSchema
from boroughkit.terms import Z95

UNINFORMATIVE_CONTROL_RATE = 0.99


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score centre and half-width of a binomial rate."""
    if trials == 0:
        return 0.5, 0.5
    rate = successes / trials
    denominator = 1 + z * z / trials
    centre = (rate + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials)) / denominator
    return centre, half


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial rate."""
    centre, half = wilson(successes, trials, z)
    return max(0.0, centre - half), min(1.0, centre + half)


def advantage_with_error(
    train_successes: int, control_successes: int, trials: int
) -> tuple[float, float]:
    """Attacker advantage from the Wilson centres, and its propagated 95 % half-width."""
    attack, attack_error = wilson(train_successes, trials)
    control, control_error = wilson(control_successes, trials)
    if control >= 1.0:
        return 0.0, 1.0
    advantage = (attack - control) / (1.0 - control)
    d_attack = 1.0 / (1.0 - control)
    d_control = abs(attack - 1.0) / (1.0 - control) ** 2
    error = math.hypot(attack_error * d_attack, control_error * d_control)
    return advantage, error


@dataclass(frozen=True)
class AttackResult:
    """Success of one attack on training and on control records, and the attacker advantage."""

    name: str
    train_successes: int
    control_successes: int
    trials: int  # per side

    @property
    def train_rate(self) -> float:
        """Success rate on training records."""
        return self.train_successes / self.trials if self.trials else 0.0

    @property
    def control_rate(self) -> float:
        """Success rate on control (hold-out) records."""
        return self.control_successes / self.trials if self.trials else 0.0

    @property
    def advantage(self) -> float:
        """Excess success on training records over control records, at most 1."""
        value, _ = advantage_with_error(self.train_successes, self.control_successes, self.trials)
        return min(1.0, value)

    @property
    def advantage_interval(self) -> tuple[float, float]:
        """95 % interval of the advantage, clipped to [0, 1]."""
        value, error = advantage_with_error(
            self.train_successes, self.control_successes, self.trials
        )
        return max(0.0, value - error), min(1.0, value + error)

    @property
    def informative(self) -> bool:
        """False when control records are guessed almost always (nothing individual to learn)."""
        return self.control_rate < UNINFORMATIVE_CONTROL_RATE

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values with the derived rates and interval."""
        low, high = self.advantage_interval
        return asdict(self) | {
            "train_rate": self.train_rate,
            "control_rate": self.control_rate,
            "advantage": self.advantage,
            "advantage_low": low,
            "advantage_high": high,
            "informative": self.informative,
        }


def _targets(train: pd.DataFrame, control: pd.DataFrame, n: int, seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    n = min(n, len(train), len(control))
    pick = lambda frame: frame.iloc[rng.choice(len(frame), n, replace=False)]  # noqa: E731
    return pick(train).reset_index(drop=True), pick(control).reset_index(drop=True), n


def linkage_attack(
    train: pd.DataFrame,
    control: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: SynthSchema,
    *,
    quasi_identifiers: Sequence[str] | None = None,
    n_targets: int = 200_000,
    seed: int = 0,
) -> AttackResult:
    """Link two halves of the quasi-identifiers through the synthetic data."""
    qis = list(quasi_identifiers or schema.quasi_identifiers)
    if len(qis) < 2:
        raise ConfigError("a linkage attack needs at least two quasi-identifiers")
    first, second = qis[: len(qis) // 2], qis[len(qis) // 2 :]
    train_t, control_t, n = _targets(train, control, n_targets, seed)
    synth_a = encode_for_distance(synthetic, schema, first)
    synth_b = encode_for_distance(synthetic, schema, second)

    def successes(targets: pd.DataFrame) -> int:
        _, via_a = nearest(encode_for_distance(targets, schema, first), synth_a)
        _, via_b = nearest(encode_for_distance(targets, schema, second), synth_b)
        return int(np.sum(via_a == via_b))

    return AttackResult("linkage", successes(train_t), successes(control_t), n)


def inference_attack(
    train: pd.DataFrame,
    control: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: SynthSchema,
    secret: str,
    *,
    quasi_identifiers: Sequence[str] | None = None,
    n_targets: int = 200_000,
    seed: int = 0,
) -> AttackResult:
    """Guess ``secret`` from the nearest synthetic record on the quasi-identifiers."""
    qis = [name for name in (quasi_identifiers or schema.quasi_identifiers) if name != secret]
    if not qis:
        raise ConfigError("an inference attack needs quasi-identifiers besides the secret")
    spec = schema.column(secret)
    train_t, control_t, n = _targets(train, control, n_targets, seed)
    synth_aux = encode_for_distance(synthetic, schema, qis)
    synth_secret = spec.encode(synthetic[secret])

    def successes(targets: pd.DataFrame) -> int:
        _, index = nearest(encode_for_distance(targets, schema, qis), synth_aux)
        return int(np.sum(synth_secret[index] == spec.encode(targets[secret])))

    return AttackResult(f"inference:{secret}", successes(train_t), successes(control_t), n)


def run_attacks(
    train: pd.DataFrame,
    control: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: SynthSchema,
    *,
    secrets: Sequence[str] | None = None,
    n_targets: int = 200_000,
    seed: int = 0,
) -> list[AttackResult]:
    """The linkage attack and an inference attack on each secret.

    Secrets default to the schema's declared sensitive columns, else every non-QI column. Up to
    ``n_targets`` records per side (as many as the hold-out has, up to that number).
    """
    qis = set(schema.quasi_identifiers)
    default = list(schema.sensitive) or [n for n in schema.names if n not in qis]
    chosen = list(secrets) if secrets is not None else default
    results = [linkage_attack(train, control, synthetic, schema, n_targets=n_targets, seed=seed)]
    results += [
        inference_attack(train, control, synthetic, schema, secret, n_targets=n_targets, seed=seed)
        for secret in chosen
    ]
    return results
