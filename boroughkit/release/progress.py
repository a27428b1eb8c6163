"""Progress of a long command, as the library reports it: one call per step as it begins.

The library stays free of terminal code: a step calls ``report(progress, "protect tables")``
and whoever runs it decides what to show (the command line draws a spinner on stderr when it
runs in a terminal; tests record the calls; by default nothing happens).
"""

from __future__ import annotations

from collections.abc import Callable

#: Called with a step's label when the step begins; the previous step has then ended.
ProgressCallback = Callable[[str], None]


def report(progress: ProgressCallback | None, step: str) -> None:
    """Tell ``progress`` (if any) that ``step`` begins."""
    if progress is not None:
        progress(step)


def prefixed(progress: ProgressCallback | None, prefix: str) -> ProgressCallback | None:
    """``progress`` with every label prefixed (``demo-tables: protect tables``)."""
    if progress is None:
        return None
    target = progress

    def reporter(step: str) -> None:
        target(f"{prefix}: {step}")

    return reporter
