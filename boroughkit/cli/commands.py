"""Core commands: validate, plan, run, demo. Each parses options and calls one library function."""

from __future__ import annotations

from pathlib import Path

import click

from boroughkit.cli._errors import translate_errors


@click.command()
@click.argument("config", type=click.Path(path_type=Path))
@translate_errors
def validate(config: Path) -> None:
    """Check a pipeline CONFIG file without reading any data."""
    from boroughkit import load_config
    from boroughkit.pipeline.plan import config_headline

    click.echo(f"{config}: valid ({config_headline(load_config(config))})")


@click.command()
@click.argument("config", type=click.Path(path_type=Path))
@translate_errors
def plan(config: Path) -> None:
    """Show what a release of CONFIG will do, cost and how accurate it will be; spends nothing."""
    from boroughkit import build_plan, describe_plan, load_config, preview_accuracy

    click.echo(describe_plan(preview_accuracy(build_plan(load_config(config)))))


# The manifest names who made a release only as stated here: never the operating-system login.
_BY = click.option(
    "--by",
    default=None,
    metavar="NAME",
    help='The named person making the release, as its manifest states it (default: "not stated").',
)


@click.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--reports",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder for risk reports of refused releases (default: beside the config).",
)
@_BY
@translate_errors
def run(config: Path, reports: Path | None, by: str | None) -> None:
    """Run CONFIG end to end and stage its release in the catalogue for approval."""
    from boroughkit import build_plan, load_config, run_pipeline
    from boroughkit.release.context import RunContext

    result = run_pipeline(build_plan(load_config(config)), RunContext(by=by), reports_dir=reports)
    click.echo(result.summary)


@click.command()
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "--reports",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder for the risk report (default: reports/ beside the config).",
)
@_BY
@translate_errors
def check(target: Path, reports: Path | None, by: str | None) -> None:
    """Run the disclosure gate alone on a CONFIG (nothing staged or charged) or re-check a
    built RELEASE folder (files, checksums, columns)."""
    from boroughkit.pipeline.checking import check_target

    click.echo(check_target(target, reports_dir=reports, by=by))


@click.group(invoke_without_command=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder for the demo borough's data and catalogue.",
)
@click.option(
    "--residents",
    "n_residents",
    type=int,
    default=200_000,
    show_default=True,
    help="Number of demo residents to generate.",
)
@click.pass_context
@translate_errors
def demo(context: click.Context, out: Path | None, n_residents: int) -> None:
    """Run the demo: build the demo borough and residents, run configs/, publish to OUT."""
    if context.invoked_subcommand is not None:
        return
    if out is None:
        raise click.UsageError("give --out DIR for the demo's files")
    from boroughkit.pipeline.demo import run_demo

    result = run_demo(out, n_residents=n_residents, echo=click.echo)
    click.echo(result.describe())


@demo.command("residents")
@click.option(
    "--geography",
    "geography",
    default="builtin:demo",
    show_default=True,
    help="A geography bundle folder, or builtin:demo.",
)
@click.option("--n", "n", type=int, required=True, help="Number of residents.")
@click.option(
    "--out", type=click.Path(path_type=Path), required=True, help="Output file (.parquet or .csv)."
)
@click.option("--seed", type=int, default=None, help="Seed for reproducible demo data.")
@translate_errors
def demo_residents(geography: str, n: int, out: Path, seed: int | None) -> None:
    """Write synthetic demo resident records for a geography bundle (not real people)."""
    from boroughkit.pipeline.demo import write_demo_residents

    path, persons, rows = write_demo_residents(geography, n, out, seed=seed)
    click.echo(f"Wrote {rows} synthetic record(s) for {persons} demo resident(s) to {path}")


def register(group: click.Group) -> None:
    """Attach every command to the root group."""
    for command in (validate, plan, run, check, demo):
        group.add_command(command)
    from boroughkit.cli.geography import geography
    from boroughkit.cli.ledger import ledger

    group.add_command(geography)
    group.add_command(ledger)
    from boroughkit.cli import publishing

    publishing.register(group)
