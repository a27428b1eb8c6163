"""Pipeline steps between load and publish: geocode records and check their consistency."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from boroughkit.config import LoadedConfig
from boroughkit.errors import DataError
from boroughkit.geography.bundle import GeographyBundle


@dataclass(frozen=True)
class GeocodedRecords:
    """Records with an ``oa_code`` column (matched rows only) and the unmatched counts."""

    frame: pd.DataFrame
    unmatched: dict[str, int]
    description: str


def geocode_records(
    frame: pd.DataFrame, bundle: GeographyBundle, loaded: LoadedConfig, source: Path
) -> GeocodedRecords:
    """Attach each record's OA; count unmatched rows per reason; refuse too many unmatched."""
    from boroughkit.geography import geocode
    from boroughkit.release.load import read_table

    settings = loaded.config.geography.geocode
    lookup = None
    if settings.postcode_lookup is not None:
        lookup = read_table(
            loaded.resolve(settings.postcode_lookup), setting="geography.geocode.postcode_lookup"
        )
    result = geocode(
        frame,
        bundle,
        oa_column=settings.oa,
        postcode_column=settings.postcode,
        postcode_lookup=lookup,
        x_column=settings.x,
        y_column=settings.y,
        crs=settings.crs,
    )
    unmatched = {reason: int(n) for reason, n in result.unmatched.items() if n}
    share = sum(unmatched.values()) / max(len(frame), 1)
    if share > settings.max_unmatched_share:
        details = "; ".join(
            f"{reason}: {count} row(s), e.g. rows {result.examples.get(reason, [])[:5]}"
            for reason, count in unmatched.items()
        )
        raise DataError(
            f"{source}: {share:.1%} of records could not be placed in an Output Area ({details})",
            fix="correct the area column (codes like those of the geography bundle), or raise "
            "geography.geocode.max_unmatched_share if these records may be left out",
        )
    matched = frame.assign(oa_code=result.oa_code)
    matched = matched[matched["oa_code"].notna()].reset_index(drop=True)
    return GeocodedRecords(matched, unmatched, result.describe())


def check_one_area_per_person(frame: pd.DataFrame, person: str, source: Path) -> None:
    """A person lives in one OA; several would break the contribution bound."""
    areas_per_person = frame.groupby(person, sort=False)["oa_code"].nunique()
    movers = areas_per_person[areas_per_person > 1]
    if len(movers):
        rows = frame.index[frame[person].isin(movers.index[:3])].tolist()[:6]
        raise DataError(
            f"{source}: {len(movers)} person id(s) in column '{person}' appear in more than "
            f"one Output Area (e.g. rows {rows}, 0-based after opt-outs)",
            fix="keep each person's current address only (one OA per person) before the run",
        )
