"""The progress display of long commands: a spinner on stderr, one line per finished step.

The library only calls a ``progress(step)`` callback as each step begins
(:mod:`boroughkit.release.progress`); this module turns those calls into a ``rich`` display.
It is shown only when stderr is a terminal and ``--quiet`` was not given, and it writes to
stderr alone, so stdout stays what the command prints (a summary, JSON) and can be parsed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text


class TerminalProgress:
    """Each step as a spinner with its running time; a finished step stays as a ``✓`` line.

    Call it with a step's label as the step begins (the previous step then ends); use it as a
    context manager around the command so the last step is closed (``✗`` if the command
    failed) and the terminal left tidy.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self._display = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._current: tuple[TaskID, str, float] | None = None

    def __call__(self, step: str) -> None:
        self._finish("✓")
        self._current = (self._display.add_task(step, total=None), step, time.monotonic())

    def echo(self, message: str) -> None:
        """Print a line of the command's own output (stdout) without tearing the display."""
        live = self._display.live.is_started
        if live:
            self._display.stop()
        click.echo(message)
        if live:
            self._display.start()

    def _finish(self, mark: str) -> None:
        if self._current is None:
            return
        task, step, started = self._current
        self._current = None
        self._display.remove_task(task)
        line = Text(f"{mark} {step} ")
        line.append(f"({time.monotonic() - started:.1f}s)", style="dim")
        self._display.console.print(line)

    def __enter__(self) -> TerminalProgress:
        self._display.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._finish("✗" if error is not None else "✓")
        self._display.stop()


def shows_progress(console: Console | None = None) -> bool:
    """Whether a progress display belongs on ``console`` (default: stderr)."""
    if console is not None:
        return console.is_terminal
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


@contextmanager
def progress_display(context: click.Context) -> Iterator[TerminalProgress | None]:
    """The display for this command, or ``None`` when it is quiet (``--quiet``, or stderr is
    not a terminal). A test may put a ``rich`` console in the root's ``obj["console"]``."""
    settings = context.find_root().obj or {}
    console: Console | None = settings.get("console")
    if settings.get("quiet") or not shows_progress(console):
        yield None
        return
    with TerminalProgress(console or Console(stderr=True)) as display:
        yield display
