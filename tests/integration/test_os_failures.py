"""Operating-system failures are clear errors and leave nothing behind (issue 12).

A full disk while writing a release (`run`) or publishing one, a folder boroughkit may not
write, and a geography too large for memory end in a BoroughkitError whose message says what to
free or change, with the documented exit code; the catalogue and the ledger stay as they were.

The full disk is real: a 2 MB tmpfs mounted for the test (the tests run as root). Where mounting
is not permitted, the same tests fall back to making the writes raise ``OSError(ENOSPC)``.
Permission denied cannot be had for real as root (root may write anywhere), and running out of
memory cannot be had safely on a shared machine: both are simulated by raising the error the
operating system would raise, at the place it would be raised.
"""

from __future__ import annotations

import errno
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from boroughkit.cli import main
from boroughkit.demo import write_residents
from boroughkit.errors import BoroughkitError, GeographyError
from boroughkit.geography import import_bundle, open_bundle
from boroughkit.privacy.budget import Rho
from boroughkit.privacy.ledger import Ledger
from boroughkit.publish import approve_release, publish_release
from boroughkit.publish.transaction import CatalogueTransaction
from tests.helpers.configs import minimal_config
from tests.helpers.ledger import register
from tests.helpers.publishing import stage_release
from tests.helpers.shared_data import GEO

DISK_FULL = "no space left on the disk holding"


class SmallDisk:
    """A 2 MB disk (tmpfs) to fill, or, where mounting is refused, a folder whose file writes
    raise ``OSError(ENOSPC)`` once :meth:`fill` is called."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = folder
        self.monkeypatch = monkeypatch
        mount = ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)]
        try:
            done = subprocess.run(mount, capture_output=True, check=False)
        except OSError:  # no mount command
            self.mounted = False
        else:
            self.mounted = done.returncode == 0

    def fill(self, leave: int = 16_384) -> None:
        """Leave ``leave`` bytes free (or make writes under the folder fail)."""
        if self.mounted:
            free = shutil.disk_usage(self.folder).free
            (self.folder / "filler").write_bytes(b"\0" * max(free - leave, 0))
            return
        # Fallback (mounting not permitted): writes of data under the folder fail as on a full
        # disk (opening the empty lock file needs no space).
        real_open = Path.open

        def full_open(path: Path, mode: str = "r", *args, **kwargs):
            writes = any(c in mode for c in "wx") or (mode.startswith("a") and path.name != ".lock")
            if writes and self.folder in path.resolve().parents:
                raise OSError(errno.ENOSPC, "No space left on device", str(path))
            return real_open(path, mode, *args, **kwargs)

        self.monkeypatch.setattr(Path, "open", full_open)

    def free(self) -> None:
        """Free the disk again."""
        if self.mounted:
            (self.folder / "filler").unlink()
        else:
            self.monkeypatch.undo()

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", str(self.folder)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmallDisk]:
    folder = tmp_path / "disk"
    folder.mkdir()
    disk = SmallDisk(folder, monkeypatch)
    try:
        yield disk
    finally:
        disk.unmount()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden work folders must be gone, so they are included)."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file() and path.name != ".lock"
    }


@pytest.fixture
def run_workspace(tmp_path: Path, demo_residents, small_disk: SmallDisk):
    """Residents and a config whose catalogue is on the small disk (the ledger is not)."""
    write_residents(demo_residents, tmp_path / "residents.parquet")
    catalogue, ledger = small_disk.folder / "catalogue", tmp_path / "ledger.sqlite"
    register(catalogue, "residents", rho=10, ledger_path=ledger)
    config = minimal_config()
    config["publish"].update({"to": str(catalogue), "ledger": str(ledger)})
    (tmp_path / "pipeline.yaml").write_text(yaml.safe_dump(config))
    return tmp_path / "pipeline.yaml", catalogue, Ledger(ledger)


def _spent(ledger: Ledger) -> tuple[Rho, Rho]:
    status = ledger.status("residents")
    return status.spent, status.in_flight


def test_disk_full_while_writing_a_release(run_workspace, small_disk: SmallDisk) -> None:
    config, catalogue, ledger = run_workspace
    before, budget = snapshot(catalogue), _spent(ledger)
    small_disk.fill()
    result = CliRunner().invoke(main, ["run", str(config), "--by", "Sam Analyst"])
    assert result.exit_code == 5, result.output
    assert "Traceback" not in result.output and result.output.startswith("error: ")
    assert DISK_FULL in result.output and str(catalogue) in result.output
    assert "nothing was staged" in result.output
    assert "fix: free space on that disk" in result.output and "publish.to" in result.output
    assert snapshot(catalogue) == before  # nothing staged, no .building left behind
    assert _spent(ledger) == budget  # nothing charged, no reservation left
    small_disk.free()
    again = CliRunner().invoke(main, ["run", str(config), "--by", "Sam Analyst"])
    assert again.exit_code == 0, again.output


@pytest.fixture
def approved(small_disk: SmallDisk, demo_bundle) -> tuple[Path, str]:
    """A catalogue on the small disk with one approved release waiting to be published."""
    catalogue = small_disk.folder / "catalogue"
    release_id = stage_release(catalogue, demo_bundle, levels=("oa", "ward", "borough"))
    approve_release(catalogue, release_id, by="Asha Patel")
    return catalogue, release_id


def _publish(catalogue: Path, release_id: str) -> tuple[int, str]:
    """Publish as the CLI would, without its ledger check (the staged release is hand-made):
    the exit code and what is printed."""
    try:
        return 0, publish_release(catalogue, release_id).describe()
    except BoroughkitError as error:
        return error.exit_code, error.render()


def test_disk_full_while_publishing(approved, small_disk: SmallDisk) -> None:
    catalogue, release_id = approved
    before = snapshot(catalogue)
    small_disk.fill()
    code, output = _publish(catalogue, release_id)
    assert code == 5, output
    assert DISK_FULL in output and "the catalogue was left as it was" in output
    assert "fix: free space on that disk" in output
    assert snapshot(catalogue) == before  # no .publishing, nothing in releases/
    small_disk.free()
    code, output = _publish(catalogue, release_id)
    assert code == 0, output
    assert (catalogue / "releases" / release_id / "manifest.json").exists()


def test_permission_denied_while_publishing(approved, monkeypatch) -> None:
    catalogue, release_id = approved
    before = snapshot(catalogue)
    target = catalogue / "registers" / "transparency.csv"

    def denied(self, relative: str, text: str) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(target))

    monkeypatch.setattr(CatalogueTransaction, "write_text", denied)  # root may write anywhere
    code, output = _publish(catalogue, release_id)
    assert code == 5, output
    assert f"permission denied on {target}" in output
    assert "fix: give the user running boroughkit" in output
    assert snapshot(catalogue) == before


def test_disk_full_past_the_commit_point_is_finished_by_the_next_publish(
    approved, monkeypatch
) -> None:
    """The journal is written, then a move fails: the change is committed, and says so."""
    catalogue, release_id = approved
    real_replace = __import__("os").replace
    calls = []

    def replace_once_full(source, destination):
        calls.append(destination)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(destination))
        return real_replace(source, destination)

    monkeypatch.setattr("boroughkit.publish.transaction.os.replace", replace_once_full)
    code, output = _publish(catalogue, release_id)
    monkeypatch.undo()
    assert code == 5, output
    assert DISK_FULL in output and "the change was committed" in output
    code, output = _publish(catalogue, release_id)
    assert code == 0, output
    assert "already published (current)" in output
    assert not (catalogue / ".publishing").exists()
    assert (catalogue / "releases" / release_id / "manifest.json").exists()


def test_running_out_of_memory_while_writing_a_release(run_workspace, monkeypatch) -> None:
    config, catalogue, ledger = run_workspace
    before, budget = snapshot(catalogue), _spent(ledger)

    def too_big(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("boroughkit.publish.release_writer.write_geojson", too_big)
    result = CliRunner().invoke(main, ["run", str(config), "--by", "Sam Analyst"])
    assert result.exit_code == 5, result.output
    assert "ran out of memory; nothing was staged" in result.output
    assert "fewer levels" in result.output and "fewer formats" in result.output
    assert snapshot(catalogue) == before and _spent(ledger) == budget


def test_a_geography_too_large_for_memory(tmp_path: Path, monkeypatch) -> None:
    lookup = GEO / "lookup_oa21_lsoa21_msoa21_wd22_lad22_lbbd.csv"
    wards = GEO / "wards22_bsc_london.parquet"

    def too_big(*args, **kwargs):
        raise MemoryError

    with monkeypatch.context() as patch:
        patch.setattr("boroughkit.geography.boundary_reader.gpd.read_parquet", too_big)
        result = CliRunner().invoke(
            main,
            ["geography", "import", "--lookup", str(lookup), "--boundaries", f"ward={wards}",
             "--out", str(tmp_path / "out")],
        )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"{wards} (" in result.output and "too large for this machine's memory" in result.output
    assert "generalised boundaries" in result.output
    assert not (tmp_path / "out").exists()

    import_bundle(lookup, tmp_path / "lbbd", boundaries={"ward": wards})
    with monkeypatch.context() as patch:
        patch.setattr("boroughkit.geography.storage.gpd.read_parquet", too_big)
        with pytest.raises(GeographyError, match="too large for this machine's memory") as error:
            open_bundle(tmp_path / "lbbd")
    assert "--borough CODE" in str(error.value)


def test_disk_full_while_writing_a_geography_bundle(small_disk: SmallDisk) -> None:
    small_disk.fill(leave=4096)
    lookup = GEO / "lookup_oa21_lsoa21_msoa21_wd22_lad22_lbbd.csv"
    result = CliRunner().invoke(
        main,
        ["geography", "import", "--lookup", str(lookup),
         "--boundaries", f"lsoa={GEO / 'lsoa21_bsc_lbbd.geojson'}",
         "--out", str(small_disk.folder / "lbbd")],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "no space left on the disk" in result.output and "nothing was written" in result.output
    assert "fix: free space on that disk" in result.output
    assert [p.name for p in small_disk.folder.iterdir() if p.name != "filler"] == []


def test_an_unforeseen_os_failure_in_any_command_is_a_clear_error(
    tmp_path: Path, demo_bundle, monkeypatch
) -> None:
    """Failures the library does not catch itself (say, approval's own write; memory anywhere)
    still end in a message and an exit code from the CLI, never a traceback."""
    catalogue = tmp_path / "catalogue"
    release_id = stage_release(catalogue, demo_bundle, levels=("ward", "borough"))
    approve = ["approve", release_id, "--by", "Asha Patel", "--catalogue", str(catalogue)]
    for failure, code, words in (
        (
            OSError(errno.ENOSPC, "No space left on device", "approval.json"),
            5,
            "the disk is full (approval.json)",
        ),
        (
            PermissionError(errno.EACCES, "Permission denied", "approval.json"),
            5,
            "permission denied (approval.json)",
        ),
        (MemoryError(), 1, "ran out of memory"),
    ):

        def fail(*args, error=failure, **kwargs):
            raise error

        monkeypatch.setattr("boroughkit.pipeline.approving.approve", fail)
        result = CliRunner().invoke(main, approve)
        assert result.exit_code == code, result.output
        assert words in result.output and "fix:" in result.output
        assert isinstance(result.exception, SystemExit)
