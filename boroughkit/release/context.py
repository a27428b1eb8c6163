"""The run context: the clock, who runs and post-processing randomness come in from the edge."""

from __future__ import annotations

import getpass
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from boroughkit.release.progress import ProgressCallback, report

NOT_STATED = "not stated"


def _now() -> datetime:
    return datetime.now(UTC)


def _fresh_rng() -> np.random.Generator:
    # Post-processing randomness (truncation order, rounding) from OS entropy; never from config.
    return np.random.default_rng(secrets.randbits(128))


@dataclass(frozen=True)
class RunContext:
    """Effects a run needs: who runs it, what time it is, where randomness comes from.

    ``by`` is the named person the analyst states (``boroughkit run --by NAME``): it is what a
    manifest says made the release. ``user`` is the operating-system login, which only private
    records (the ledger) may keep: a login is not a name to publish. ``progress``, when
    given, is told as each long step of the run begins (see ``release.progress``).
    """

    user: str = field(default_factory=getpass.getuser)
    by: str | None = None
    clock: Callable[[], datetime] = _now
    rng_factory: Callable[[], np.random.Generator] = _fresh_rng
    progress: ProgressCallback | None = None

    @property
    def created_by(self) -> str:
        """Who made the release, as public files say it: the stated name, never the login."""
        name = (self.by or "").strip()
        return name or NOT_STATED

    def step(self, label: str) -> None:
        """Report that the step ``label`` of the run begins (nothing without ``progress``)."""
        report(self.progress, label)

    def now(self) -> datetime:
        """The current time (UTC)."""
        return self.clock()

    def new_release_id(self, name: str) -> str:
        """A unique, sortable release id such as ``name-20260101T120000Z-1a2b``."""
        stamp = self.now().strftime("%Y%m%dT%H%M%SZ")
        return f"{name}-{stamp}-{secrets.token_hex(2)}"
