"""A publish killed (SIGKILL) at any step leaves the catalogue as it was, or as it will be.

Each run publishes the same approved release in its own copy of one catalogue, with a fixed
clock so that an uninterrupted publish gives one exact "after" tree. The process passes
``publish_release`` an ``on_step`` callback that stops at a named step; the test kills it there
with SIGKILL. Until the journal is written
the tree is exactly the "before" tree; after it, the next writer (here `recover_catalogue`, which
every publish runs first) rolls the change forward to exactly the "after" tree. Either way, what
consumers read first (index.json) is always a whole version, and the next publish works.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from boroughkit.publish import approve_release, publish_release, recover_catalogue
from tests.helpers.publishing import stage_release

REPO = Path(__file__).resolve().parents[2]
WHEN = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
# Publishes argv[2] in catalogue argv[1] at time argv[3]; with argv[4], it announces that step
# on stderr when it reaches it and waits there to be killed.
PUBLISH = """
import sys, time
from datetime import datetime
from pathlib import Path
from boroughkit.publish import publish_release

def pause(step):
    if sys.argv[4:] == [step]:
        print(f"paused at {step}", file=sys.stderr, flush=True)
        time.sleep(120)

publish_release(Path(sys.argv[1]), sys.argv[2], by="Crash Test",
                now=datetime.fromisoformat(sys.argv[3]), on_step=pause)
"""
BEFORE_COMMIT = ["checked", "prepared", "before-journal"]
AFTER_COMMIT = ["move-1", "move-3", "move-last"]


def snapshot(catalogue: Path) -> dict[str, bytes]:
    """Every file of the catalogue except the hidden work entries (.lock, .publishing)."""
    return {
        path.relative_to(catalogue).as_posix(): path.read_bytes()
        for path in catalogue.rglob("*")
        if path.is_file() and not path.relative_to(catalogue).parts[0].startswith(".")
    }


def _start(catalogue: Path, release_id: str, pause: str | None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    step = [pause] if pause else []
    return subprocess.Popen(
        [sys.executable, "-c", PUBLISH, str(catalogue), release_id, WHEN.isoformat(), *step],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_pause(process: subprocess.Popen, step: str) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        if line.strip() == f"paused at {step}":
            return
    raise AssertionError(f"the publish ended (code {process.wait()}) before reaching {step}")


@pytest.fixture(scope="module")
def template(tmp_path_factory, demo_bundle):
    """A catalogue with one published release and two approved ones waiting."""
    catalogue = tmp_path_factory.mktemp("kill") / "catalogue"
    first = stage_release(catalogue, demo_bundle, name="first")
    approve_release(catalogue, first, by="Asha Patel")
    publish_release(catalogue, first, now=datetime(2026, 4, 1, tzinfo=UTC))
    waiting = [stage_release(catalogue, demo_bundle, name=n) for n in ("second", "third")]
    for release_id in waiting:
        approve_release(catalogue, release_id, by="Asha Patel")
    return catalogue, waiting


@pytest.mark.slow
def test_killed_publish_leaves_the_catalogue_before_or_after(template, tmp_path):
    source, (release_id, next_id) = template
    before = snapshot(source)
    reference = tmp_path / "reference"
    shutil.copytree(source, reference)
    with _start(reference, release_id, None) as process:  # closes its stderr pipe
        assert process.wait(timeout=120) == 0
    after = snapshot(reference)
    assert after != before and f"releases/{release_id}/manifest.json" in after

    steps = BEFORE_COMMIT + AFTER_COMMIT
    copies = {step: tmp_path / step / "catalogue" for step in steps}
    processes = {}
    for step, copy in copies.items():
        shutil.copytree(source, copy)
        processes[step] = _start(copy, release_id, step)
    for step, process in processes.items():
        _wait_for_pause(process, step)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
        process.stderr.close()

    for step, copy in copies.items():
        index = (copy / "index.json").read_bytes()
        assert index in (before["index.json"], after["index.json"]), step
        if step in BEFORE_COMMIT:
            assert snapshot(copy) == before, step
        recover_catalogue(copy)
        assert not (copy / ".publishing").exists()
        expected = before if step in BEFORE_COMMIT else after
        assert snapshot(copy) == expected, step
        if expected is before:  # the interrupted publish can simply be run again
            publish_release(copy, release_id, by="Crash Test", now=WHEN)
            assert snapshot(copy) == after, step
        publish_release(copy, next_id, by="Crash Test")
        listed = {
            e["id"]: e["status"] for e in json.loads((copy / "index.json").read_text())["releases"]
        }
        assert listed[release_id] == listed[next_id] == "current", step


def test_publish_again_after_a_kill_past_the_commit_point(tmp_path, demo_bundle):
    """Issue 12: the second publish says the release is published (exit 0) and finishes the
    copy to the target the manifest names, which the killed publish never reached."""
    from click.testing import CliRunner

    from boroughkit.cli import main
    from boroughkit.config.publish_models import GovernanceConfig, PublishConfig

    catalogue, mirror = tmp_path / "catalogue", tmp_path / "mirror"
    publish = PublishConfig(
        target=mirror.as_uri(),
        governance=GovernanceConfig(
            dpia_reference="DPIA-2026-014",
            legal_basis="UK GDPR Article 6(1)(e)",
            data_controller="Test Borough Council",
        ),
    )
    release_id = stage_release(catalogue, demo_bundle, name="killed", publish=publish)
    approve_release(catalogue, release_id, by="Asha Patel")
    with _start(catalogue, release_id, "move-last") as process:
        _wait_for_pause(process, "move-last")
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    assert (catalogue / ".publishing").exists() and not mirror.exists()

    runner = CliRunner()
    again = runner.invoke(main, ["publish", release_id, "--catalogue", str(catalogue)])
    assert again.exit_code == 0, again.output
    assert f"{release_id}: already published (current) in catalogue version 1" in again.output
    assert f"copied to: {mirror.as_uri()}" in again.output
    assert not (catalogue / ".publishing").exists()
    index = json.loads((catalogue / "index.json").read_text())
    assert [(e["id"], e["status"]) for e in index["releases"]] == [(release_id, "current")]
    assert json.loads((mirror / "index.json").read_text()) == index
    assert (mirror / "releases" / release_id / "manifest.json").exists()
    # Once more: nothing to do, and it says so.
    third = runner.invoke(main, ["publish", release_id, "--catalogue", str(catalogue)])
    assert third.exit_code == 0 and "already published (current)" in third.output
