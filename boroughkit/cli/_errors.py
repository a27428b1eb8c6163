"""Translate library errors into click errors with the right exit code, in one place."""

from __future__ import annotations

import errno
import functools
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import click

from boroughkit.errors import BoroughkitError, DataError, PublishError

F = TypeVar("F", bound=Callable[..., Any])


class CommandFailed(click.ClickException):
    """A click exception that keeps the library error's exit code."""

    def __init__(self, error: BoroughkitError) -> None:
        super().__init__(error.render())
        self.exit_code = error.exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def system_failure(error: MemoryError | OSError) -> BoroughkitError:
    """An operating-system failure the library did not foresee, as an error with a fix.

    Catalogue changes are journalled and releases are built in hidden work folders, so such a
    failure leaves nothing partial behind; the message says what to free or change.
    """
    if isinstance(error, MemoryError):
        return DataError(
            "ran out of memory",
            fix="close other programs, or run on fewer areas or rows (e.g. one borough at a time)",
        )
    where = f" ({error.filename})" if getattr(error, "filename", None) else ""
    if error.errno == errno.ENOSPC:
        return PublishError(
            f"the disk is full{where}: nothing was published",
            fix="free disk space, then run the command again",
        )
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return PublishError(
            f"permission denied{where}: nothing was published",
            fix="run as a user who may write there, or choose another folder",
        )
    return DataError(
        f"the operating system refused: {error.strerror or error}{where}",
        fix="check the files and folders the command uses, then run it again",
    )


def translate_errors(command: F) -> F:
    """Wrap a command so a :class:`BoroughkitError` becomes a clean message and exit code.

    With ``--verbose`` on the root group the traceback is printed as well.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                return command(*args, **kwargs)
            except (MemoryError, OSError) as error:
                # The library turns the failures it expects into BoroughkitErrors; any other
                # the operating system raises still gets a message and an exit code.
                raise system_failure(error) from error
        except BoroughkitError as error:
            context = click.get_current_context(silent=True)
            verbose = bool(
                context and context.find_root().obj and context.find_root().obj.get("verbose")
            )
            if verbose:
                traceback.print_exc(file=sys.stderr)
            raise CommandFailed(error) from error

    return wrapper  # type: ignore[return-value]
