"""The explorer answers "what about my area?" in headless Chromium: search by name, code and
postcode, OA labels with their ward, units from the config, the area's chart beside its ward and
the borough, the comparison with the previous release, the view in the URL, and cell-key
releases explained without a margin of error. No request leaves the site."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from boroughkit.disclosure.report import CheckResult, GateReport
from boroughkit.publish import approve_release, publish_release
from boroughkit.publish.catalogue import commit_release, staged_release
from boroughkit.publish.public_geography import write_public_geography
from boroughkit.publish.release_writer import licence_block, write_manifest, write_table_files
from tests.helpers.browser import chromium, serving
from tests.helpers.publishing import fake_frame

pytestmark = pytest.mark.browser
LEVELS = ("oa", "ward", "borough")


def _stage(catalogue: Path, bundle, *, name: str, created: str, seed: int, cell_key: bool) -> str:
    release_id = f"{name}-{created[:19].replace(':', '')}-{secrets.token_hex(2)}"
    with staged_release(catalogue, release_id) as building:
        files = []
        for level in LEVELS:
            frame = fake_frame(bundle, level, seed=seed)
            if cell_key:  # perturbed, rounded counts with a status; suppressed cells empty
                frame = frame.drop(columns=["noise_sd", "moe95"])
                frame["count"] = (frame["count"] // 5 * 5).astype(float)
                frame["status"] = "published"
                frame.loc[frame.index[1], ["count", "status"]] = [None, "suppressed"]
            files += write_table_files(
                building,
                table="tenure",
                level=level,
                frame=frame,
                category_columns=["tenure"],
                statistic="count",
                formats=["geojson", "csv"],
                boundaries=bundle.boundaries[level],
                file_metadata={"licence": "Open Government Licence v3.0"},
            )
        privacy = (
            {"definition": "statistical disclosure control (ONS cell-key method)", "threshold": 10}
            | {"rounding_base": 5}
            if cell_key
            else {"rho": "1/2"}
        )
        manifest = {
            "release_id": release_id,
            "name": name,
            "description": "Households by tenure.",
            "created": created,
            "method": "sdc-tables" if cell_key else "dp-tables",
            "method_statement": "Protected.",
            "privacy": privacy,
            "licence": licence_block("OGL-3.0", bundle.info.attribution),
            "publisher": "Test Borough Council",
            "geography": {"bundle": bundle.info.name, "synthetic": True},
            "tables": {"tenure": {"unit": "households"}},
        }
        write_manifest(building, manifest, files)
        report = GateReport(release_id, manifest["method"])
        report.checks.append(CheckResult("ok", True, "checked", id="min-area-population"))
        report.write(building)
        commit_release(catalogue, building, release_id)
    approve_release(catalogue, release_id, by="Asha Patel")
    publish_release(catalogue, release_id)
    return release_id


@pytest.fixture
def site(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    # Published first, so the newest publication is `new` whatever the clock's second.
    sdc = _stage(
        catalogue,
        demo_bundle,
        name="tenure-sdc",
        created="2026-01-15T00:00:00+00:00",
        seed=3,
        cell_key=True,
    )
    old = _stage(
        catalogue,
        demo_bundle,
        name="tenure",
        created="2026-01-01T00:00:00+00:00",
        seed=1,
        cell_key=False,
    )
    new = _stage(
        catalogue,
        demo_bundle,
        name="tenure",
        created="2026-02-01T00:00:00+00:00",
        seed=2,
        cell_key=False,
    )
    write_public_geography(catalogue, demo_bundle)
    with serving(catalogue) as url:
        yield url, (old, new, sdc)


@pytest.fixture
def page():
    with chromium() as browser:
        yield browser.new_context().new_page()


def test_public_geography_has_no_counts(tmp_path, demo_bundle):
    import json

    written = write_public_geography(tmp_path, demo_bundle)
    text = " ".join(path.read_text(encoding="utf-8") for path in written)
    assert "population" not in text and "households" not in text
    areas = json.loads((tmp_path / "geography" / "index.json").read_text())["bundles"][0]
    assert areas["postcodes"] and areas["areas"]


def test_explorer_finds_my_area(site, page, demo_bundle):
    from playwright.sync_api import expect

    url, (old, new, sdc) = site
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_selector("svg#map path.area")
    assert page.eval_on_selector("#release", "s => s.value") == new
    # Units from the config, not "Count".
    expect(page.locator("#value-heading")).to_have_text("Households")

    # Search by postcode: the demo's fictional DM postcodes lead to an OA, labelled with its ward.
    lookup = demo_bundle.lookup.set_index("oa_code")
    postcode, oa = demo_bundle.postcodes.iloc[0][["postcode", "oa_code"]]
    ward_name = lookup.loc[oa, "ward_name"]
    page.fill("#search", postcode.lower())
    first = page.locator("#search-results button").first
    expect(first).to_contain_text(f"{oa}, in {ward_name}")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#level")).to_have_value("oa")
    expect(page.locator("#detail")).to_contain_text(f"{oa}, in {ward_name}")
    expect(page.locator(f"svg#map path.area.active[data-code='{oa}']")).to_have_count(1)
    expect(page.locator(f"#figures tbody tr.active[data-code='{oa}']")).to_have_count(1)
    expect(page.locator("#detail")).to_contain_text("Households")

    # The area's chart: its shares with error bars, beside its ward's and the borough's.
    expect(page.locator("#area-panel")).to_be_visible()
    expect(page.locator("#area-svg rect[data-series='area']")).to_have_count(2)
    expect(page.locator("#area-svg rect[data-series='ward']")).to_have_count(2)
    expect(page.locator("#area-svg rect[data-series='borough']")).to_have_count(2)
    expect(page.locator("#area-svg line.error-bar[data-series='area']")).to_have_count(2)
    expect(page.locator("#area-chart")).to_contain_text(ward_name)
    # The comparison with the previous (superseded) release of the same table.
    expect(page.locator("#compare-table")).to_contain_text(old)
    expect(page.locator("#compare-table tbody tr")).to_have_count(3)
    expect(page.locator("#compare-table")).to_contain_text("±")

    # Search by name finds a ward; by code an LSOA-less level falls to the published one.
    ward_code, ward = demo_bundle.areas("ward").iloc[1][["code", "name"]]
    page.fill("#search", ward.split(":")[-1].strip())
    page.locator(f"#search-results button[data-code='{ward_code}']").click()
    expect(page.locator("#level")).to_have_value("ward")
    expect(page.locator("#detail h3")).to_have_text(ward)

    # The view is in the URL: loading it again restores it.
    page.select_option("#category", "tenure=rented")
    shared = page.url
    assert f"area={ward_code}" in shared and "level=ward" in shared and new in shared
    other = page.context.new_page()
    other.on("request", lambda request: requests.append(request.url))
    other.on("pageerror", lambda error: errors.append(str(error)))
    other.goto(shared)
    expect(other.locator("#detail h3")).to_have_text(ward)
    expect(other.locator("#category")).to_have_value("tenure=rented")
    expect(other.locator("#level")).to_have_value("ward")
    expect(other.locator(f"svg#map path.area.active[data-code='{ward_code}']")).to_have_count(1)

    # A cell-key release explains perturbation and rounding instead of a margin of error.
    other = page.context.new_page()  # a fresh load (only the hash would change otherwise)
    other.on("request", lambda request: requests.append(request.url))
    other.on("pageerror", lambda error: errors.append(str(error)))
    other.goto(f"{url}#release={sdc}&table=tenure&level=ward")
    expect(other.locator("#moe-heading")).to_have_text("How protected")
    expect(other.locator("footer")).to_contain_text("perturbation")
    expect(other.locator("footer")).not_to_contain_text("margin of error shows")
    expect(other.locator("#figures tbody tr").first).to_contain_text("rounded to the nearest 5")
    margins = other.eval_on_selector_all(
        "#figures tbody td:nth-child(4)", "cells => cells.map(c => c.textContent)"
    )
    assert margins and "–" not in margins

    assert errors == []
    assert all(request.startswith(url) or request.startswith("data:") for request in requests)
    assert f"{url}geography/index.json" in requests
