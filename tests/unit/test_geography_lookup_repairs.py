"""Importing lookups with the gaps of real ONS files: OAs without a ward, a ward in two
boroughs, the analyst's fixes, and the region of each borough."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from boroughkit.errors import ConfigError, GeographyError
from boroughkit.geography import GeographyBundle, import_bundle
from boroughkit.geography.lookup_reader import LookupRules

HEADER = ["oa21cd", "lsoa21cd", "lsoa21nm", "msoa21cd", "msoa21nm", "lad22cd", "lad22nm",
          "wd22cd", "wd22nm"]  # fmt: skip


def _row(oa: str, lsoa: str, msoa: str, lad: str, ward: str) -> list[str]:
    names = {"E09000001": "Alpha", "E09000002": "Beta", "W06000001": "Gamma",
             "E07000167": "Ryedale", "E07000168": "Scarborough"}  # fmt: skip
    ward_name = f"Ward {ward[-2:]}" if ward else ""
    return [oa, lsoa, f"L {lsoa}", msoa, f"M {msoa}", lad, names[lad], ward, ward_name]


def _write(rows: list[list[str]], folder: Path) -> Path:
    path = folder / "lookup.csv"
    pd.DataFrame(rows, columns=HEADER).to_csv(path, index=False)
    return path


def _gaps() -> list[list[str]]:
    """Two boroughs; OA 3 has no ward (its LSOA has two OAs in W01, one in W02), and OA 7 has
    none either, alone in its LSOA, so its MSOA decides."""
    return [
        _row("E00000001", "E01000001", "E02000001", "E09000001", "E05000001"),
        _row("E00000002", "E01000001", "E02000001", "E09000001", "E05000001"),
        _row("E00000003", "E01000001", "E02000001", "E09000001", ""),
        _row("E00000004", "E01000001", "E02000001", "E09000001", "E05000002"),
        _row("E00000005", "E01000002", "E02000002", "E09000002", "E05000003"),
        _row("E00000006", "E01000002", "E02000002", "E09000002", "E05000004"),
        _row("E00000007", "E01000003", "E02000002", "E09000002", ""),
        _row("E00000008", "E01000004", "E02000002", "E09000002", "E05000004"),
    ]


def test_oa_without_ward_gets_the_ward_of_most_of_its_lsoa_else_msoa(tmp_path: Path) -> None:
    report = import_bundle(_write(_gaps(), tmp_path), tmp_path / "out")
    bundle = GeographyBundle.load(report.bundle_path)
    ward = bundle.oa_to_level("ward")
    assert ward["E00000003"] == "E05000001"  # 2 of the 3 other OAs of its LSOA
    assert ward["E00000007"] == "E05000004"  # its LSOA has no other OA: 2 of 3 in its MSOA
    gaps = [r for r in report.repairs if r.rule == "ward-gap"]
    assert [r.subject for r in gaps] == ["E00000003", "E00000007"]
    assert gaps[0].values["basis"] == "lsoa" and gaps[1].values["basis"] == "msoa"
    assert "E00000003 (Alpha) had no ward: assigned E05000001 Ward 01" in gaps[0].text
    assert "lookup repairs (2, kept in bundle.json)" in report.summary()
    stored = json.loads((report.bundle_path / "bundle.json").read_text())["info"]
    assert [item["subject"] for item in stored["lookup_repairs"]] == ["E00000003", "E00000007"]
    assert bundle.info.lookup_repairs[1]["ward_code"] == "E05000004"


def test_ward_gaps_can_be_refused_or_fixed_by_the_analyst(tmp_path: Path) -> None:
    lookup = _write(_gaps(), tmp_path)
    with pytest.raises(GeographyError, match=r"2 OA\(s\) have no ward code") as error:
        import_bundle(lookup, tmp_path / "out", rules=LookupRules(on_ward_gap="refuse"))
    assert "E00000003 (line 4)" in str(error.value) and "--lookup-fix" in str(error.value)
    assert not (tmp_path / "out").exists()
    fixes = tmp_path / "fixes.csv"
    fixes.write_text(
        "oa_code,column,value\nE00000003,ward_code,E05000002\nE00000003,ward_name,Ward 02\n"
    )
    report = import_bundle(lookup, tmp_path / "out", rules=LookupRules(fixes=fixes))
    assert GeographyBundle.load(report.bundle_path).oa_to_level("ward")["E00000003"] == "E05000002"
    rules = [r.rule for r in report.repairs]
    assert rules == ["lookup-fix", "lookup-fix", "ward-gap"]  # the fixed OA needs no rule
    assert report.repairs[0].text.startswith("E00000003: ward_code (empty) → E05000002")


def test_a_ward_with_no_neighbour_to_go_by_is_an_error_naming_the_fix(tmp_path: Path) -> None:
    rows = [_row("E00000001", "E01000001", "E02000001", "E09000001", "")]
    with pytest.raises(GeographyError, match="no other OA of its LSOA or MSOA") as error:
        import_bundle(_write(rows, tmp_path), tmp_path / "out")
    assert "E00000001,ward_code,CODE" in str(error.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("oa_code,column,value\nE00000001,ward,X\n", "'ward' is not a lookup column"),
        ("oa_code,column,value\nE00009999,ward_code,X\n", "OA E00009999 is not in the lookup"),
        ("oa,column,value\nE00000001,ward_code,X\n", "lack the column"),
    ],
)
def test_bad_lookup_fixes_are_config_errors(tmp_path: Path, text: str, message: str) -> None:
    fixes = tmp_path / "fixes.csv"
    fixes.write_text(text)
    with pytest.raises(ConfigError, match=message):
        import_bundle(_write(_gaps(), tmp_path), tmp_path / "o", rules=LookupRules(fixes=fixes))


def _crossing() -> list[list[str]]:
    return [
        _row("E00000001", "E01000001", "E02000001", "E07000167", "E05014284"),
        _row("E00000002", "E01000001", "E02000001", "E07000167", "E05000010"),
        _row("E00000003", "E01000002", "E02000002", "E07000168", "E05014284"),
        _row("E00000004", "E01000002", "E02000002", "E07000168", "E05014284"),
    ]


def test_a_ward_in_two_boroughs_is_split_into_one_ward_per_borough(tmp_path: Path) -> None:
    report = import_bundle(_write(_crossing(), tmp_path), tmp_path / "out")
    bundle = GeographyBundle.load(report.bundle_path)
    wards = bundle.areas("ward").set_index("code")["name"]
    assert wards["E05014284-E07000167"] == "Ward 84 (part in Ryedale)"
    assert wards["E05014284-E07000168"] == "Ward 84 (part in Scarborough)"
    assert "E05014284" not in wards.index
    assert (bundle.lookup.groupby("ward_code")["borough_code"].nunique() == 1).all()
    (split,) = [r for r in report.repairs if r.rule == "ward-across-lad"]
    assert split.subject == "E05014284" and [p["oas"] for p in split.values["parts"]] == [1, 2]
    assert "split into E05014284-E07000167 Ward 84 (part in Ryedale) (1 OAs in Ryedale)" in (
        split.text
    )
    with pytest.raises(GeographyError, match="lie in more than one borough") as error:
        import_bundle(
            _write(_crossing(), tmp_path), tmp_path / "refused",
            rules=LookupRules(on_ward_across_lad="refuse"),
        )  # fmt: skip
    assert "--on-ward-across-lad split" in str(error.value)


def test_a_split_ward_polygon_is_clipped_to_each_borough(tmp_path: Path) -> None:
    wards = gpd.GeoDataFrame(
        {"WD22CD": ["E05014284", "E05000010"]},
        geometry=[box(-1.0, 54.0, -0.4, 54.2), box(-1.2, 54.0, -1.0, 54.2)],
        crs="EPSG:4326",
    )
    boroughs = gpd.GeoDataFrame(
        {"LAD22CD": ["E07000167", "E07000168"]},
        geometry=[box(-1.2, 54.0, -0.7, 54.2), box(-0.7, 54.0, -0.4, 54.2)],
        crs="EPSG:4326",
    )
    wards.to_file(tmp_path / "wards.geojson")
    boroughs.to_file(tmp_path / "lads.geojson")
    report = import_bundle(
        _write(_crossing(), tmp_path), tmp_path / "out",
        boundaries={"ward": tmp_path / "wards.geojson", "borough": tmp_path / "lads.geojson"},
    )  # fmt: skip
    shapes = GeographyBundle.load(report.bundle_path).boundaries["ward"].set_index("code")
    assert shapes.geometry["E05014284-E07000167"].bounds == pytest.approx((-1.0, 54.0, -0.7, 54.2))
    assert shapes.geometry["E05014284-E07000168"].bounds == pytest.approx((-0.7, 54.0, -0.4, 54.2))
    assert not shapes["approximate"].any()
    assert "ward E05014284's polygon clipped to each borough" in report.notes


def _regions_lookup(tmp_path: Path) -> Path:
    rows = [
        _row("E00000001", "E01000001", "E02000001", "E09000001", "E05000001"),
        _row("E00000002", "E01000002", "E02000002", "E07000167", "E05000002"),
        _row("W00000003", "W01000003", "W02000003", "W06000001", "W05000003"),
    ]
    return _write(rows, tmp_path)


def test_without_a_region_for_every_borough_the_bundle_has_no_region_level(
    tmp_path: Path,
) -> None:
    report = import_bundle(_regions_lookup(tmp_path), tmp_path / "out")
    assert report.counts["region"] == 0
    assert any("1 of the 3 boroughs have no region (e.g. E07000167)" in n for n in report.notes)
    bundle = GeographyBundle.load(report.bundle_path)
    assert "region" not in bundle.levels and "borough" in bundle.levels
    assert bundle.areas("region").empty
    with pytest.raises(GeographyError, match="has no region level") as error:
        bundle.require_level("region")
    assert "--regions FILE" in str(error.value)


def test_regions_come_from_a_file_then_the_built_in_rule(tmp_path: Path) -> None:
    regions = tmp_path / "regions.csv"
    regions.write_text("LAD22CD,RGN22CD,RGN22NM\nE07000167,E12000003,Yorkshire and The Humber\n")
    report = import_bundle(
        _regions_lookup(tmp_path), tmp_path / "out", rules=LookupRules(regions=regions)
    )
    bundle = GeographyBundle.load(report.bundle_path)
    assert "region" in bundle.levels
    assert bundle.oa_to_level("region").to_dict() == {
        "E00000001": "E12000007", "E00000002": "E12000003", "W00000003": "W92000004"
    }  # fmt: skip
    assert list(bundle.areas("region")["name"]) == ["Yorkshire and The Humber", "London", "Wales"]
    (note,) = [note for note in report.notes if note.startswith("region level")]
    assert "1 OAs from regions.csv, 2 OAs from the built-in rule" in note


def test_a_region_column_of_the_lookup_is_read_and_must_nest(tmp_path: Path) -> None:
    frame = pd.read_csv(_regions_lookup(tmp_path), dtype=str)
    frame["RGN21CD"] = ["E12000007", "E12000003", ""]  # Wales from the built-in rule
    frame["RGN21NM"] = ["London", "Yorkshire and The Humber", ""]
    frame.to_csv(tmp_path / "with-regions.csv", index=False)
    report = import_bundle(tmp_path / "with-regions.csv", tmp_path / "out")
    assert report.counts["region"] == 3
    frame.loc[0, "RGN21CD"] = "E12000008"
    extra = frame.iloc[[0]].assign(oa21cd="E00000009", RGN21CD="E12000007")
    pd.concat([frame, extra]).to_csv(tmp_path / "broken.csv", index=False)
    with pytest.raises(GeographyError, match="more than one region"):
        import_bundle(tmp_path / "broken.csv", tmp_path / "broken")
