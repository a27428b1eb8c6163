"""The Borough Data Explorer in headless Chromium: releases, a map per table and level, the
figures on focus, a sortable table, downloads, and no request leaving the site."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from boroughkit.publish import approve_release, publish_release
from boroughkit.publish.registers import DataSharingEntry, data_sharing_files
from tests.helpers.browser import chromium, serving
from tests.helpers.publishing import stage_release

pytestmark = pytest.mark.browser


@pytest.fixture
def site(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    ids = []
    for created in ("2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00"):
        release_id = stage_release(
            catalogue, demo_bundle, created=created, levels=("lsoa", "ward", "borough")
        )
        approve_release(catalogue, release_id, by="Asha Patel")
        publish_release(catalogue, release_id)
        ids.append(release_id)
    # An extract issued and later withdrawn: two register rows, one agreement.
    issued = DataSharingEntry(
        "University of Testing",
        "Research on take-up.",
        "public task",
        "DSA-9",
        "Asha Patel",
        date(2026, 3, 1),
        date(2027, 3, 1),
        release_id="extract-1",
    ).to_row()
    withdrawn = {**issued, "withdrawn_on": "2026-04-01", "withdrawal_reason": "ended"}
    for relative, text in data_sharing_files([issued, withdrawn]).items():
        (catalogue / relative).write_text(text, encoding="utf-8")
    with serving(catalogue) as url:
        yield url, catalogue, ids


@pytest.fixture
def page():
    with chromium() as browser:
        yield browser.new_context(accept_downloads=True).new_page()


def test_explorer_maps_tables_and_downloads(site, page, demo_bundle):
    from playwright.sync_api import expect

    url, catalogue, (_old, new) = site
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_selector("svg#map path.area")
    # The newest release is shown first; the older one is listed as superseded.
    assert page.eval_on_selector("#release", "s => s.value") == new
    labels = page.eval_on_selector_all("#release option", "os => os.map(o => o.textContent)")
    assert any("(superseded)" in label for label in labels)

    page.select_option("#table", "tenure")
    page.select_option("#level", "lsoa")
    areas = len(demo_bundle.areas("lsoa"))
    # Polled through locators: the page's Content-Security-Policy forbids evaluated strings.
    expect(page.locator("svg#map path.area")).to_have_count(areas)
    assert page.locator("#figures tbody tr").count() == areas
    page.select_option("#category", "tenure=owned")
    expect(page.locator("#legend")).to_contain_text("tenure: owned")

    # Keyboard: from the last control (the area search), Tab reaches the first area.
    page.focus("#search")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('data-code')")
    assert focused in set(demo_bundle.areas("lsoa")["code"])
    detail = page.inner_text("#detail")
    assert "Margin of error (95%)" in detail and "± 3.9" in detail
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert "margin of error" in label

    sort_by_value = "#figures thead button[data-sort='value']"
    header = page.locator("#figures thead th").nth(2)
    cells = "#figures tbody td:nth-child(3)"
    as_numbers = "cells => cells.map(c => Number(c.textContent.replace(/,/g, '')))"
    page.click(sort_by_value)  # numbers sort highest first, then lowest first
    assert header.get_attribute("aria-sort") == "descending"
    values = page.eval_on_selector_all(cells, as_numbers)
    assert values == sorted(values, reverse=True) and len(values) == areas
    page.click(sort_by_value)
    assert header.get_attribute("aria-sort") == "ascending"
    assert page.eval_on_selector_all(cells, as_numbers) == sorted(values)

    about = page.inner_text("#about")
    assert "Asha Patel" in about and "DPIA-2026-014" in about and "Open Government" in about
    registers = page.inner_text("#registers")
    assert "transparency register" in registers
    assert "records 1 agreement(s)" in registers and "withdrawn on 2026-04-01" in registers

    with page.expect_download() as waiting:
        page.click("#downloads a:has-text('Ward — CSV')")
    download = waiting.value
    expected = catalogue / "releases" / new / "tenure" / "tenure_ward.csv"
    assert Path(download.path()).read_bytes() == expected.read_bytes()

    assert errors == []
    assert all(request.startswith(url) or request.startswith("data:") for request in requests)
    # Levels and column names come from the published schema, not from the page's script.
    assert f"{url}schema.json" in requests
