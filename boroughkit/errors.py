"""One exception hierarchy for boroughkit; each class carries the process exit code.

The CLI translates any :class:`BoroughkitError` into a message and this exit code in one place,
so library callers (notebooks, tests) see ordinary exceptions with the same text.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class BoroughkitError(Exception):
    """Base class of every error boroughkit raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        """The message and, when known, how to fix it."""
        return self.message if not self.fix else f"{self.message}\n  fix: {self.fix}"


class DataError(BoroughkitError):
    """Input data is missing, unreadable or inconsistent (names the file, column, rows)."""

    exit_code = 1


class ConfigError(BoroughkitError):
    """The YAML config or a command option is invalid (names file, line, key, what is allowed)."""

    exit_code = 2


class GeographyError(DataError):
    """A geography file or bundle is unusable (names the file, feature or CRS to set)."""


class BudgetError(BoroughkitError):
    """The privacy budget would be overspent, or the ledger is inconsistent."""

    exit_code = 4


class DisclosureError(BoroughkitError):
    """The disclosure gate failed: nothing was published and no budget was charged."""

    exit_code = 3

    def __init__(self, message: str, *, fix: str | None = None, report_path: str | None = None):
        self.report_path = report_path
        super().__init__(message, fix=fix)


class PublishError(BoroughkitError):
    """The catalogue could not be written; it was left as it was."""

    exit_code = 5


def check_columns_present(source: object, available: list[str], wanted: Iterable[str]) -> None:
    """Raise a DataError naming ``source``, the columns present and a close match when a wanted
    column is missing."""
    for column in wanted:
        if column not in available:
            close = difflib.get_close_matches(column, available, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise DataError(
                f"{source}: column '{column}' not found; columns present: {', '.join(available)}",
                fix=f"{hint}rename the column or change the config to name an existing one",
            )
