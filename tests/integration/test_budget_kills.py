"""A run killed at any step leaves nothing uncharged and nothing stuck.

Every test works in the demo workspace, whose dataset ``residents`` is registered with lifetime
ρ = 10 in the ledger beside ``catalogue``. Nothing depends on wall time: each kill happens at a
named function (replaced by one that SIGKILLs the process), not after a delay.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from boroughkit.privacy.budget import Rho
from tests.helpers.budget import (
    REPO,
    assert_everything_charged,
    ledger_of,
    publish_ok,
    staged,
    write,
)

# --- a run killed at any step ----------------------------------------------------------------

#: Runs `boroughkit ARGS...` with one function replaced by a wrapper that SIGKILLs the process
#: before or after calling it: argv[1] "module:attribute.path", argv[2] "before" or "after".
KILLED_RUN = """
import importlib, os, signal, sys

target, when, args = sys.argv[1], sys.argv[2], sys.argv[3:]
module_name, path = target.split(":")
owner = importlib.import_module(module_name)
*parents, name = path.split(".")
for parent in parents:
    owner = getattr(owner, parent)
original = getattr(owner, name)

def killer(*positional, **keywords):
    if when == "after":
        original(*positional, **keywords)
    os.kill(os.getpid(), signal.SIGKILL)

setattr(owner, name, killer)
from boroughkit.cli import main
main(args, prog_name="boroughkit")
"""

KILL_POINTS = {
    # the reservation is written; nothing is built yet
    "after-reservation": ("boroughkit.privacy.ledger:Ledger.reserve", "after"),
    # files written in the build folder, the gate about to run
    "during-build": ("boroughkit.release.tables:run_gate", "before"),
    # the charge is committed; the release is not staged yet
    "after-charge": ("boroughkit.privacy.reservation:Reservation.commit", "after"),
    # the release is staged
    "after-staging": ("boroughkit.release.tables:commit_release", "after"),
}


def killed_run(workspace: Path, point: str, config: Path) -> subprocess.CompletedProcess[str]:
    target, when = KILL_POINTS[point]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", KILLED_RUN, target, when, "run", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=workspace,
        check=False,
    )


def boroughkit(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """`boroughkit ARGS` in a process of its own."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "boroughkit.cli", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_run_killed_at_any_step_leaves_nothing_uncharged_or_stuck(
    demo_workspace: Path, point: str
) -> None:
    catalogue = demo_workspace / "catalogue"
    killed = killed_run(demo_workspace, point, write(demo_workspace))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    ledger = ledger_of(demo_workspace)
    [reserve] = [entry for entry in ledger.entries() if entry.kind == "reserve"]
    release_id = reserve.release_id
    assert release_id is not None
    status = ledger.status("residents")
    charged = point in ("after-charge", "after-staging")
    assert status.in_flight_releases == (() if charged else (release_id,))
    assert status.spent == (Rho("0.5") if charged else 0)
    # Nothing reached staging/ uncharged; what did reach it is charged as its manifest says.
    assert staged(demo_workspace) == ([release_id] if point == "after-staging" else [])
    assert_everything_charged(catalogue)
    # The next ledger command gives a dead run's reservation back, and says so.
    shown = boroughkit("ledger", "show", "--catalogue", catalogue)
    assert shown.returncode == 0, shown.stderr
    recovered = f"recovered ρ = 0.5 held by release {release_id}: its run"
    assert (recovered in shown.stderr) is not charged, shown.stderr
    status = ledger_of(demo_workspace).status("residents")
    assert status.in_flight == 0 and status.spent == (Rho("0.5") if charged else 0)
    if point == "after-staging":  # the staged release is whole and can go out
        publish_ok(demo_workspace, release_id)
        assert_everything_charged(catalogue)


def test_the_next_run_recovers_a_killed_run_and_says_so(demo_workspace: Path) -> None:
    config = write(demo_workspace)
    killed = killed_run(demo_workspace, "during-build", config)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    [stuck] = ledger_of(demo_workspace).status("residents").in_flight_releases
    after = boroughkit("run", config)
    assert after.returncode == 0, after.stderr
    assert f"Recovered the budget held by an ended run: release {stuck} (ρ = 0.5" in after.stdout
    status = ledger_of(demo_workspace).status("residents")
    assert status.in_flight == 0 and status.spent == Rho("0.5")
    assert len(staged(demo_workspace)) == 1
    assert_everything_charged(demo_workspace / "catalogue")


def test_a_live_run_is_never_recovered(demo_workspace: Path) -> None:
    """A reservation held by a process that is still running stays in flight."""
    held = ledger_of(demo_workspace).reserve(
        "residents", "live-1", Rho("0.5"), tables=["t"], by="this test"
    )
    shown = boroughkit("ledger", "show", "--catalogue", demo_workspace / "catalogue")
    assert shown.returncode == 0 and "recovered" not in shown.stderr
    assert "releases in flight: live-1" in shown.stdout
    held.cancel("test over")


def test_the_next_run_removes_the_work_folder_of_a_run_killed_after_its_charge(
    demo_workspace: Path,
) -> None:
    config = write(demo_workspace)
    killed = killed_run(demo_workspace, "after-charge", config)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    building = demo_workspace / "catalogue" / ".building"
    [left_behind] = [folder.name for folder in building.iterdir()]
    after = boroughkit("run", config)
    assert after.returncode == 0, after.stderr
    assert left_behind not in [folder.name for folder in building.glob("*")]
    assert_everything_charged(demo_workspace / "catalogue")
