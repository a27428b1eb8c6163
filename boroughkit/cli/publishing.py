"""Publishing commands: approve, publish, retract, serve, export-site. One library call each."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from boroughkit.cli._errors import translate_errors

_CATALOGUE_HELP = "The catalogue folder (publish.to of the config)."
F = TypeVar("F", bound=Callable[..., Any])


def _catalogue_option(command: F) -> F:
    return click.option(
        "--catalogue",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("catalogue"),
        show_default=True,
        help=_CATALOGUE_HELP,
    )(command)


def _ledger_option(command: F) -> F:
    return click.option(
        "--ledger",
        "ledger_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="The privacy ledger (default: CATALOGUE.privacy-ledger.sqlite beside the catalogue).",
    )(command)


@click.command()
@click.argument("release")
@click.option("--by", required=True, help="Name of the person approving the release.")
@click.option("--note", default=None, help="Why, or what was checked (kept with the approval).")
@click.option(
    "--accept",
    "accept",
    multiple=True,
    metavar="FINDING",
    help="Accept an inconclusive finding of the risk report by its id (repeat for each); "
    "required for every one listed, refused for any other.",
)
@_catalogue_option
@_ledger_option
@translate_errors
def approve(
    release: str,
    by: str,
    note: str | None,
    accept: tuple[str, ...],
    catalogue: Path,
    ledger_path: Path | None,
) -> None:
    """Sign off a staged RELEASE after reading its risk report (staging/RELEASE/risk-report.md);
    it is published only by `boroughkit publish`.

    A release that spends privacy budget is approved only once the ledger holds its charge.
    A synthetic extract whose risk report lists inconclusive findings (evidence that neither
    shows nor rules out a risk) is approved only when every finding is accepted by its id.

    \b
    Example (the release id `boroughkit run` printed):
      boroughkit approve demo-tenure-20260401T090000Z-1a2b --by "Asha Patel" \\
          --note "checked with the DPO" --catalogue demo-output/catalogue
      boroughkit approve demo-extract-dp-20260401T090000Z-3c4d --by "Asha Patel" \\
          --accept attack-linkage --catalogue demo-output/catalogue
    """
    from boroughkit.pipeline.approving import approve as approve_charged

    record = approve_charged(
        catalogue, release, by=by, note=note, accept=accept, ledger_path=ledger_path
    )
    where = f"--catalogue {shlex.quote(str(catalogue))}"
    if ledger_path is not None:
        where += f" --ledger {shlex.quote(str(ledger_path))}"
    accepted = (
        f" Accepted findings: {', '.join(record.accepted_findings)}."
        if record.accepted_findings
        else ""
    )
    click.echo(
        f"{release}: approved by {record.approved_by} at {record.approved_at}.{accepted} "
        f"Publish it with:\n  boroughkit publish {shlex.quote(release)} {where}"
    )


@click.command()
@click.argument("release")
@_catalogue_option
@click.option(
    "--to",
    "target",
    default=None,
    help="Also copy to TARGET: an fsspec URL (s3://…, file://…) or ckan+https://host.",
)
@_ledger_option
@translate_errors
def publish(release: str, catalogue: Path, target: str | None, ledger_path: Path | None) -> None:
    """Publish an approved RELEASE: move it from staging/ into the public catalogue as a new
    version, and update the registers (a release that spends privacy budget only once the
    ledger holds its charge).

    \b
    Example:
      boroughkit publish demo-tenure-20260401T090000Z-1a2b --catalogue demo-output/catalogue
    """
    from boroughkit.pipeline.approving import publish as publish_charged

    click.echo(publish_charged(catalogue, release, to=target, ledger_path=ledger_path).describe())


@click.command()
@click.argument("release")
@click.option("--reason", required=True, help="Why the release is withdrawn (public).")
@_catalogue_option
@click.option("--to", "target", default=None, help="Also withdraw it at TARGET (as for publish).")
@translate_errors
def retract(release: str, reason: str, catalogue: Path, target: str | None) -> None:
    """Withdraw a published RELEASE: files kept under retracted/, registers updated.

    \b
    Example:
      boroughkit retract demo-tenure-20260401T090000Z-1a2b --reason "Ward totals were wrong" \\
          --catalogue demo-output/catalogue
    """
    from boroughkit.publish import retract_release

    click.echo(retract_release(catalogue, release, reason=reason, to=target).describe())


@click.command()
@click.argument("catalogue", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@translate_errors
def serve(catalogue: Path, port: int, host: str) -> None:
    """Serve the Borough Data Explorer for CATALOGUE (published releases only).

    \b
    Example:
      boroughkit serve demo-output/catalogue --port 8000
    """
    from boroughkit.publish.explorer import serve_catalogue

    serve_catalogue(catalogue, host=host, port=port, echo=click.echo)


@click.command("export-site")
@click.argument("catalogue", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the static site into (must be empty or new).",
)
@translate_errors
def export_site(catalogue: Path, out: Path) -> None:
    """Write the explorer and the public catalogue as static files for any web host.

    \b
    Example:
      boroughkit export-site demo-output/catalogue --out site
    """
    from boroughkit.publish.explorer import export_site as export

    count = export(catalogue, out)
    click.echo(
        f"Wrote the Borough Data Explorer ({count} files) to {out}; open index.html "
        "through a web server."
    )


def register(group: click.Group) -> None:
    """Attach the publishing commands to the root group."""
    for command in (approve, publish, retract, serve, export_site):
        group.add_command(command)
