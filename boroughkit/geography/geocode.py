"""Geocoding records to 2021 Output Areas: by OA code, by postcode or by coordinates.

Every row is either matched to an OA of the bundle or counted under a reason; nothing is
dropped silently. The matching itself lives in :mod:`boroughkit.geography.matching`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from boroughkit.errors import ConfigError, DataError
from boroughkit.geography import matching
from boroughkit.geography.bundle import GeographyBundle
from boroughkit.geography.levels import check_level

#: Every reason a row can fail to match, in the order they are reported.
UNMATCHED_REASONS = (
    "missing_value",
    "malformed_oa_code",
    "unknown_oa_code",
    "malformed_postcode",
    "unknown_postcode",
    "outside_borough",
    "invalid_coordinates",
)
EXAMPLES_PER_REASON = 5


@dataclass(frozen=True)
class GeocodeResult:
    """The OA of each row (``<NA>`` when unmatched) and why unmatched rows failed.

    ``unmatched`` maps a reason to its row count (reasons with no rows are left out);
    ``examples`` gives the first few 0-based row positions for each reason.
    """

    oa_code: pd.Series
    unmatched: dict[str, int]
    examples: dict[str, list[int]]
    matched: int
    total: int
    method: str
    warnings: tuple[str, ...] = field(default=())

    @property
    def unmatched_total(self) -> int:
        """Number of rows with no OA."""
        return self.total - self.matched

    def at_level(self, bundle: GeographyBundle, level: str) -> pd.Series:
        """Each row's area code at ``level`` (``<NA>`` when unmatched), aligned to the frame."""
        mapping = bundle.oa_to_level(check_level(level))
        return self.oa_code.map(mapping).astype("string")

    def describe(self) -> str:
        """A short text account: how many matched, and each unmatched reason with examples."""
        share = 100.0 * self.matched / self.total if self.total else 100.0
        lines = [f"geocoded {self.matched} of {self.total} rows by {self.method} ({share:.1f}%)"]
        for reason, count in self.unmatched.items():
            rows = ", ".join(map(str, self.examples.get(reason, [])))
            lines.append(f"  unmatched {reason}: {count} rows (e.g. rows {rows}, 0-based)")
        lines.extend(f"  warning: {warning}" for warning in self.warnings)
        return "\n".join(lines)


def _column(frame: pd.DataFrame, column: str, option: str) -> pd.Series:
    if column not in frame.columns:
        raise DataError(
            f"the data has no column {column!r} to geocode by "
            f"(its columns are: {', '.join(map(str, frame.columns))})",
            fix=f"set {option} to one of those columns",
        )
    return frame[column]


def _choose_method(
    oa_column: str | None,
    postcode_column: str | None,
    x_column: str | None,
    y_column: str | None,
    postcode_lookup: pd.DataFrame | None,
) -> str:
    if (x_column is None) != (y_column is None):
        raise ConfigError(
            "geocoding by coordinates needs both an x and a y column",
            fix="give x_column (easting/longitude) and y_column (northing/latitude)",
        )
    chosen = [
        method
        for method, column in (("oa", oa_column), ("postcode", postcode_column), ("xy", x_column))
        if column is not None
    ]
    if len(chosen) != 1:
        raise ConfigError(
            f"geocoding needs exactly one method, got {len(chosen)}"
            + (f" ({', '.join(chosen)})" if chosen else ""),
            fix="give one of: an OA code column, a postcode column, or x and y columns",
        )
    if postcode_lookup is not None and chosen[0] != "postcode":
        raise ConfigError(
            "a postcode lookup was given but geocoding is not by postcode",
            fix="give the postcode column too, or drop the postcode lookup",
        )
    return chosen[0]


def geocode(
    frame: pd.DataFrame,
    bundle: GeographyBundle,
    *,
    oa_column: str | None = None,
    postcode_column: str | None = None,
    postcode_lookup: pd.DataFrame | None = None,
    x_column: str | None = None,
    y_column: str | None = None,
    crs: str = "EPSG:27700",
) -> GeocodeResult:
    """Find the 2021 OA of every row of ``frame`` by exactly one method.

    - ``oa_column``: OA codes (trimmed and upper-cased), checked against
      ``bundle.info.oa_code_pattern`` and the lookup;
    - ``postcode_column``: postcodes (normalised to upper case with one space) looked up in
      ``postcode_lookup`` (``postcode, oa_code``; ONS NSPL names ``pcds, oa21cd`` also work)
      or in ``bundle.postcodes``;
    - ``x_column``/``y_column``: coordinates in ``crs`` (British National Grid by default, or
      ``EPSG:4326`` longitude/latitude), matched point-in-polygon against the OA polygons.
    """
    method = _choose_method(oa_column, postcode_column, x_column, y_column, postcode_lookup)
    warnings: list[str] = []
    if method == "oa":
        assert oa_column is not None
        outcome = matching.match_oa_codes(_column(frame, oa_column, "the OA column"), bundle)
        label = f"OA code column {oa_column!r}"
    elif method == "postcode":
        assert postcode_column is not None
        values = _column(frame, postcode_column, "the postcode column")
        outcome = matching.match_postcodes(values, bundle, postcode_lookup)
        label = f"postcode column {postcode_column!r}"
    else:
        assert x_column is not None and y_column is not None
        x = _column(frame, x_column, "the x column")
        y = _column(frame, y_column, "the y column")
        outcome = matching.match_points(x, y, bundle, crs, warnings)
        label = f"coordinates {x_column!r}/{y_column!r} ({crs})"
    return _result(frame, outcome, label, warnings)


def _result(
    frame: pd.DataFrame, outcome: matching.Outcome, label: str, warnings: list[str]
) -> GeocodeResult:
    reasons = pd.Series(outcome.reasons)
    unmatched: dict[str, int] = {}
    examples: dict[str, list[int]] = {}
    for reason in UNMATCHED_REASONS:
        positions = np.flatnonzero((reasons == reason).to_numpy())
        if len(positions):
            unmatched[reason] = len(positions)
            examples[reason] = positions[:EXAMPLES_PER_REASON].tolist()
    codes = pd.Series(outcome.codes, index=frame.index, dtype="string", name="oa_code")
    return GeocodeResult(
        oa_code=codes,
        unmatched=unmatched,
        examples=examples,
        matched=int(codes.notna().sum()),
        total=len(frame),
        method=label,
        warnings=tuple(warnings),
    )
