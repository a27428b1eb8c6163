"""Real processes racing for one dataset's budget: the ledger never lets them overspend."""

from __future__ import annotations

import multiprocessing
from fractions import Fraction
from pathlib import Path
from typing import Any

from boroughkit.errors import BudgetError
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.ledger import Ledger, LedgerEntry

# Generous: a spawned interpreter imports boroughkit before it reaches the barrier.
TIMEOUT_SECONDS = 60


def _race_worker(path: str, index: int, cost: str, fail: bool, barrier: Any, results: Any) -> None:
    """Reserve ``cost`` once all workers are ready; commit, or raise inside the reservation."""
    ledger = Ledger(Path(path))
    barrier.wait(timeout=TIMEOUT_SECONDS)
    try:
        with ledger.reserve("d", f"run-{index}", Rho(cost), tables=["t"], by=f"w{index}") as held:
            if fail:
                raise RuntimeError(f"run {index} crashed")
            held.commit()
        results.put((index, "committed"))
    except BudgetError:
        results.put((index, "refused"))
    except RuntimeError:
        results.put((index, "failed"))


def race(path: Path, cost: str, failing: list[bool]) -> dict[int, str]:
    """Start one spawned process per entry of ``failing``, released together by a barrier."""
    return run_together(
        len(failing),
        lambda i, barrier, results: (
            _race_worker,
            (str(path), i, cost, failing[i], barrier, results),
        ),
    )


def run_together(count: int, work) -> dict[int, str]:
    """Start ``count`` spawned processes (``work(i, barrier, results)`` gives the target and its
    arguments), released together by a barrier; each puts ``(i, outcome)`` on the queue."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(count)
    results = context.Queue()
    workers = []
    for i in range(count):
        target, args = work(i, barrier, results)
        workers.append(context.Process(target=target, args=args))
    for worker in workers:
        worker.start()
    outcomes = dict(results.get(timeout=TIMEOUT_SECONDS) for _ in workers)
    for worker in workers:
        worker.join(timeout=TIMEOUT_SECONDS)
        assert worker.exitcode == 0
    return outcomes


def never_overspent(entries: tuple[LedgerEntry, ...]) -> bool:
    """Replay the entries independently: after every one, spent + in flight <= lifetime."""
    total, held, spent = Fraction(0), {}, Fraction(0)
    for entry in entries:
        if entry.kind in ("register", "raise") and entry.rho is not None:
            total = entry.rho.value
        elif entry.kind == "reserve" and entry.rho is not None:
            held[entry.release_id] = entry.rho.value
        elif entry.kind == "commit":
            spent += held.pop(entry.release_id)
        elif entry.kind == "cancel":
            held.pop(entry.release_id)
        if spent + sum(held.values()) > total:
            return False
    return True


def test_eight_processes_reserving_a_fifth_each_exactly_five_win(tmp_path: Path) -> None:
    path = tmp_path / "privacy-ledger.sqlite"
    Ledger(path).register("d", lifetime=Rho(1), by="admin", reason="race test")
    outcomes = race(path, "0.2", [False] * 8)
    assert sorted(outcomes.values()).count("committed") == 5
    assert sorted(outcomes.values()).count("refused") == 3
    status = Ledger(path).status("d")
    assert (status.spent, status.in_flight, status.remaining) == (1, 0, 0)
    assert never_overspent(status.entries)
    reserving = {entry.pid for entry in status.entries if entry.kind == "reserve"}
    assert len(reserving) == 5  # five different processes won
    Ledger(path).verify()


def test_failed_runs_charge_nothing_even_when_racing(tmp_path: Path) -> None:
    path = tmp_path / "privacy-ledger.sqlite"
    Ledger(path).register("d", lifetime=Rho(1), by="admin", reason="race test")
    failing = [i % 2 == 1 for i in range(10)]
    outcomes = race(path, "1/4", failing)
    committed = [i for i, outcome in outcomes.items() if outcome == "committed"]
    status = Ledger(path).status("d")
    assert status.in_flight == 0
    assert status.spent == Rho("1/4") * len(committed)
    assert len(committed) <= 4
    assert all(not failing[i] for i in committed)
    cancels = [entry for entry in status.entries if entry.kind == "cancel"]
    failed = [i for i, outcome in outcomes.items() if outcome == "failed"]
    assert all(failing[i] for i in failed)
    assert len(cancels) == len(failed)
    assert all("crashed" in (entry.reason or "") for entry in cancels)
    assert never_overspent(status.entries)
    Ledger(path).verify()


def _register_worker(path: str, index: int, barrier: Any, results: Any) -> None:
    """Register dataset ``d`` once all workers are ready (each with another lifetime)."""
    ledger = Ledger(Path(path))
    barrier.wait(timeout=TIMEOUT_SECONDS)
    try:
        ledger.register("d", lifetime=Rho(index + 1), by=f"w{index}", reason="race")
        results.put((index, "registered"))
    except BudgetError:
        results.put((index, "refused"))


def test_racing_registrations_of_a_new_ledger_register_once(tmp_path: Path) -> None:
    """Six processes create the same ledger file and register the same dataset: one wins."""
    path = tmp_path / "new" / "privacy-ledger.sqlite"
    outcomes = run_together(
        6, lambda i, barrier, results: (_register_worker, (str(path), i, barrier, results))
    )
    [winner] = [i for i, outcome in outcomes.items() if outcome == "registered"]
    [entry] = Ledger(path).entries()
    assert (entry.kind, entry.actor, entry.rho) == ("register", f"w{winner}", Rho(winner + 1))
