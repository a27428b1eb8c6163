"""The run context: the clock, the user and post-processing randomness come in from the edge."""

from __future__ import annotations

import getpass
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np


def _now() -> datetime:
    return datetime.now(UTC)


def _fresh_rng() -> np.random.Generator:
    # Post-processing randomness (truncation order, rounding) from OS entropy; never from config.
    return np.random.default_rng(secrets.randbits(128))


@dataclass(frozen=True)
class RunContext:
    """Effects a run needs: who runs it, what time it is, where randomness comes from."""

    user: str = field(default_factory=getpass.getuser)
    clock: Callable[[], datetime] = _now
    rng_factory: Callable[[], np.random.Generator] = _fresh_rng

    def now(self) -> datetime:
        """The current time (UTC)."""
        return self.clock()

    def new_release_id(self, name: str) -> str:
        """A unique, sortable release id such as ``name-20260101T120000Z-1a2b``."""
        stamp = self.now().strftime("%Y%m%dT%H%M%SZ")
        return f"{name}-{stamp}-{secrets.token_hex(2)}"
