"""A release over several boroughs: one GeoJSON file per borough at the levels finer than the
borough, and an explorer that shows one borough at a time (headless Chromium) and fetches only
the chosen borough's shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from boroughkit.disclosure.report import CheckResult, GateReport
from boroughkit.geography import GeographyBundle, import_bundle
from boroughkit.publish import approve_release, publish_release
from boroughkit.publish.catalogue import commit_release, staged_release
from boroughkit.publish.public_geography import geography_documents, write_public_geography
from boroughkit.publish.release_writer import licence_block, write_manifest, write_table_files
from tests.helpers.browser import chromium, serving
from tests.helpers.publishing import fake_frame
from tests.helpers.shared_data import GEO

pytestmark = pytest.mark.browser
NATIONAL = GEO / "lookup_oa21_lsoa21_msoa21_wd22_lad22_ew.csv.gz"
# Barking and Dagenham, Camden, Hackney: real LSOA and ward shapes of London.
BOROUGHS = ["E09000002", "E09000007", "E09000012"]
RELEASE = "tenure-2026-03-01T000000-abcd"
CSV_ONLY = "tenure-csv-2026-03-01T000000-ef01"


@pytest.fixture(scope="module")
def london3(tmp_path_factory: pytest.TempPathFactory) -> GeographyBundle:
    folder = tmp_path_factory.mktemp("london3")
    report = import_bundle(
        NATIONAL,
        folder / "bundle",
        boroughs=BOROUGHS,
        boundaries={
            "lsoa": GEO / "lsoa21_bsc_london.parquet",
            "ward": GEO / "wards22_bsc_london.parquet",
        },
    )
    return GeographyBundle.load(report.bundle_path)


def _borough_of(bundle: GeographyBundle, level: str) -> dict[str, str] | None:
    if level in ("borough", "region"):
        return None
    pairs = bundle.lookup[[f"{level}_code", "borough_code"]].drop_duplicates()
    return dict(zip(pairs.iloc[:, 0], pairs.iloc[:, 1], strict=True))


def _publish(catalogue: Path, london3: GeographyBundle, release: str, formats: list[str]) -> None:
    with staged_release(catalogue, release) as building:
        files = []
        for level in ("lsoa", "ward", "borough", "region"):
            files += write_table_files(
                building, table="tenure", level=level, frame=fake_frame(london3, level),
                category_columns=["tenure"], statistic="count", formats=formats,
                boundaries=london3.boundaries[level], file_metadata={"licence": "OGL v3.0"},
                borough_of=_borough_of(london3, level),
            )  # fmt: skip
        manifest = {
            "release_id": release, "name": release.rsplit("-2026", 1)[0],
            "description": "Households by tenure.",
            "created": "2026-03-01T00:00:00+00:00", "method": "dp-tables",
            "method_statement": "Protected.", "privacy": {"rho": "1/2"},
            "licence": licence_block("OGL-3.0", london3.info.attribution),
            "publisher": "Greater Test Authority",
            "geography": {"bundle": london3.info.name, "synthetic": False},
            "tables": {"tenure": {"unit": "households"}},
        }  # fmt: skip
        write_manifest(building, manifest, files)
        report = GateReport(release, "dp-tables")
        report.checks.append(CheckResult("ok", True, "checked", id="min-area-population"))
        report.write(building)
        commit_release(catalogue, building, release)
    approve_release(catalogue, release, by="Asha Patel")
    publish_release(catalogue, release)


@pytest.fixture(scope="module")
def catalogue(london3: GeographyBundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    catalogue = tmp_path_factory.mktemp("catalogue") / "catalogue"
    _publish(catalogue, london3, CSV_ONLY, ["csv"])  # figures without shapes
    _publish(catalogue, london3, RELEASE, ["geojson", "csv"])
    write_public_geography(catalogue, london3)
    return catalogue


def test_finer_levels_are_one_geojson_file_per_borough(
    catalogue: Path, london3: GeographyBundle
) -> None:
    folder = catalogue / "releases" / RELEASE
    manifest = json.loads((folder / "manifest.json").read_text())
    geojson = [f for f in manifest["files"] if f["format"] == "geojson"]
    per_borough = {(f["level"], f["borough"]): f for f in geojson if "borough" in f}
    assert set(per_borough) == {(level, b) for level in ("lsoa", "ward") for b in BOROUGHS}
    whole = {f["level"]: f["path"] for f in geojson if "borough" not in f}
    assert whole == {"borough": "tenure/tenure_borough.geojson",
                     "region": "tenure/tenure_region.geojson"}  # fmt: skip
    camden = json.loads((folder / "tenure" / "tenure_ward" / "E09000007.geojson").read_text())
    wards = london3.lookup.loc[london3.lookup["borough_code"] == "E09000007", "ward_code"]
    assert {f["id"] for f in camden["features"]} == set(wards)
    assert per_borough[("ward", "E09000007")]["rows"] == wards.nunique()
    # Every area of the level is in exactly one borough's file.
    rows = sum(per_borough[("lsoa", b)]["rows"] for b in BOROUGHS)
    assert rows == london3.lookup["lsoa_code"].nunique()
    index = json.loads((catalogue / "index.json").read_text())
    index["releases"] = [r for r in index["releases"] if r["id"] == RELEASE]
    # The place a release over three boroughs of London covers is London.
    assert index["releases"][0]["spatial"]["code"] == "E12000007"
    listed = [f for f in index["releases"][0]["files"] if f.get("borough") == "E09000012"]
    assert {f["level"] for f in listed} == {"lsoa", "ward"}
    package = json.loads((folder / "datapackage.json").read_text())
    names = [resource["name"] for resource in package["resources"]]
    assert len(names) == len(set(names)) and "tenure-ward-e09000007-geojson" in names


def test_public_geography_lists_fine_areas_per_borough(london3: GeographyBundle) -> None:
    documents = geography_documents(london3)
    (entry,) = documents["index.json"]["bundles"]
    assert sorted(entry["areas_by_borough"]) == BOROUGHS
    shared = {a["level"] for a in documents[entry["areas"].split("/", 1)[1]]["areas"]}
    assert shared == {"msoa", "ward", "borough", "region"}
    camden = documents[entry["areas_by_borough"]["E09000007"].split("/", 1)[1]]["areas"]
    assert {a["in"]["borough"] for a in camden} == {"E09000007"}
    in_camden = london3.lookup["borough_code"] == "E09000007"
    assert sum(a["level"] == "oa" for a in camden) == int(in_camden.sum())
    assert camden[0]["in"]["region"] == "E12000007"


def test_explorer_shows_one_borough_at_a_time(catalogue: Path, london3: GeographyBundle) -> None:
    from playwright.sync_api import expect

    names = london3.areas("borough").set_index("code")["name"]
    with serving(catalogue) as url, chromium() as browser:
        page = browser.new_context().new_page()
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{url}#release={RELEASE}")  # two releases published in the same second
        page.wait_for_selector("svg#map path.area")
        expect(page.locator("#level")).to_have_value("ward")
        # The first borough by name is shown: only its wards are drawn and fetched.
        expect(page.locator("#borough-field")).to_be_visible()
        expect(page.locator("#borough")).to_have_value("E09000002")  # Barking and Dagenham
        own = london3.lookup.groupby("borough_code")["ward_code"].nunique()
        expect(page.locator("svg#map path.area")).to_have_count(int(own["E09000002"]))
        options = page.eval_on_selector_all("#borough option", "o => o.map(x => x.textContent)")
        assert options == [f"{names[b]} ({b})" for b in BOROUGHS]
        ward_files = [r for r in requests if "/tenure_ward/" in r]
        assert ward_files == [f"{url}releases/{RELEASE}/tenure/tenure_ward/E09000002.geojson"]
        area_files = [r.rsplit("/", 1)[-1] for r in requests if "/areas/" in r]
        assert area_files == ["E09000002.json"]  # the OAs and LSOAs of the borough shown

        page.select_option("#borough", "E09000012")
        expect(page.locator("svg#map path.area")).to_have_count(int(own["E09000012"]))
        assert "borough=E09000012" in page.url
        hackney = london3.lookup.loc[london3.lookup["borough_code"] == "E09000012", "ward_code"]
        codes = page.eval_on_selector_all("svg#map path.area", "p => p.map(x => x.dataset.code)")
        assert set(codes) == set(hackney)

        # The borough level is one file with every borough: no borough filter there.
        page.select_option("#level", "borough")
        expect(page.locator("#borough-field")).to_be_hidden()
        expect(page.locator("svg#map path.area")).to_have_count(len(BOROUGHS))

        # Searching for a ward of another borough switches to that borough.
        ward = london3.lookup[london3.lookup["borough_code"] == "E09000007"].iloc[0]
        page.fill("#search", ward["ward_code"])
        page.locator(f"#search-results button[data-code='{ward['ward_code']}']").click()
        expect(page.locator("#level")).to_have_value("ward")
        expect(page.locator("#borough")).to_have_value("E09000007")
        expect(
            page.locator(f"svg#map path.area.active[data-code='{ward['ward_code']}']")
        ).to_have_count(1)

        # Downloads fold the per-borough files of a level into one entry.
        expect(page.locator("#downloads summary").first).to_contain_text("one file per borough (3)")

        # A shared link restores the borough.
        other = page.context.new_page()
        other.goto(f"{url}#release={RELEASE}&table=tenure&level=lsoa&borough=E09000007")
        expect(other.locator("#borough")).to_have_value("E09000007")
        camden = london3.lookup.loc[london3.lookup["borough_code"] == "E09000007", "lsoa_code"]
        expect(other.locator("svg#map path.area")).to_have_count(camden.nunique())

        # Without shapes, the rows of a level below the borough are listed one borough at a time.
        csv = page.context.new_page()
        csv.on("pageerror", lambda error: errors.append(str(error)))
        csv.goto(f"{url}#release={CSV_ONLY}&table=tenure&level=lsoa")
        expect(csv.locator("#borough")).to_have_value("E09000002")
        lsoas = london3.lookup.groupby("borough_code")["lsoa_code"].nunique()
        expect(csv.locator("#figures tbody tr")).to_have_count(int(lsoas["E09000002"]))
        csv.select_option("#borough", "E09000012")
        expect(csv.locator("#figures tbody tr")).to_have_count(int(lsoas["E09000012"]))
        expect(csv.locator("svg#map path.area")).to_have_count(0)
        csv.select_option("#level", "region")
        expect(csv.locator("#borough-field")).to_be_hidden()
        expect(csv.locator("#figures tbody tr")).to_have_count(1)
        assert errors == []
