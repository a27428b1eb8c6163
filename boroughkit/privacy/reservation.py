"""A reservation: budget held for one release run until it is committed or cancelled."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

from boroughkit.errors import BoroughkitError
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.charges import Charge
from boroughkit.privacy.ledger_text import REASON_LIMIT

if TYPE_CHECKING:
    from boroughkit.privacy.ledger import Ledger


@dataclass(eq=False)
class Reservation:
    """Budget held for one release run.

    As a context manager it cancels itself if the block raises (the run charges nothing);
    ``commit()`` must be called explicitly once the release succeeded, and *before* the release
    becomes visible: a failure after publishing must not give the budget back. Leaving the block
    without either keeps the budget in flight, the safe side, until ``cancel_stale`` releases it.
    """

    ledger: Ledger = field(repr=False)
    population: str
    dataset: str
    release_id: str
    rho: Rho
    tables: tuple[str, ...]
    by: str
    state: str = "in_flight"

    def commit(self) -> Charge:
        """Spend the reserved budget for good; returns the charge a manifest states."""
        self.ledger._finish(
            self.population, self.dataset, self.release_id, "commit", by=self.by, reason=None
        )
        self.state = "committed"
        charge = self.ledger.charge_of(self.release_id)
        assert charge is not None, "a committed reservation is a charge"
        return charge

    def cancel(self, reason: str) -> None:
        """Give the reserved budget back (the release was not published)."""
        self.ledger._finish(
            self.population, self.dataset, self.release_id, "cancel", by=self.by, reason=reason
        )
        self.state = "cancelled"

    def __enter__(self) -> Reservation:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None or self.state != "in_flight":
            return
        try:
            self.cancel(reason=repr(exc)[:REASON_LIMIT])
        except BoroughkitError as error:  # the budget stays in flight: the safe side
            exc.add_note(f"the reservation could not be cancelled: {error}")
