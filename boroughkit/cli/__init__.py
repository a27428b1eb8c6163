"""The ``boroughkit`` command line: thin commands, each one library call.

Every command parses its options, calls one public function and lets
:func:`translate_errors` turn a library error into a message and an exit code.
"""

from __future__ import annotations

import click

from boroughkit.version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", is_flag=True, help="Show tracebacks for errors.")
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Show no progress display (shown on stderr, and only when it is a terminal).",
)
@click.version_option(__version__, prog_name="boroughkit")
@click.pass_context
def main(context: click.Context, verbose: bool, quiet: bool) -> None:
    """Publish open data about a borough's residents without exposing any resident.

    Every command's --help ends with an example that runs as written from a checkout of the
    repository (the demo's files in demo-output/). Progress of long steps is shown on stderr
    when it is a terminal (not with --quiet).

    \b
    Example:
      boroughkit demo --out demo-output          # demo residents, every example release
      boroughkit serve demo-output/catalogue     # the Borough Data Explorer
    """
    context.ensure_object(dict)
    context.obj.update(verbose=verbose, quiet=quiet)


def _register() -> None:
    # Imported here so that each command module stays independent and small.
    from boroughkit.cli import commands

    commands.register(main)


_register()
