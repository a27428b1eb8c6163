"""Releases draw on the dataset's ledger: overspend refused, failures charge nothing.

Each test registers its own dataset, ``one-rho``, with a lifetime of ρ = 1.
"""

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
from tests.helpers.ledger import register

DATASET = "one-rho"


@pytest.fixture
def workspace(demo_workspace):
    """The demo workspace with the dataset ``one-rho`` registered with lifetime ρ = 1."""
    register(demo_workspace / "catalogue", DATASET, rho=1)
    return demo_workspace


def _config(workspace, rho, **disclosure):
    config = minimal_config()
    config["source"]["dataset"] = DATASET
    config["release"]["budget"] = {"rho": rho}
    if disclosure:
        config["disclosure"] = disclosure
    path = workspace / f"release-{len(list(workspace.glob('release-*.yaml')))}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _status(workspace):
    return Ledger(default_ledger_path(workspace / "catalogue")).status(DATASET)


def test_releases_are_charged_and_overspend_is_refused_before_noise(workspace):
    run_pipeline(build_plan(load_config(_config(workspace, 0.6))))
    assert _status(workspace).spent.value == Fraction(3, 5)
    before = tree_snapshot(workspace / "catalogue")
    with pytest.raises(BudgetError) as caught:
        run_pipeline(build_plan(load_config(_config(workspace, 0.5))))
    assert caught.value.exit_code == 4 and "remaining" in str(caught.value)
    assert tree_snapshot(workspace / "catalogue") == before
    assert _status(workspace).spent.value == Fraction(3, 5)
    # exactly the remainder is still accepted (exact arithmetic, no float drift)
    run_pipeline(build_plan(load_config(_config(workspace, 0.4))))
    assert _status(workspace).remaining.value == 0


def test_refused_gate_charges_nothing(workspace):
    with pytest.raises(DisclosureError):
        run_pipeline(build_plan(load_config(_config(workspace, 0.5, min_area_population=10**6))))
    status = _status(workspace)
    assert status.spent.value == 0 and status.in_flight.value == 0


def test_two_runs_at_once_cannot_overspend(workspace):
    """Two real processes each ask for 0.6 of a lifetime of 1: exactly one publishes."""
    paths = [_config(workspace, 0.6), _config(workspace, 0.6)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "boroughkit.cli", "run", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for path in paths
    ]
    # communicate() reads the output as it comes (no full pipe) and closes it afterwards
    outputs = [process.communicate(timeout=300)[0] for process in processes]
    codes = sorted(process.returncode for process in processes)
    assert codes == [0, 4], outputs
    assert len(list((workspace / "catalogue").glob("*/*/manifest.json"))) == 1
    assert _status(workspace).spent.value == Fraction(3, 5)


def test_a_charge_that_cannot_be_written_stages_nothing(workspace, monkeypatch):
    from boroughkit.errors import BoroughkitError
    from boroughkit.privacy.ledger import Reservation

    def broken_commit(self):
        raise OSError("disk full while writing the ledger")

    monkeypatch.setattr(Reservation, "commit", broken_commit)
    with pytest.raises(BoroughkitError, match="disk full"):
        run_pipeline(build_plan(load_config(_config(workspace, 0.5))))
    staging = workspace / "catalogue" / "staging"
    assert not staging.exists() or not any(staging.iterdir())
    status = _status(workspace)
    assert status.spent.value == 0 and status.in_flight.value == 0
