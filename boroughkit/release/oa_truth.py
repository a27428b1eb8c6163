"""The exact facts the differencing checks need: persons per OA and persons per OA × cell.

They come from records in memory (:class:`RecordsTruth`) or from the tallies an aggregation
engine computed where the records are (the sdc-tables method builds its own). They are private:
only the gate's verdict on them is reported.
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd

from boroughkit.anonymise.released import ReleasedTable


class OATruth(Protocol):
    """Exact persons per OA, and per table persons per OA × cell."""

    def population(self) -> pd.Series:
        """Distinct persons per OA code (OAs without any may be absent)."""
        ...

    def oa_counts(self, table: ReleasedTable) -> pd.DataFrame:
        """Distinct persons by OA code (index) × cell label (columns, ``"all"`` for a table
        without categories); OAs and cells without persons may be absent."""
        ...


class RecordsTruth:
    """The facts of geocoded records in memory."""

    def __init__(self, records: pd.DataFrame, person: str) -> None:
        self.records, self.person = records, person

    def population(self) -> pd.Series:
        """Distinct persons per OA code."""
        people = self.records.drop_duplicates(self.person)
        return people["oa_code"].astype(str).value_counts()

    def oa_counts(self, table: ReleasedTable) -> pd.DataFrame:
        """Distinct persons by OA × the table's cells."""
        columns = list(table.category_columns)
        cells = self.records[[self.person, "oa_code", *columns]].astype(str).drop_duplicates()
        if not columns:
            return cells.groupby("oa_code").size().to_frame("all")
        labels = cells[columns].agg(" / ".join, axis=1)
        return cells.assign(_cell=labels).groupby(["oa_code", "_cell"]).size().unstack(fill_value=0)
