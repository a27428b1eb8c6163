"""The privacy ledger: budgets per dataset, reservations and refusals.

Tamper detection (a missing or foreign file, edits, deletions) is in
``test_ledger_tampering.py``; populations shared by several datasets, raised lifetimes, charges
and the recovery of abandoned reservations in ``test_ledger_population.py``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boroughkit.errors import BudgetError, ConfigError
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.ledger import Ledger, Reservation, default_ledger_path
from boroughkit.privacy.owner import current_owner
from tests.helpers.ledger_book import new_ledger, register, ticking_clock


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return new_ledger(tmp_path)


def test_default_path_is_beside_the_catalogue(tmp_path: Path) -> None:
    assert default_ledger_path(tmp_path / "cat") == tmp_path / "cat.privacy-ledger.sqlite"


def test_new_dataset_has_its_whole_budget(ledger: Ledger) -> None:
    status = ledger.status("council-tax")
    assert (status.total, status.spent, status.in_flight, status.remaining) == (1, 0, 0, 1)
    assert ledger.datasets() == ["council-tax"] and ledger.populations() == ["council-tax"]
    assert status.population == "council-tax" and status.datasets == ("council-tax",)
    assert ledger.population_of("council-tax") == "council-tax"
    assert [entry.kind for entry in status.entries] == ["register"]
    assert status.entries[0].reason == "DPIA-TEST: test budget"


def test_reserve_commit_and_cancel_move_budget(ledger: Ledger) -> None:
    first = ledger.reserve("council-tax", "r1", Rho("0.3"), tables=["a", "b"], by="bob")
    second = ledger.reserve("council-tax", "r2", Rho("0.25"), tables=["a"], by="bob")
    status = ledger.status("council-tax")
    assert (status.spent, status.in_flight, status.remaining) == (0, Rho("0.55"), Rho("0.45"))
    assert status.in_flight_releases == ("r1", "r2")
    first.commit()
    second.cancel("disclosure gate failed")
    status = ledger.status("council-tax")
    assert (status.spent, status.in_flight, status.remaining) == (Rho("0.3"), 0, Rho("0.7"))
    assert (first.state, second.state) == ("committed", "cancelled")
    assert [entry.kind for entry in status.entries] == [
        "register",
        "reserve",
        "reserve",
        "commit",
        "cancel",
    ]
    assert status.entries[-1].reason == "disclosure gate failed"


def test_entries_record_who_when_where_and_what(tmp_path: Path) -> None:
    start = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    book = Ledger(tmp_path / "l.sqlite", clock=ticking_clock(start), user="svc-publisher")
    register(book, "d", Rho("1/2"))
    book.reserve("d", "rel-7", Rho("1/8"), tables=["t1", "t2"], by="pipeline").commit()
    init, reserve, commit = book.status("d").entries
    assert (init.actor, init.rho, init.at) == ("alice", Rho("0.5"), start)
    assert reserve.release_id == "rel-7" and reserve.tables == ("t1", "t2")
    assert reserve.rho == Rho("0.125") and reserve.actor == "pipeline"
    assert reserve.os_user == "svc-publisher" and reserve.pid == os.getpid() and reserve.host
    assert reserve.owner == current_owner() and init.owner is None and commit.owner is None
    assert reserve.population == "d" and reserve.dataset == "d"
    assert reserve.at == start + timedelta(minutes=1) and commit.at == start + timedelta(minutes=2)
    assert [entry.seq for entry in (init, reserve, commit)] == [1, 2, 3]
    assert reserve.prev_hash == init.hash and commit.prev_hash == reserve.hash


def test_naive_clock_times_are_taken_as_utc(tmp_path: Path) -> None:
    book = Ledger(tmp_path / "l.sqlite", clock=lambda: datetime(2025, 6, 1, 12, 0), user="u")
    register(book, "d", Rho(1), by="a")
    assert book.status("d").entries[0].at == datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def test_overspend_is_refused_with_the_numbers_and_the_fix(ledger: Ledger) -> None:
    ledger.reserve("council-tax", "r1", Rho("0.5"), tables=["a"], by="bob").commit()
    ledger.reserve("council-tax", "stale-run", Rho("0.3"), tables=["a"], by="bob")
    with pytest.raises(BudgetError) as caught:
        ledger.reserve("council-tax", "r3", Rho("0.25"), tables=["a"], by="bob")
    text = str(caught.value)
    expected = ["requested ρ = 0.25", "spent 0.5", "in flight 0.3", "remaining 0.2", "lifetime 1"]
    expected += ["stale-run", "ledger cancel", "ledger raise", "at most 0.2"]
    for fragment in expected:
        assert fragment in text
    assert caught.value.exit_code == 4
    # The refusal charged nothing.
    assert ledger.status("council-tax").remaining == Rho("0.2")


def test_ten_exact_splits_of_a_half_are_all_accepted(tmp_path: Path) -> None:
    book = Ledger(tmp_path / "l.sqlite", user="u")
    register(book, "d", Rho.parse(0.5), by="a")
    for name, part in Rho.parse(0.5).split({f"t{i}": 1 for i in range(10)}).items():
        book.reserve("d", name, part, tables=[name], by="a").commit()
    assert book.status("d").remaining == 0
    with pytest.raises(BudgetError, match="remaining 0 "):
        book.reserve("d", "one-more", Rho("1e-30"), tables=["x"], by="a")


def test_float_budgets_do_not_drift(tmp_path: Path) -> None:
    book = Ledger(tmp_path / "l.sqlite", user="u")
    register(book, "d", 0.5, by="a")
    for i in range(5):
        book.reserve("d", f"r{i}", 0.1, tables=["t"], by="a").commit()  # type: ignore[arg-type]
    assert book.status("d").remaining == 0  # five float tenths are exactly a half
    other = Ledger(tmp_path / "other.sqlite", user="u")
    register(other, "d", Rho.parse(0.5), by="a")
    with pytest.raises(BudgetError, match="would overspend"):
        other.reserve("d", "r", Rho.parse(0.5000000000000003), tables=["t"], by="a")
    other.reserve("d", "r", Rho.parse(0.5), tables=["t"], by="a")


def test_failed_run_inside_the_reservation_charges_nothing(ledger: Ledger) -> None:
    with pytest.raises(RuntimeError, match="noise step crashed"):  # noqa: SIM117
        with ledger.reserve("council-tax", "r1", Rho("0.4"), tables=["a"], by="bob"):
            raise RuntimeError("noise step crashed")
    status = ledger.status("council-tax")
    assert (status.spent, status.in_flight, status.remaining) == (0, 0, 1)
    assert status.entries[-1].kind == "cancel"
    assert "noise step crashed" in (status.entries[-1].reason or "")


def test_a_long_error_message_still_cancels(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match=r"x{5000}"):  # noqa: SIM117
        with ledger.reserve("council-tax", "r1", Rho("0.4"), tables=["a"], by="bob"):
            raise ValueError("x" * 5000)
    status = ledger.status("council-tax")
    assert status.in_flight == 0 and status.entries[-1].kind == "cancel"
    assert len(status.entries[-1].reason or "") == 1000


def test_successful_block_without_commit_stays_in_flight_until_cancelled(ledger: Ledger) -> None:
    with ledger.reserve("council-tax", "r1", Rho("0.4"), tables=["a"], by="bob") as reservation:
        assert reservation.rho == Rho("0.4") and reservation.release_id == "r1"
    assert ledger.status("council-tax").in_flight == Rho("0.4")
    ledger.cancel_stale("council-tax", "r1", reason="run killed", by="admin")
    assert ledger.status("council-tax").remaining == 1
    with pytest.raises(BudgetError, match="cancelled"):
        reservation.commit()  # a cancelled release must not be published


def test_release_ids_are_not_reused_while_held_or_spent(ledger: Ledger) -> None:
    held = ledger.reserve("council-tax", "r1", Rho("0.1"), tables=["a"], by="bob")
    with pytest.raises(BudgetError, match="already in_flight"):
        ledger.reserve("council-tax", "r1", Rho("0.1"), tables=["a"], by="bob")
    held.cancel("retry")
    retry = ledger.reserve("council-tax", "r1", Rho("0.1"), tables=["a"], by="bob")
    retry.commit()
    with pytest.raises(BudgetError, match="already committed"):
        ledger.reserve("council-tax", "r1", Rho("0.1"), tables=["a"], by="bob")
    with pytest.raises(BudgetError, match="committed"):
        retry.commit()
    with pytest.raises(BudgetError, match="not reserved"):
        ledger.cancel_stale("council-tax", "never", reason="x", by="admin")
    assert ledger.status("council-tax").spent == Rho("0.1")


def test_a_dataset_is_registered_once_and_its_lifetime_only_raised(ledger: Ledger) -> None:
    for lifetime in (Rho(2), Rho(1), None):  # neither another budget nor the same one again
        with pytest.raises(BudgetError, match="registered once") as caught:
            ledger.register("council-tax", lifetime=lifetime, by="alice", reason="again")
        assert caught.value.exit_code == 4 and "ledger raise" in caught.value.fix
    with pytest.raises(BudgetError, match="must be larger"):
        ledger.raise_lifetime("council-tax", Rho("1/2"), by="alice", reason="lower it")
    with pytest.raises(BudgetError, match="must be larger"):
        ledger.raise_lifetime("council-tax", Rho(1), by="alice", reason="the same")
    register(ledger, "housing", Rho("0.5"))
    assert ledger.datasets() == ["council-tax", "housing"]
    assert len(ledger.status("council-tax").entries) == 1
    assert ledger.status("housing").total == Rho("0.5")
    raised = ledger.raise_lifetime("council-tax", Rho("3/2"), by="bob", reason="DPIA-2 agreed")
    assert (raised.kind, raised.rho, raised.actor, raised.reason) == (
        "raise",
        Rho("1.5"),
        "bob",
        "DPIA-2 agreed",
    )
    assert ledger.status("council-tax").total == Rho("1.5")
    assert ledger.status("housing").total == Rho("0.5")  # another population is untouched


def test_unknown_dataset_says_how_to_register_it(ledger: Ledger) -> None:
    with pytest.raises(BudgetError, match="not registered") as caught:
        ledger.reserve("housing", "r1", Rho("0.1"), tables=["a"], by="bob")
    assert "housing" in str(caught.value) and "ledger init" in caught.value.fix
    assert caught.value.exit_code == 4
    with pytest.raises(BudgetError, match="no lifetime budget"):
        ledger.status("housing")
    with pytest.raises(BudgetError, match="not registered"):
        ledger.population_of("housing")
    with pytest.raises(BudgetError, match="no lifetime budget"):
        ledger.raise_lifetime("housing", Rho(2), by="alice", reason="x")
    assert len(ledger.entries()) == 1  # nothing was written


def test_a_new_population_needs_its_lifetime(tmp_path: Path) -> None:
    book = Ledger(tmp_path / "l.sqlite", user="u")
    with pytest.raises(ConfigError, match="is new: give its lifetime"):
        book.register("d", lifetime=None, by="a", reason="r")
    with pytest.raises(ConfigError, match="positive"):
        book.register("d", lifetime=Rho(0), by="a", reason="r")
    assert not book.path.exists()  # a refused registration creates no file
    register(book, "d", Rho(1))
    with pytest.raises(ConfigError, match="is new: give its lifetime"):
        book.register("e", lifetime=None, by="a", reason="r", population="others")
    assert book.datasets() == ["d"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda b: b.reserve("council-tax", "r", Rho(0), tables=["a"], by="x"), "positive"),
        (lambda b: b.reserve("council-tax", "r", "-1", tables=["a"], by="x"), "invalid"),
        (lambda b: b.reserve("council-tax", "r", Rho(1), tables="a", by="x"), "list of table"),
        (lambda b: b.reserve("council-tax", " ", Rho(1), tables=["a"], by="x"), "release id"),
        (lambda b: b.register("", lifetime=Rho(1), by="x", reason="r"), "dataset"),
        (lambda b: b.register("d", lifetime=Rho(1), by="", reason="r"), "by"),
        (lambda b: b.register("d", lifetime=Rho(1), by="x", reason=" "), "reason"),
        (lambda b: b.register("d", lifetime=Rho(1), by="x", reason="r" * 1001), "reason"),
        (lambda b: b.register("d", lifetime=Rho(0), by="x", reason="r"), "positive"),
        (lambda b: b.register("d", lifetime="-1", by="x", reason="r"), "invalid"),
        (lambda b: b.raise_lifetime("council-tax", Rho(2), by="x", reason=""), "reason"),
        (lambda b: b.raise_lifetime("council-tax", "abc", by="x", reason="r"), "invalid"),
        (lambda b: b.cancel_stale("council-tax", "r", reason="", by="x"), "reason"),
    ],
)
def test_invalid_arguments_are_config_errors(
    ledger: Ledger, call: Callable[[Ledger], object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        call(ledger)
    assert len(ledger.status("council-tax").entries) == 1


def test_status_as_epsilon_converts_each_budget(ledger: Ledger) -> None:
    ledger.reserve("council-tax", "r1", Rho("0.25"), tables=["a"], by="bob").commit()
    status = ledger.status("council-tax")
    epsilon = status.as_epsilon(delta=1e-6)
    assert epsilon.delta == 1e-6
    assert epsilon.total == Rho(1).to_epsilon(1e-6)
    assert epsilon.spent == Rho("0.25").to_epsilon(1e-6)
    assert epsilon.in_flight == 0
    assert epsilon.remaining == Rho("0.75").to_epsilon(1e-6)
    assert status.as_epsilon(tight=True).total < status.as_epsilon().total


operations = st.lists(
    st.tuples(
        st.sampled_from(["reserve", "commit", "cancel", "fail", "raise", "recover"]),
        st.integers(0, 5),
        st.fractions(min_value=Fraction(1, 20), max_value=1, max_denominator=100),
    ),
    max_size=25,
)


@settings(max_examples=25, deadline=None)
@given(operations)
def test_ledger_matches_a_simple_model(steps: list[tuple[str, int, Fraction]]) -> None:
    """Random operations: the ledger agrees with a dictionary model and never overspends;
    raising the lifetime adds exactly what was asked, and recovering abandoned reservations
    never touches those of a live process (this one)."""
    with tempfile.TemporaryDirectory() as folder:
        book = Ledger(Path(folder) / "l.sqlite", user="u")
        register(book, "d", Rho(1), by="a")
        held: dict[str, Reservation] = {}
        committed: list[str] = []
        spent, total = Fraction(0), Fraction(1)
        for action, number, cost in steps:
            release = f"r{number}"
            in_flight = sum((r.rho.value for r in held.values()), Fraction(0))
            if action in ("reserve", "fail"):
                fits = release not in held and release not in committed
                fits = fits and spent + in_flight + cost <= total
                try:
                    reservation = book.reserve("d", release, Rho(cost), tables=["t"], by="a")
                except BudgetError:
                    assert not fits
                else:
                    assert fits
                    if action == "reserve":
                        held[release] = reservation
                    else:
                        with pytest.raises(KeyError), reservation:
                            raise KeyError(release)
            elif action == "raise":
                book.raise_lifetime("d", Rho(total + cost), by="a", reason="more")
                total += cost
            elif action == "recover":
                assert book.recover_abandoned(by="a") == []
            elif release in held and action == "commit":
                reservation = held.pop(release)
                charge = reservation.commit()
                spent += reservation.rho.value
                committed.append(release)
                assert (charge.release_id, charge.rho, charge.spent) == (
                    release,
                    reservation.rho,
                    Rho(spent),
                )
            elif release in held:
                held.pop(release)
                book.cancel_stale("d", release, reason="test", by="a")
            status = book.status("d")
            assert status.total == total and status.spent == spent
            assert status.in_flight == sum((r.rho.value for r in held.values()), Fraction(0))
            assert status.spent + status.in_flight + status.remaining == status.total
            assert set(status.in_flight_releases) == set(held)
        book.verify()
        assert [charge.release_id for charge in book.charges()] == committed
