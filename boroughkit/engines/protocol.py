"""The aggregation-engine seam: what an engine is asked to compute before any noise is drawn.

An engine reduces resident records to the exact, bounded OA × category cell counts of one
table (:class:`CellRequest` → :class:`~boroughkit.anonymise.aggregate_result.OACellAggregate`)
and reads the distinct values of identifying columns for the leak scan. Everything after
(OpenDP noise, consistency, the gate, publication) runs in boroughkit on the small result, so
every engine must return the same aggregate for the same rows and salt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from boroughkit.anonymise.aggregate_result import OACellAggregate
from boroughkit.anonymise.keystore import RecordKeys


@dataclass(frozen=True)
class ValueSums:
    """Sum ``column`` instead of counting persons: each person keeps at most ``max_rows`` rows
    (of their kept cells), each value clipped to ``bounds`` and rounded half to even."""

    column: str
    bounds: tuple[int, int]
    max_rows: int


@dataclass(frozen=True)
class CellRequest:
    """One table's aggregation: columns, declared values, the bound and the geography.

    ``categories`` pairs each count-by column with its declared values; rows whose
    ``opt_out_column`` (default ``person``) is in ``opt_outs`` are left out first (``opt_outs``
    None: no register); OA codes are trimmed and upper-cased, must match ``oa_code_pattern``
    (anchored at the start) and be one of ``oa_codes``; the category columns and ``required``
    columns must hold a value (rows where one is empty are left out, and are an error unless
    the column is in ``drop_empty``); ``numbers`` columns must hold finite numbers (the same
    rule). ``salt`` (None: drawn fresh) picks the cells a person keeps beyond ``max_cells``; it
    is fixed only to compare engines.

    Three kinds: persons per cell (the default); ``sums`` of a value column (rows per cell are
    counted too); or, with ``record_keys``, every distinct cell of every person (no bound: the
    cell-key method protects by perturbation) with the sum of the persons' record keys.
    """

    person: str
    oa_column: str
    categories: Sequence[tuple[str, Sequence[str]]]
    max_cells: int
    oa_codes: Sequence[str]
    oa_code_pattern: str
    opt_outs: Sequence[str] | None = None
    opt_out_column: str | None = None
    required: Sequence[str] = ()
    drop_empty: frozenset[str] = field(default_factory=frozenset)
    salt: int | None = None
    numbers: Sequence[str] = ()
    sums: ValueSums | None = None
    record_keys: RecordKeys | None = None

    @property
    def plain_counts(self) -> bool:
        """True for persons per cell with no number column to check."""
        return self.sums is None and self.record_keys is None and not self.numbers

    @property
    def opt_out_key(self) -> str | None:
        """The records' column matched against the opt-out register, if there is one."""
        return (self.opt_out_column or self.person) if self.opt_outs is not None else None

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns that must hold a value, the ``required`` ones first (the order errors use)."""
        return tuple(dict.fromkeys([*self.required, *(column for column, _ in self.categories)]))

    @property
    def number_columns(self) -> tuple[str, ...]:
        """Columns that must hold finite numbers: ``numbers`` and the summed column."""
        value = [self.sums.column] if self.sums is not None else []
        return tuple(dict.fromkeys([*self.numbers, *value]))

    @property
    def read_columns(self) -> tuple[str, ...]:
        """Every column the aggregation reads."""
        optional = [self.opt_out_key] if self.opt_out_key is not None else []
        wanted = [self.person, self.oa_column, *self.required_columns, *self.number_columns]
        return tuple(dict.fromkeys([*wanted, *optional]))


class AggregationEngine(Protocol):
    """Where records are reduced before noise: DuckDB, PostgreSQL or Spark."""

    #: The engine's name as the manifest and messages give it.
    name: str

    def aggregate_cells(self, request: CellRequest) -> OACellAggregate:
        """The bounded OA × cell counts of one table and what happened to the input rows."""
        ...

    def distinct_values(
        self, columns: Sequence[str], opt_out_key: str | None, opt_outs: Sequence[str] | None
    ) -> dict[str, Iterable[Any]]:
        """Per column, the distinct non-empty values of rows not opted out (leak-scan secrets),
        possibly streamed: each iterable is read once."""
        ...
