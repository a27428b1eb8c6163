"""One exception hierarchy for boroughkit; each class carries the process exit code.

The CLI translates any :class:`BoroughkitError` into a message and this exit code in one place,
so library callers (notebooks, tests) see ordinary exceptions with the same text.
"""

from __future__ import annotations


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
