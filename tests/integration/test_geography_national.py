"""The real England and Wales lookup (188,880 OAs, 331 boroughs) imports whole, with its two
known gaps repaired by the documented rules and reported; and the 33 London boroughs."""

from __future__ import annotations

from pathlib import Path

from boroughkit.geography import GeographyBundle, import_bundle
from tests.helpers.shared_data import GEO

NATIONAL = GEO / "lookup_oa21_lsoa21_msoa21_wd22_lad22_ew.csv.gz"
LONDON = [f"E09{number:06d}" for number in range(1, 34)]


def test_england_and_wales_imports_with_its_gaps_reported(tmp_path: Path) -> None:
    report = import_bundle(NATIONAL, tmp_path / "ew")
    assert report.counts == {
        "oa": 188_880, "lsoa": 35_672, "msoa": 7_264, "ward": 7_650, "borough": 331, "region": 0
    }  # fmt: skip
    gaps = {r.subject: r for r in report.repairs if r.rule == "ward-gap"}
    assert len(gaps) == 15
    richmond = gaps["E00019599"]
    assert richmond.text.startswith("E00019599 (Richmond upon Thames) had no ward: assigned ")
    assert richmond.values["basis"] == "lsoa" and richmond.values["area"] == "E01003896"
    (split,) = [r for r in report.repairs if r.rule == "ward-across-lad"]
    assert split.subject == "E05014284"
    assert {p["borough_name"]: p["oas"] for p in split.values["parts"]} == {
        "Ryedale": 7, "Scarborough": 15
    }  # fmt: skip
    assert any(note.startswith("no region level: 276 of the 331 boroughs") for note in report.notes)
    bundle = GeographyBundle.load(report.bundle_path)
    assert (bundle.lookup.groupby("ward_code")["borough_code"].nunique() == 1).all()
    assert len(bundle.info.lookup_repairs) == 16


def test_london_has_a_region_and_one_repaired_oa(tmp_path: Path) -> None:
    report = import_bundle(NATIONAL, tmp_path / "london", boroughs=LONDON)
    assert report.name == "London (33 boroughs)"
    assert report.counts["oa"] == 26_369 and report.counts["borough"] == 33
    assert report.counts["region"] == 1
    assert [r.subject for r in report.repairs] == ["E00019599"]
    bundle = GeographyBundle.load(report.bundle_path)
    assert set(bundle.oa_to_level("region")) == {"E12000007"}
    assert bundle.areas("region")["name"].tolist() == ["London"]
