"""Core commands: validate, plan, run, demo. Each parses options and calls one library function."""

from __future__ import annotations

from pathlib import Path

import click

from boroughkit.cli._errors import translate_errors
from boroughkit.cli._progress import progress_display


@click.command()
@click.argument("config", type=click.Path(path_type=Path))
@translate_errors
def validate(config: Path) -> None:
    """Check a pipeline CONFIG file without reading any data.

    \b
    Example:
      boroughkit validate configs/demo-tenure.yaml
    """
    from boroughkit import load_config
    from boroughkit.pipeline.plan import config_headline

    click.echo(f"{config}: valid ({config_headline(load_config(config))})")


@click.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--html",
    "html_page",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="OUT.html",
    help="Also write the plan as a self-contained page, with a chart of the expected margin "
    "of error per level.",
)
@translate_errors
def plan(config: Path, html_page: Path | None) -> None:
    """Show what a release of CONFIG will do, cost and how accurate it will be; spends nothing.

    The steps it lists end in "stage for approval": a release is published only by
    `boroughkit approve` and `boroughkit publish`.

    \b
    Example:
      boroughkit plan configs/demo-tenure.yaml
    """
    from boroughkit import build_plan, describe_plan, load_config, preview_accuracy

    previewed = preview_accuracy(build_plan(load_config(config)))
    click.echo(describe_plan(previewed))
    if html_page is not None:
        from boroughkit.pipeline.plan_html import write_plan_page

        click.echo(f"plan page: {write_plan_page(previewed, html_page)}")


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
@click.pass_context
@translate_errors
def run(context: click.Context, config: Path, reports: Path | None, by: str | None) -> None:
    """Build, gate and stage the release of CONFIG for approval; it does not publish.

    Loads and geocodes the records, protects the tables (or synthesises the extract), runs the
    disclosure gate, charges the privacy budget and stages the release in the catalogue's
    staging/ folder. It prints the commands that approve and publish it.

    \b
    Example (demo records and the dataset's budget first, once):
      boroughkit demo residents --n 50000 --out demo-output/residents.parquet
      boroughkit ledger init --catalogue demo-output/catalogue --dataset demo-residents \\
          --rho 4 --by "Asha Patel" --reason "DPIA-2026-04"
      boroughkit run configs/demo-tenure.yaml --by "Sam Analyst"
    """
    from boroughkit import build_plan, load_config, run_pipeline
    from boroughkit.release.context import RunContext

    plan = build_plan(load_config(config))
    with progress_display(context) as progress:
        result = run_pipeline(plan, RunContext(by=by, progress=progress), reports_dir=reports)
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
@click.pass_context
@translate_errors
def check(context: click.Context, target: Path, reports: Path | None, by: str | None) -> None:
    """Run the disclosure gate alone on a CONFIG (nothing staged or charged) or re-check a
    built RELEASE folder (files, checksums, columns).

    \b
    Example:
      boroughkit check configs/demo-tenure.yaml --by "Sam Analyst"
      boroughkit check demo-output/catalogue/staging/demo-tenure-20260401T090000Z-1a2b
    """
    from boroughkit.pipeline.checking import check_target

    with progress_display(context) as progress:
        text = check_target(target, reports_dir=reports, by=by, progress=progress)
    click.echo(text)


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
    """Run the demo: make demo residents, build every configs/demo-*.yaml release, then
    approve and publish each one (as "boroughkit demo (synthetic data)") into OUT/catalogue.

    \b
    Example (from a checkout of the repository):
      boroughkit demo --out demo-output --residents 50000
      boroughkit serve demo-output/catalogue
    """
    if context.invoked_subcommand is not None:
        return
    if out is None:
        raise click.UsageError("give --out DIR for the demo's files")
    from boroughkit.pipeline.demo import run_demo

    with progress_display(context) as progress:
        echo = progress.echo if progress is not None else click.echo
        result = run_demo(out, n_residents=n_residents, echo=echo, progress=progress)
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
@click.pass_context
@translate_errors
def demo_residents(
    context: click.Context, geography: str, n: int, out: Path, seed: int | None
) -> None:
    """Write synthetic demo resident records for a geography bundle (not real people).

    \b
    Example:
      boroughkit demo residents --n 50000 --out demo-output/residents.parquet --seed 1
    """
    from boroughkit.pipeline.demo import write_demo_residents

    with progress_display(context) as progress:
        path, persons, rows = write_demo_residents(geography, n, out, seed=seed, progress=progress)
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
