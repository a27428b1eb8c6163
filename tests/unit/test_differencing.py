"""Geographic and cross-release differencing on the real Barking and Dagenham geography."""

from __future__ import annotations

from typing import cast

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from boroughkit.disclosure.differencing import (
    Publication,
    ReleaseSnapshot,
    areas_from_lookup,
    check_cross_release,
    check_geographic_differencing,
    custom_areas_from_lists,
    custom_areas_from_polygons,
    names_from_lookup,
    oa_counts_from_records,
)
from boroughkit.disclosure.release_differencing import Protection
from boroughkit.errors import ConfigError, DataError, GeographyError
from boroughkit.geography.bundle import BundleInfo, GeographyBundle
from tests.helpers.shared_data import GEO

LEVELS = ("oa", "lsoa", "msoa", "ward", "borough")


@pytest.fixture(scope="module")
def bundle() -> GeographyBundle:
    raw = pd.read_csv(GEO / "lookup_oa21_lsoa21_msoa21_wd22_lad22_lbbd.csv")
    lookup = pd.DataFrame(
        {
            "oa_code": raw["oa21cd"],
            "lsoa_code": raw["lsoa21cd"],
            "lsoa_name": raw["lsoa21nm"],
            "msoa_code": raw["msoa21cd"],
            "msoa_name": raw["msoa21nm"],
            "ward_code": raw["wd22cd"],
            "ward_name": raw["wd22nm"],
            "borough_code": raw["lad22cd"],
            "borough_name": raw["lad22nm"],
            "population": raw["usual_residents"],
        }
    )
    points = gpd.read_file(GEO / "oa21_pwc_points_lbbd.geojson")
    centroids = points.rename(columns={"OA21CD": "oa_code"})[["oa_code", "geometry"]]
    info = BundleInfo("Barking and Dagenham", "ONS", (), "none", r"^E00\d{6}$", ("ONS",), False)
    return GeographyBundle(lookup=lookup, boundaries={}, info=info, centroids=centroids)


@pytest.fixture(scope="module")
def census_counts() -> pd.DataFrame:
    counts = pd.read_csv(GEO / "census2021_oa_counts_lbbd.csv").set_index("oa21cd")
    return counts[[c for c in counts.columns if c.startswith("ts") and "Total" not in c]]


def _population(bundle: GeographyBundle) -> pd.Series:
    return bundle.lookup.set_index("oa_code")["population"].astype(int)


def _ward_oas(bundle: GeographyBundle, name: str) -> list[str]:
    lookup = bundle.lookup
    return sorted(lookup.loc[lookup["ward_name"] == name, "oa_code"])


def test_ward_polygons_put_24_oa_centroids_in_another_or_no_ward(bundle: GeographyBundle) -> None:
    # The data README: point-in-polygon on these simplified wards misplaces 24 of 581 OAs.
    wards = gpd.read_file(GEO / "wards22_bsc_lbbd.geojson").rename(columns={"WD22CD": "code"})
    custom = custom_areas_from_polygons(wards, bundle)
    best_fit = bundle.oa_to_level("ward")
    misplaced = {oa for code, oas in custom.items() for oa in oas if best_fit[oa] != code}
    unplaced = set(best_fit.index) - {oa for oas in custom.values() for oa in oas}
    assert len(misplaced) + len(unplaced) == 24


def test_estate_straddling_a_ward_fails_and_names_the_sliver(bundle: GeographyBundle) -> None:
    abbey = _ward_oas(bundle, "Abbey")
    outside = sorted(set(bundle.lookup["oa_code"]) - set(abbey))[0]
    estate = custom_areas_from_lists(
        {"GE": [*abbey[:3], outside]}, known_oas=bundle.lookup["oa_code"]
    )
    areas = {**areas_from_lookup(bundle.lookup, ("ward",)), "estates": estate}
    names = {**names_from_lookup(bundle.lookup, ("ward",)), "estates": {"GE": "Gascoigne Estate"}}
    # Benefit claimants: 40 per OA, so the one OA outside Abbey is a sliver of 40 people.
    claimants = pd.Series(40, index=bundle.lookup["oa_code"])
    result = check_geographic_differencing(areas, claimants, names=names)
    assert not result.passed
    (finding,) = result.findings
    assert finding.detail == (
        "custom area 'Gascoigne Estate' minus ward 'Abbey' leaves 1 OA(s) with 40 residents "
        "(minimum 100)"
    )
    assert finding.where["oa_codes"] == [outside] and finding.where["derivable"] == "overlay"
    assert finding.rule == "differencing-min-population"


def test_sliver_inside_a_ward_is_exact_and_passes_with_enough_people(
    bundle: GeographyBundle,
) -> None:
    abbey = _ward_oas(bundle, "Abbey")
    areas = {**areas_from_lookup(bundle.lookup, ("ward",)), "estates": {"GE": frozenset(abbey[:3])}}
    result = check_geographic_differencing(areas, _population(bundle))
    assert result.passed, result.summary
    claimants = pd.Series(5, index=bundle.lookup["oa_code"])
    failing = check_geographic_differencing(areas, claimants)
    exact = [f for f in failing.findings if f.where["oa_codes"] == abbey[3:]]
    assert exact and exact[0].where["derivable"] == "exact"
    assert exact[0].where["population"] == 5 * (len(abbey) - 3)


def test_publishing_the_pieces_at_oa_level_removes_the_gain(bundle: GeographyBundle) -> None:
    abbey = _ward_oas(bundle, "Abbey")
    outside = sorted(set(bundle.lookup["oa_code"]) - set(abbey))[0]
    areas = {
        **areas_from_lookup(bundle.lookup, ("oa", "ward")),
        "estates": {"GE": frozenset([*abbey[:3], outside])},
    }
    claimants = pd.Series(40, index=bundle.lookup["oa_code"])
    without_oa = Publication("claimants", ("ward", "estates"))
    with_oa = Publication("claimants", ("oa", "ward", "estates"))
    assert not check_geographic_differencing(areas, claimants, [without_oa]).passed
    result = check_geographic_differencing(areas, claimants, [with_oa])
    assert result.passed
    assert result.metrics["no_gain"] == result.metrics["slivers"] > 0


def _brute_force_small_cells(
    bundle: GeographyBundle, counts: pd.DataFrame, min_cell: int
) -> set[tuple[frozenset[str], str]]:
    """LSOA × ward slivers with a count of 1..min_cell-1, written independently with pandas."""
    lookup = bundle.lookup
    lsoas = {str(k): frozenset(g) for k, g in lookup.groupby("lsoa_code")["oa_code"]}
    wards = {str(k): frozenset(g) for k, g in lookup.groupby("ward_code")["oa_code"]}
    published = set(lsoas.values()) | set(wards.values())

    def union_of(pieces: frozenset[str], family: dict[str, frozenset[str]]) -> bool:
        inside = [oas for oas in family.values() if oas <= pieces]
        return bool(inside) and frozenset().union(*inside) == pieces

    slivers: set[frozenset[str]] = set()
    for a in lsoas.values():
        for b in wards.values():
            if a & b and a != b:
                slivers |= {s for s in (a - b, b - a, a & b) if s}
    slivers = {
        s
        for s in slivers
        if s not in published and not union_of(s, lsoas) and not union_of(s, wards)
    }
    flagged = set()
    for sliver in slivers:
        totals = counts.reindex(sorted(sliver)).fillna(0).sum()
        flagged |= {(sliver, str(c)) for c, v in totals.items() if 1 <= v < min_cell}
    return flagged


def test_lsoa_vs_ward_small_cells_match_a_brute_force(
    bundle: GeographyBundle, census_counts: pd.DataFrame
) -> None:
    areas = areas_from_lookup(bundle.lookup, LEVELS)
    publication = Publication("census", ("lsoa", "ward"), census_counts)
    result = check_geographic_differencing(areas, _population(bundle), [publication])
    found = {
        (frozenset(f.where["oa_codes"]), f.where["category"])
        for f in result.findings
        if f.rule == "differencing-small-cell"
    }
    expected = _brute_force_small_cells(bundle, census_counts, 10)
    assert expected, "the real census counts have small communal-establishment slivers"
    assert found == expected
    assert not result.passed


def test_all_levels_of_one_table_give_no_gain_because_oas_are_published(
    bundle: GeographyBundle, census_counts: pd.DataFrame
) -> None:
    areas = areas_from_lookup(bundle.lookup, LEVELS)
    publication = Publication("census", LEVELS, census_counts)
    result = check_geographic_differencing(areas, _population(bundle), [publication])
    assert result.passed and result.metrics["slivers"] == result.metrics["no_gain"]


partitions = st.lists(st.integers(0, 3), min_size=8, max_size=8)


@settings(max_examples=60, deadline=None)
@given(
    first=partitions,
    second=partitions,
    people=st.lists(st.integers(0, 60), min_size=8, max_size=8),
)
def test_small_slivers_of_random_partitions_are_exactly_those_flagged(
    first: list[int], second: list[int], people: list[int]
) -> None:
    oas = [f"E00{i:06d}" for i in range(8)]

    def definition(labels: list[int], prefix: str) -> dict[str, frozenset[str]]:
        groups: dict[str, set[str]] = {}
        for oa, label in zip(oas, labels, strict=True):
            groups.setdefault(f"{prefix}{label}", set()).add(oa)
        return {code: frozenset(members) for code, members in groups.items()}

    def union_of(piece: frozenset[str], family: dict[str, frozenset[str]]) -> bool:
        inside = [m for m in family.values() if m <= piece]
        return bool(inside) and frozenset().union(*inside) == piece

    a, b = definition(first, "A"), definition(second, "B")
    population = pd.Series(people, index=oas)
    published = set(a.values()) | set(b.values())
    expected = set()
    for x in a.values():
        for y in b.values():
            if x & y and x != y:
                for piece in (x - y, y - x, x & y):
                    if (
                        piece
                        and piece not in published
                        and not union_of(piece, a)
                        and not union_of(piece, b)
                        and population[sorted(piece)].sum() < 100
                    ):
                        expected.add(piece)
    result = check_geographic_differencing({"a": a, "b": b}, population, min_population=100)
    assert {frozenset(f.where["oa_codes"]) for f in result.findings} == expected
    assert result.passed is (not expected)


def test_inputs_are_checked_with_fixes(bundle: GeographyBundle) -> None:
    areas = areas_from_lookup(bundle.lookup, ("ward",))
    with pytest.raises(ConfigError, match="unknown area definition"):
        check_geographic_differencing(areas, _population(bundle), [Publication("t", ("lsoa",))])
    with pytest.raises(DataError, match="population"):
        check_geographic_differencing(
            {"ward": areas["ward"], "x": {"X": frozenset(_ward_oas(bundle, "Abbey")[:2])}},
            _population(bundle).iloc[:10],
        )
    with pytest.raises(GeographyError, match="not in the geography"):
        custom_areas_from_lists({"X": ["E00999999"]}, known_oas=bundle.lookup["oa_code"])
    with pytest.raises(GeographyError, match="lists no OA"):
        custom_areas_from_lists({"X": []})


def test_polygon_inputs_are_checked(bundle: GeographyBundle) -> None:
    far_away = gpd.GeoDataFrame({"code": ["SEA"]}, geometry=[box(1.5, 50.0, 1.6, 50.1)])
    with pytest.raises(GeographyError, match="no CRS"):
        custom_areas_from_polygons(far_away, bundle)
    with pytest.raises(GeographyError, match=r"SEA.*no OA point"):
        custom_areas_from_polygons(far_away.set_crs("EPSG:4326"), bundle)
    no_points = GeographyBundle(lookup=bundle.lookup, boundaries={}, info=bundle.info)
    with pytest.raises(GeographyError, match="neither OA centroids nor OA polygons"):
        custom_areas_from_polygons(far_away.set_crs("EPSG:4326"), no_points)


def test_oa_counts_from_records_cross_tabulates() -> None:
    records = pd.DataFrame({"oa": ["E1", "E1", "E2", None], "kind": ["a", "b", "a", "a"]})
    assert oa_counts_from_records(records, "oa").to_dict() == {"E1": 2, "E2": 1}
    table = oa_counts_from_records(records, "oa", ["kind"])
    assert table.loc["E1", "b"] == 1 and table.loc["E2", "a"] == 1 and "E3" not in table.index


# Cross-release differencing.


def _snapshot(
    release: str,
    estate: list[str],
    protection: str = "none",
    date: str | None = "2025-03-31",
    value: float = 50.0,
) -> ReleaseSnapshot:
    cells = pd.DataFrame(
        {
            "table": ["fsm"],
            "level": ["estates"],
            "area_code": ["GE"],
            "category": ["yes"],
            "value": [value],
        }
    )
    return ReleaseSnapshot(
        release, cast(Protection, protection), {"estates": {"GE": frozenset(estate)}}, date, cells
    )


def test_redrawn_area_leaves_a_small_sliver(bundle: GeographyBundle) -> None:
    abbey = _ward_oas(bundle, "Abbey")
    claimants = pd.Series(30, index=bundle.lookup["oa_code"])
    old, new = _snapshot("r1", abbey[:4]), _snapshot("r2", abbey[:5], date="2026-03-31")
    result = check_cross_release(new, [old], claimants)
    assert not result.passed
    (finding,) = result.findings
    assert finding.where["oa_codes"] == [abbey[4]] and finding.where["population"] == 30
    assert "custom area 'GE' of release r2 minus custom area 'GE' of release r1" in finding.detail
    assert check_cross_release(new, [old], _population(bundle)).passed


@pytest.mark.parametrize(
    ("old_value", "new_value", "old_date", "protection", "fails"),
    [
        (50, 53, "2025-03-31", "none", True),
        (50, 59, "2025-03-31", "suppression", True),
        (50, 50, "2025-03-31", "none", False),
        (50, 60, "2025-03-31", "none", False),
        (50, 53, "2024-03-31", "none", False),
        (50, 53, "2025-03-31", "cell-key", False),
        (50, 53, "2025-03-31", "rounding", False),
    ],
)
def test_same_date_cells_differing_by_a_few_fail(
    bundle: GeographyBundle,
    old_value: float,
    new_value: float,
    old_date: str,
    protection: str,
    fails: bool,
) -> None:
    oas = _ward_oas(bundle, "Abbey")[:4]
    old = _snapshot("r1", oas, protection, old_date, old_value)
    new = _snapshot("r2", oas, protection, "2025-03-31", new_value)
    result = check_cross_release(new, [old], _population(bundle))
    assert result.passed is not fails
    if fails:
        assert result.findings[0].where == {
            "table": "fsm",
            "level": "estates",
            "area_code": "GE",
            "category": "yes",
            "earlier_release": "r1",
        }


def test_dp_releases_are_superseded_by_the_guarantee(bundle: GeographyBundle) -> None:
    abbey = _ward_oas(bundle, "Abbey")
    tiny = pd.Series(1, index=bundle.lookup["oa_code"])
    dp_new = check_cross_release(
        _snapshot("r2", abbey[:5], "dp"), [_snapshot("r1", abbey[:4])], tiny
    )
    assert dp_new.passed and dp_new.superseded_by_dp
    dp_old = check_cross_release(
        _snapshot("r2", abbey[:5]), [_snapshot("r1", abbey[:4], "dp")], tiny
    )
    assert dp_old.passed and dp_old.metrics["skipped_dp"] == 1
    with pytest.raises(ConfigError, match="unknown protection"):
        _snapshot("r3", abbey, "noise")
