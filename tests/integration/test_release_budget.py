"""Releases draw on the dataset's ledger: overspend refused, failures charge nothing."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import pytest
import yaml

from boroughkit import build_plan, load_config, run_pipeline
from boroughkit.errors import BudgetError, DisclosureError
from boroughkit.privacy.ledger import Ledger, default_ledger_path
from tests.helpers.configs import minimal_config
from tests.helpers.files import tree_snapshot


def _config(workspace, rho, lifetime=1, **disclosure):
    config = minimal_config()
    config["release"]["budget"] = {"rho": rho, "lifetime": lifetime}
    if disclosure:
        config["disclosure"] = disclosure
    path = workspace / f"release-{len(list(workspace.glob('release-*.yaml')))}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _status(workspace):
    return Ledger(default_ledger_path(workspace / "catalogue")).status("residents")


def test_releases_are_charged_and_overspend_is_refused_before_noise(demo_workspace):
    run_pipeline(build_plan(load_config(_config(demo_workspace, 0.6))))
    assert _status(demo_workspace).spent.value == Fraction(3, 5)
    before = tree_snapshot(demo_workspace / "catalogue")
    with pytest.raises(BudgetError) as caught:
        run_pipeline(build_plan(load_config(_config(demo_workspace, 0.5))))
    assert caught.value.exit_code == 4 and "remaining" in str(caught.value)
    assert tree_snapshot(demo_workspace / "catalogue") == before
    assert _status(demo_workspace).spent.value == Fraction(3, 5)
    # exactly the remainder is still accepted (exact arithmetic, no float drift)
    run_pipeline(build_plan(load_config(_config(demo_workspace, 0.4))))
    assert _status(demo_workspace).remaining.value == 0


def test_refused_gate_charges_nothing(demo_workspace):
    with pytest.raises(DisclosureError):
        run_pipeline(
            build_plan(load_config(_config(demo_workspace, 0.5, min_area_population=10**6)))
        )
    status = _status(demo_workspace)
    assert status.spent.value == 0 and status.in_flight.value == 0


def test_two_runs_at_once_cannot_overspend(demo_workspace):
    """Two real processes each ask for 0.6 of a lifetime of 1: exactly one publishes."""
    paths = [_config(demo_workspace, 0.6), _config(demo_workspace, 0.6)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "boroughkit.cli", "run", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for path in paths
    ]
    codes = sorted(process.wait(timeout=300) for process in processes)
    assert codes == [0, 4], [p.stdout.read() for p in processes if p.stdout]
    assert len(list((demo_workspace / "catalogue").glob("*/*/manifest.json"))) == 1
    assert _status(demo_workspace).spent.value == Fraction(3, 5)


def test_a_charge_that_cannot_be_written_unstages_the_release(demo_workspace, monkeypatch):
    from boroughkit.privacy.ledger import Reservation

    def broken_commit(self):
        raise OSError("disk full while writing the ledger")

    monkeypatch.setattr(Reservation, "commit", broken_commit)
    with pytest.raises(OSError, match="disk full"):
        run_pipeline(build_plan(load_config(_config(demo_workspace, 0.5))))
    staging = demo_workspace / "catalogue" / "staging"
    assert not staging.exists() or not any(staging.iterdir())
    status = _status(demo_workspace)
    assert status.spent.value == 0 and status.in_flight.value == 0
