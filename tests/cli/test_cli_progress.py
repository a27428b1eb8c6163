"""Progress of long commands: the library reports each step as it begins; the command line
shows them on stderr in a terminal, and nothing at all when it is not one or with --quiet."""

from __future__ import annotations

import io
import re

from click.testing import CliRunner
from rich.console import Console

from boroughkit import build_plan, load_config, run_pipeline
from boroughkit.cli import main
from boroughkit.cli._progress import TerminalProgress
from boroughkit.pipeline.demo import write_demo_residents
from boroughkit.release.context import RunContext
from tests.helpers.configs import extract_config, minimal_config, write_config_file

TABLE_STEPS = [
    "open the geography",
    "load and geocode the records",
    "protect the tables",
    "write the files",
    "run the disclosure gate",
    "stage for approval",
]


def _terminal() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(force_terminal=True, file=buffer, width=100), buffer


def _finished_steps(text: str) -> list[str]:
    """The ✓ lines of a display, without colours and times."""
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    return re.findall(r"✓ (.+?) \(\d+\.\ds\)", plain)


def test_the_terminal_display_lists_each_step_in_order_once_finished():
    console, buffer = _terminal()
    with TerminalProgress(console) as progress:
        progress("first step")
        progress("second step")
        progress.echo("a line of the command's own output")
        progress("third step")
    assert _finished_steps(buffer.getvalue()) == ["first step", "second step", "third step"]


def test_a_failed_step_is_marked_as_failed():
    console, buffer = _terminal()
    try:
        with TerminalProgress(console) as progress:
            progress("works")
            progress("breaks")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    text = buffer.getvalue()
    assert _finished_steps(text) == ["works"] and "✗ breaks" in text


def test_a_table_run_reports_its_steps_in_order(demo_workspace):
    config = write_config_file(demo_workspace, minimal_config())
    steps: list[str] = []
    run_pipeline(build_plan(load_config(config)), RunContext(by="Sam", progress=steps.append))
    assert steps == TABLE_STEPS


def test_the_synthetic_extract_reports_fit_sample_and_evaluation(demo_workspace):
    config = write_config_file(demo_workspace, extract_config(seed=3), "extract.yaml")
    steps: list[str] = []
    run_pipeline(build_plan(load_config(config)), RunContext(by="Sam", progress=steps.append))
    assert steps[:3] == [
        "open the geography",
        "load and geocode the records",
        "split off the hold-out",
    ]
    assert steps[3] == "fit the cart synthesiser"
    assert re.fullmatch(r"sample [\d,]+ synthetic rows", steps[4])
    assert steps[5:] == [
        "evaluate fidelity and disclosure risk",
        "write the researcher bundle",
        "run the disclosure gate",
        "stage for approval",
    ]


def test_demo_residents_report_generation(tmp_path):
    steps: list[str] = []
    write_demo_residents(
        "builtin:demo", 300, tmp_path / "people.csv", seed=1, progress=steps.append
    )
    assert steps == ["open the geography", "generate 300 demo residents", "write people.csv"]


def test_run_in_a_terminal_shows_the_steps_on_stderr_only(demo_workspace):
    config = write_config_file(demo_workspace, minimal_config())
    console, buffer = _terminal()
    result = CliRunner().invoke(main, ["run", str(config)], obj={"console": console})
    assert result.exit_code == 0, result.output
    assert _finished_steps(buffer.getvalue()) == TABLE_STEPS
    # stdout is the summary alone, to be read or parsed.
    assert result.output.startswith("Built release ") and "✓" not in result.output


def test_quiet_or_no_terminal_prints_nothing_extra(demo_workspace):
    config = write_config_file(demo_workspace, minimal_config())
    console, buffer = _terminal()
    quiet = CliRunner().invoke(main, ["--quiet", "run", str(config)], obj={"console": console})
    assert quiet.exit_code == 0, quiet.output
    assert buffer.getvalue() == ""
    # Under CliRunner stdout and stderr are not terminals: no display, no escape codes.
    plain = CliRunner().invoke(main, ["run", str(config)])
    assert plain.exit_code == 0, plain.output
    assert plain.output.startswith("Built release ") and plain.stderr == ""
    assert "\x1b" not in plain.output and "✓" not in plain.output


def test_demo_residents_command_in_a_terminal(tmp_path):
    console, buffer = _terminal()
    out = tmp_path / "people.parquet"
    result = CliRunner().invoke(
        main, ["demo", "residents", "--n", "300", "--out", str(out)], obj={"console": console}
    )
    assert result.exit_code == 0, result.output
    assert _finished_steps(buffer.getvalue()) == [
        "open the geography",
        "generate 300 demo residents",
        "write people.parquet",
    ]
    assert result.output.startswith("Wrote ")
