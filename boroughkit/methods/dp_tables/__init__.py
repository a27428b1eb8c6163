"""The ``dp-tables`` release method."""

from boroughkit.methods.dp_tables.method import DPTables

__all__ = ["DPTables"]
