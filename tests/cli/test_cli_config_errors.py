"""The issue's bad configs, from the command line: a clear message naming the line and key, a
fix, exit code 2, no traceback, and nothing written or charged, for `validate`, `plan` and `run`.
"""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner

from boroughkit.cli import main
from tests.helpers.configs import minimal_config
from tests.helpers.files import tree_snapshot

COMMANDS = ("validate", "plan", "run")


@pytest.fixture(scope="module")
def workspace(new_demo_workspace):
    """residents.parquet and a catalogue whose ledger registers ``residents`` (ρ = 10). Every
    test's config fails before anything is written, so the tests can share it."""
    return new_demo_workspace("config-errors")


def write(workspace, content: dict | str, name: str = "bad.yaml"):
    path = workspace / name
    text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path, text


def invoke(workspace, *args: str):
    """Run a command and check that nothing in the workspace (records, catalogue, ledger,
    reports) was written."""
    before = tree_snapshot(workspace)
    result = CliRunner().invoke(main, list(args))
    assert tree_snapshot(workspace) == before, f"{args} wrote to the workspace"
    assert "Traceback" not in result.output, result.output
    return result


def line_of(text: str, *needles: str) -> int:
    """The line of the last needle, each searched after the one before it."""
    lines = text.splitlines()
    position = 0
    for needle in needles:
        position = next(i for i in range(position, len(lines)) if needle in lines[i])
    return position + 1


def assert_refused(workspace, path, expected: list[str], fix: str) -> None:
    for command in COMMANDS:
        result = invoke(workspace, command, str(path))
        assert result.exit_code == 2, (command, result.output)
        assert result.output.startswith("error: "), result.output
        for words in expected:
            assert words in result.output, (command, words, result.output)
        assert f"fix: {fix}" in result.output, (command, result.output)


def _change(change) -> dict:
    config = minimal_config()
    change(config)
    return config


def _table(config: dict) -> dict:
    return config["release"]["tables"][0]


# (name, change to the config, the key and its line (needles), the message, the fix)
IMPOSSIBLE = [
    (
        "rho zero",
        lambda c: c["release"]["budget"].update(rho=0),
        "release.budget.rho",
        ("budget:", "rho:"),
        "must be more than 0",
        "give rho a number from 0.000001 to 100",
    ),
    (
        "rho underflows",
        lambda c: c["release"]["budget"].update(rho="1e-1000000"),
        "release.budget.rho",
        ("budget:", "rho:"),
        "1e-1000000 is below 0.000001",
        "give rho a number from 0.000001 to 100",
    ),
    (
        "rho overflows",
        lambda c: c["release"]["budget"].update(rho="1e1000000"),
        "release.budget.rho",
        ("budget:", "rho:"),
        "1e1000000 is above 100",
        "give rho a number from 0.000001 to 100",
    ),
    (
        "rho negative",
        lambda c: c["release"]["budget"].update(rho=-1),
        "release.budget.rho",
        ("budget:", "rho:"),
        "must be more than 0, not negative",
        "give rho a number",
    ),
    (
        "weight zero",
        lambda c: _table(c).update(weight=0),
        "release.tables[0].weight",
        ("weight:",),
        "must be more than 0",
        "give a positive weight",
    ),
    (
        "level share zero",
        lambda c: _table(c).update(level_split={"oa": 0, "ward": 1, "borough": 1}),
        "release.tables[0].level_split.oa",
        ("level_split:", "oa:"),
        "must be more than 0",
        "give a positive weight",
    ),
    (
        "duplicate values",
        lambda c: c["source"]["columns"]["tenure"]["values"].append("owned_outright"),
        "source.columns.tenure.values",
        ("values:",),
        "'owned_outright' is listed twice",
        "keep one 'owned_outright'",
    ),
    (
        "no formats",
        lambda c: c["publish"].update(formats=[]),
        "publish.formats",
        ("formats:",),
        "lists no formats",
        "list at least one of parquet, geojson, csv",
    ),
]


@pytest.mark.parametrize(
    ("change", "key", "needles", "message", "fix"),
    [case[1:] for case in IMPOSSIBLE],
    ids=[case[0] for case in IMPOSSIBLE],
)
def test_impossible_config_refused_by_validate_plan_and_run(
    workspace, change, key, needles, message, fix
):
    path, text = write(workspace, _change(change))
    expected = [f"{path}: 1 problem(s)", f"line {line_of(text, *needles)}: {key}: {message}"]
    assert_refused(workspace, path, expected, fix)


def test_impossible_config_refused_before_the_records_are_read(workspace):
    config = _change(lambda c: c["release"]["budget"].update(rho=0))
    config["source"]["path"] = "no-such-records.parquet"  # exit 1 if anything tried to read it
    path, _ = write(workspace, config)
    for command in COMMANDS:
        result = invoke(workspace, command, str(path))
        assert result.exit_code == 2 and "release.budget.rho" in result.output, result.output


def test_self_referencing_alias(workspace):
    text = yaml.safe_dump(minimal_config(), sort_keys=False) + "x: &x [*x]\n"
    path, _ = write(workspace, text)
    assert_refused(
        workspace,
        path,
        [f"{path}:{line_of(text, '&x')}: the alias *x is inside"],
        "write out the values *x should stand for",
    )


def test_billion_laughs_alias_bomb(workspace):
    text = "name: lol\n" + "".join(
        f"{name}: &{name} [{', '.join([repr('lol') if not before else '*' + before] * 9)}]\n"
        for before, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
    )
    assert len(text.splitlines()) == 10
    path, _ = write(workspace, text)
    assert_refused(
        workspace,
        path,
        [f"{path}:7:", "more than 100,000 values", "aliases"],
        "a pipeline config has a few hundred values at most",
    )


def test_nesting_too_deep(workspace):
    text = yaml.safe_dump(minimal_config(), sort_keys=False) + "deep: " + "[" * 80 + "]" * 80
    path, _ = write(workspace, text + "\n")
    assert_refused(
        workspace,
        path,
        [f"{path}:{line_of(text, 'deep:')}:", "nested more than 64 levels"],
        "a pipeline config needs only a few levels",
    )


def test_config_larger_than_one_megabyte(workspace):
    text = yaml.safe_dump(minimal_config(), sort_keys=False) + "# " + "x" * 1_000_000 + "\n"
    path, _ = write(workspace, text)
    assert_refused(
        workspace,
        path,
        [f"{path}: the config is larger than 1,000,000 bytes (1 MB)"],
        "a pipeline config is a few kilobytes",
    )


def test_verbose_shows_the_traceback_too(workspace):
    path, _ = write(workspace, _change(lambda c: c["publish"].update(formats=[])))
    result = CliRunner().invoke(main, ["--verbose", "validate", str(path)])
    assert result.exit_code == 2
    assert "Traceback" in result.output and "ConfigError" in result.output
    assert "publish.formats: lists no formats" in result.output
