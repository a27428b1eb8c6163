"""The frame of boroughkit's self-contained HTML pages (plan, risk report): no scripts, no
fonts, no links out; the page's own CSS inline."""

from __future__ import annotations

from html import escape


def page_start(title: str, style: str) -> list[str]:
    """The lines that open a page titled ``title`` with inline ``style``, up to its heading."""
    return [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8" />',
        '<meta name="viewport" content="width=device-width, initial-scale=1" />',
        f"<title>{escape(title)}</title>",
        f"<style>{style}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{escape(title)}</h1>",
    ]


PAGE_END = ["</main>", "</body>", "</html>"]
