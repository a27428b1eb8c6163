"""Populations, raised lifetimes, charges and the recovery of abandoned reservations."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from boroughkit.errors import BudgetError
from boroughkit.privacy import ledger as ledger_module
from boroughkit.privacy import owner as owner_module
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.ledger import Ledger
from boroughkit.privacy.owner import current_owner, owner_is_gone
from tests.helpers.ledger_book import ticking_clock

REPO = Path(__file__).resolve().parents[2]
START = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def book(tmp_path: Path) -> Ledger:
    """Council tax and housing records describe one population, ``residents``, with ρ = 1."""
    ledger = Ledger(tmp_path / "l.sqlite", clock=ticking_clock(START), user="tester")
    ledger.register(
        "council-tax", lifetime=Rho(1), by="alice", reason="DPIA-1", population="residents"
    )
    ledger.register(
        "housing", lifetime=None, by="alice", reason="same people", population="residents"
    )
    return ledger


def test_datasets_of_one_population_share_its_lifetime(book: Ledger) -> None:
    assert book.datasets() == ["council-tax", "housing"]
    assert book.populations() == ["residents"]
    assert book.population_of("housing") == "residents"
    for name in ("residents", "council-tax", "housing"):
        status = book.status(name)
        assert status.population == "residents" and status.total == 1
        assert status.datasets == ("council-tax", "housing")
    book.reserve("council-tax", "ctax-1", Rho("0.75"), tables=["t"], by="p").commit()
    assert book.status("housing").remaining == Rho("0.25")
    with pytest.raises(BudgetError, match="would overspend") as caught:
        book.reserve("housing", "housing-1", Rho("0.5"), tables=["t"], by="p")
    assert "remaining 0.25 of lifetime 1" in str(caught.value)
    book.reserve("housing", "housing-1", Rho("0.25"), tables=["t"], by="p").commit()
    assert book.status("residents").remaining == 0
    book.raise_lifetime("residents", Rho(2), by="bob", reason="more")
    book.reserve("housing", "stale", Rho("0.5"), tables=["t"], by="p")
    with pytest.raises(BudgetError, match="would overspend") as caught:
        book.reserve("housing", "housing-2", Rho(1), tables=["t"], by="p")
    # the fix names a registered dataset of the population (not the population), and --by
    assert "--dataset council-tax --release ID --reason TEXT --by NAME" in (caught.value.fix or "")
    book.cancel_stale("council-tax", "stale", reason="its run died", by="admin")
    assert book.status("housing").in_flight == 0


def test_joining_a_population_takes_its_lifetime(book: Ledger) -> None:
    book.register(
        "benefits", lifetime=Rho(1), by="a", reason="same total is fine", population="residents"
    )
    with pytest.raises(BudgetError, match="already has lifetime ρ = 1") as caught:
        book.register("social-care", lifetime=Rho(5), by="a", reason="r", population="residents")
    assert "ledger raise" in (caught.value.fix or "")
    joined = book.status("benefits").entries[-1]
    assert (joined.kind, joined.dataset, joined.rho) == ("register", "benefits", None)
    assert book.datasets() == ["benefits", "council-tax", "housing"]
    assert book.status("residents").total == 1


def test_separate_populations_have_separate_budgets(book: Ledger) -> None:
    book.register("businesses", lifetime=Rho(2), by="a", reason="r")
    book.reserve("businesses", "b-1", Rho(2), tables=["t"], by="p").commit()
    assert book.status("residents").remaining == 1
    assert book.populations() == ["businesses", "residents"]


def test_raise_grows_the_population_budget_never_shrinks_it(book: Ledger) -> None:
    book.reserve("council-tax", "r1", Rho(1), tables=["t"], by="p").commit()
    with pytest.raises(BudgetError, match="would overspend"):
        book.reserve("housing", "r2", Rho("0.5"), tables=["t"], by="p")
    raised = book.raise_lifetime("housing", Rho("3/2"), by="bob", reason="DPIA-2")
    assert (raised.kind, raised.population, raised.rho) == ("raise", "residents", Rho("1.5"))
    book.reserve("housing", "r2", Rho("0.5"), tables=["t"], by="p").commit()
    for lower in (Rho("3/2"), Rho(1), Rho("1/4")):
        with pytest.raises(BudgetError, match="must be larger"):
            book.raise_lifetime("residents", lower, by="bob", reason="lower")
    assert book.status("residents").total == Rho("1.5")


def test_charges_state_what_a_manifest_publishes(book: Ledger) -> None:
    first = book.reserve("council-tax", "r1", Rho("1/4"), tables=["t"], by="p").commit()
    book.raise_lifetime("residents", Rho(2), by="bob", reason="more")
    second = book.reserve("housing", "r2", Rho("1/3"), tables=["t"], by="p").commit()
    commits = [entry for entry in book.entries() if entry.kind == "commit"]
    assert [first.entry_hash, second.entry_hash] == [entry.hash for entry in commits]
    assert (first.lifetime, first.spent) == (Rho(1), Rho("1/4"))
    assert (second.lifetime, second.spent) == (Rho(2), Rho("7/12"))
    assert book.charges() == [first, second]
    assert book.charge_of("r2") == second
    statement = second.statement()
    assert statement == {
        "dataset": "housing",
        "population": "residents",
        "release_rho": "1/3",
        "lifetime_rho": "2",
        "spent_rho_including_this_release": "7/12",
        "remaining_rho": "17/12",
        "spent_epsilon_at_delta_1e-7": round(Rho("7/12").to_epsilon(1e-7), 4),
        "ledger_entry": commits[1].hash,
        "charged_at": commits[1].at.isoformat(),
    }


def test_only_committed_releases_have_a_charge(book: Ledger) -> None:
    book.reserve("council-tax", "held", Rho("0.1"), tables=["t"], by="p")
    book.reserve("council-tax", "given-back", Rho("0.1"), tables=["t"], by="p").cancel("gate")
    assert book.charge_of("held") is None
    assert book.charge_of("given-back") is None
    assert book.charge_of("never-reserved") is None
    assert book.charges() == []


def _reserve_as(book: Ledger, monkeypatch: pytest.MonkeyPatch, release: str, owner: str) -> None:
    """Reserve as if the process ``owner`` had done it."""
    with monkeypatch.context() as patched:
        patched.setattr(ledger_module, "current_owner", lambda: owner)
        book.reserve("council-tax", release, Rho("0.1"), tables=["t"], by="p")


def test_recovery_gives_back_only_reservations_of_ended_processes(
    book: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, pid, boot, ticks, _namespace = current_owner().split()
    assert host == socket.gethostname() and pid == str(os.getpid())
    _reserve_as(book, monkeypatch, "mine", current_owner())  # this live process
    _reserve_as(book, monkeypatch, "pid-reused", f"{host} {pid} {boot} 1")  # other start time
    _reserve_as(book, monkeypatch, "rebooted", f"{host} {pid} another-boot {ticks}")
    _reserve_as(book, monkeypatch, "other-host", f"not-{host} {pid} {boot} {ticks}")
    _reserve_as(book, monkeypatch, "unreadable", "garbage")
    _reserve_as(book, monkeypatch, "other-container", f"{host} {pid} {boot} 1 pid:[1]")
    recovered = book.recover_abandoned(by="next-run")
    assert sorted(entry.release_id or "" for entry in recovered) == ["pid-reused", "rebooted"]
    status = book.status("residents")
    assert sorted(status.in_flight_releases) == [
        "mine",
        "other-container",
        "other-host",
        "unreadable",
    ]
    cancels = [entry for entry in status.entries if entry.kind == "cancel"]
    assert {entry.actor for entry in cancels} == {"next-run"}
    assert all("no longer running" in (entry.reason or "") for entry in cancels)
    assert book.recover_abandoned(by="again") == []  # once only
    book.verify()


def test_a_process_that_died_holding_a_reservation_is_recovered(book: Ledger) -> None:
    """A real process reserves and exits without committing or cancelling."""
    script = (
        "import sys; from pathlib import Path; from boroughkit.privacy.ledger import Ledger;"
        "Ledger(Path(sys.argv[1])).reserve('housing', 'died', '0.3', tables=['t'], by='run');"
        "import os; os._exit(0)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", script, str(book.path)], env=env, check=True)
    assert book.status("residents").in_flight_releases == ("died",)
    [entry] = book.recover_abandoned(by="next-run")
    assert (entry.release_id, entry.dataset, entry.rho) == ("died", "housing", Rho("0.3"))
    status = book.status("residents")
    assert status.in_flight == 0 and status.remaining == 1
    assert status.entries[-1].kind == "cancel" and status.entries[-1].release_id == "died"


def test_owner_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    me = current_owner()
    assert not owner_is_gone(me) and not owner_is_gone(None) and not owner_is_gone("")
    host, pid, boot, ticks, _namespace = me.split()
    assert not owner_is_gone(f"{host} {pid} {boot} {int(ticks) + 1} pid:[1]")  # elsewhere
    assert ticks.isdigit() and boot != "unknown"
    assert owner_is_gone(f"{host} {pid} {boot} {int(ticks) + 1}")
    assert not owner_is_gone(f"{host} {pid} {boot} unknown")  # cannot tell: keep it in flight
    assert not owner_is_gone(f"{host} notapid {boot} {ticks}")
    monkeypatch.setattr(owner_module, "_BOOT_ID", Path("/nonexistent/boot_id"))
    assert current_owner().split()[2] == "unknown"
