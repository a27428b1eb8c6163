"""Translate library errors into click errors with the right exit code, in one place."""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import click

from boroughkit.errors import BoroughkitError

F = TypeVar("F", bound=Callable[..., Any])


class CommandFailed(click.ClickException):
    """A click exception that keeps the library error's exit code."""

    def __init__(self, error: BoroughkitError) -> None:
        super().__init__(error.render())
        self.exit_code = error.exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def translate_errors(command: F) -> F:
    """Wrap a command so a :class:`BoroughkitError` becomes a clean message and exit code.

    With ``--verbose`` on the root group the traceback is printed as well.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BoroughkitError as error:
            context = click.get_current_context(silent=True)
            verbose = bool(
                context and context.find_root().obj and context.find_root().obj.get("verbose")
            )
            if verbose:
                traceback.print_exc(file=sys.stderr)
            raise CommandFailed(error) from error

    return wrapper  # type: ignore[return-value]
