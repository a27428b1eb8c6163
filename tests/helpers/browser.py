"""Headless Debian Chromium for the browser tests, and a catalogue served on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched headless Chromium (Playwright ``Browser``); a missing browser fails loudly
    (README: the tests need Debian's chromium), it is never skipped or downloaded."""
    assert CHROMIUM.exists(), f"the browser tests need Debian's chromium at {CHROMIUM}"
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def serving(catalogue: Path) -> Iterator[str]:
    """The explorer serving ``catalogue`` on a free loopback port; yields its base URL."""
    from boroughkit.publish.explorer import make_server

    server = make_server(catalogue, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
