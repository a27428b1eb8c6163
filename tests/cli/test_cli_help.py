"""Commands that teach themselves: an example in every --help, wording that says what each
command does, and "next:" commands that can be pasted as they are printed."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from boroughkit.cli import main
from tests.helpers.configs import minimal_config, write_config_file
from tests.helpers.ledger import register

REPOSITORY = Path(__file__).resolve().parents[2]


def _commands(
    command: click.Command, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name, child in sorted(command.commands.items()):
            found += _commands(child, (*path, name))
    return found


COMMANDS = _commands(main)


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(main, [*path, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


def _examples(path: tuple[str, ...]) -> list[list[str]]:
    """The example commands of a --help, continuation lines joined, comments dropped."""
    lines = _help(path).split("Example", 1)[1].splitlines()[1:]
    commands: list[str] = []
    for line in lines:
        if not line.startswith("    "):
            break
        text = line.strip()
        if commands and commands[-1].endswith("\\"):
            commands[-1] = commands[-1][:-1] + text
        else:
            commands.append(text)
    return [shlex.split(command, comments=True) for command in commands]


def test_the_tree_walk_finds_every_command():
    names = {" ".join(path) for path, _ in COMMANDS}
    expected = {
        "",
        "validate",
        "plan",
        "run",
        "check",
        "demo",
        "demo residents",
        "geography",
        "geography import",
        "geography info",
        "ledger",
        "ledger init",
        "ledger raise",
        "ledger show",
        "ledger verify",
        "ledger cancel",
        "ledger publish-register",
        "approve",
        "publish",
        "retract",
        "serve",
        "export-site",
    }
    assert expected <= names


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=lambda p: " ".join(p) or "-")
def test_every_help_ends_with_an_example_that_is_not_rewrapped(path):
    text = _help(path)
    assert "Example" in text
    examples = _examples(path)
    assert examples, text
    for words in examples:
        # Each example is a whole boroughkit command naming this command (kept on its own
        # lines by click's \b marker, not run into the paragraph).
        assert words[0] == "boroughkit", words
    if path:
        assert any(words[1 : 1 + len(path)] == list(path) for words in examples), text


@pytest.mark.parametrize(
    "path", [("validate",), ("plan",), ("geography", "info"), ("geography",), ("",)]
)
def test_read_only_examples_work_as_written_from_the_repository(path, monkeypatch):
    monkeypatch.chdir(REPOSITORY)
    path = tuple(part for part in path if part)
    for words in _examples(path):
        if words[1:2] in (["demo"], ["serve"]):
            continue  # they write files or serve forever: run by test_the_examples_workflow
        result = CliRunner().invoke(main, words[1:])
        assert result.exit_code == 0, (words, result.output)


def test_run_says_it_stages_and_publish_says_it_publishes():
    run_help, plan_help, publish_help = _help(("run",)), _help(("plan",)), _help(("publish",))
    assert "does not publish" in run_help and "stage" in run_help
    assert "publish" in publish_help.lower().split("example")[0]
    assert "stage for approval" in plan_help


def test_plan_steps_end_in_stage_for_approval(monkeypatch):
    monkeypatch.chdir(REPOSITORY)
    for config in sorted((REPOSITORY / "configs").glob("demo-*.yaml")):
        result = CliRunner().invoke(main, ["plan", str(config)])
        assert result.exit_code == 0, result.output
        if "→" in result.output:
            [steps] = [line for line in result.output.splitlines() if "→" in line][:1]
            assert steps.rstrip().endswith("stage for approval"), steps
            assert "→ publish" not in result.output


def _next_commands(output: str) -> list[list[str]]:
    lines = output.split("next:", 1)[1].splitlines()[1:]
    return [shlex.split(line) for line in lines if line.strip().startswith("boroughkit ")]


def test_hints_after_run_and_approve_can_be_pasted_as_printed(tmp_path, demo_residents):
    from boroughkit.demo import write_residents

    folder = tmp_path / "council data"  # a space: the printed paths must be quoted
    folder.mkdir()
    write_residents(demo_residents, folder / "residents.parquet")
    register(folder / "catalogue", "residents", rho=10)
    config = write_config_file(folder, minimal_config())

    ran = CliRunner().invoke(main, ["run", str(config), "--by", "Sam Analyst"])
    assert ran.exit_code == 0, ran.output
    catalogue = str(folder / "catalogue")
    assert catalogue in ran.output
    approve, publish = _next_commands(ran.output)
    assert approve[:2] == ["boroughkit", "approve"] and publish[:2] == ["boroughkit", "publish"]
    assert approve[approve.index("--catalogue") + 1] == catalogue
    assert publish[publish.index("--catalogue") + 1] == catalogue
    assert '--by "NAME"' in ran.output

    named = ["Asha Patel" if word == "NAME" else word for word in approve]
    approved = CliRunner().invoke(main, named[1:])
    assert approved.exit_code == 0, approved.output
    [hint] = [line for line in approved.output.splitlines() if "boroughkit publish" in line]
    assert shlex.split(hint) == publish
    published = CliRunner().invoke(main, publish[1:])
    assert published.exit_code == 0, published.output
    assert list((folder / "catalogue" / "releases").iterdir())
