"""The ``boroughkit`` command line: thin commands, each one library call.

Every command parses its options, calls one public function and lets
:func:`translate_errors` turn a library error into a message and an exit code.
"""

from __future__ import annotations

import click

from boroughkit.version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(__version__, prog_name="boroughkit")
@click.pass_context
def main(context: click.Context, verbose: bool) -> None:
    """Publish open data about a borough's residents without exposing any resident."""
    context.obj = {"verbose": verbose}


def _register() -> None:
    # Imported here so that each command module stays independent and small.
    from boroughkit.cli import commands

    commands.register(main)


_register()
