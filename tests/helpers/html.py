"""Checks of boroughkit's self-contained HTML pages."""

from __future__ import annotations

import re


def assert_self_contained(page: str) -> None:
    """No script, no stylesheet, font or image fetched: nothing leaves the page."""
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert "@import" not in page and "url(" not in page and "@font-face" not in page
    for attribute in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page, flags=re.IGNORECASE):
        assert "http" not in attribute.lower() and "//" not in attribute, attribute
    assert "http" not in page.lower()
