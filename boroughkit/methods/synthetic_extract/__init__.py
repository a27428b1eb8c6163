"""The ``synthetic-extract`` release method."""

from boroughkit.methods.synthetic_extract.method import SyntheticExtract

__all__ = ["SyntheticExtract"]
