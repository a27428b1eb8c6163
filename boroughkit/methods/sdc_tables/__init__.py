"""The ``sdc-tables`` release method."""

from boroughkit.methods.sdc_tables.method import SDCTables

__all__ = ["SDCTables"]
