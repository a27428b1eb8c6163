"""The frame of boroughkit's self-contained HTML pages (plan, risk report): no scripts, no
fonts, no links out; the page's own CSS inline."""

from __future__ import annotations

from html import escape

#: What every page shares: type, colours, the reading column and headings.
BASE_STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
  color: #1b1b1b; background: #fafafa; line-height: 1.45; }
main { max-width: 70rem; margin: 0 auto; padding: 1.5rem; background: #fff; }
h1 { font-size: 1.6rem; margin-top: 0; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #ddd; padding-bottom: .2rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; }
"""


def page_start(title: str, style: str) -> list[str]:
    """The lines that open a page titled ``title`` with the shared style and the page's own
    inline ``style``, up to its heading."""
    return [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8" />',
        '<meta name="viewport" content="width=device-width, initial-scale=1" />',
        f"<title>{escape(title)}</title>",
        f"<style>{BASE_STYLE}{style}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{escape(title)}</h1>",
    ]


PAGE_END = ["</main>", "</body>", "</html>"]
