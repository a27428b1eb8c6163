"""The Borough Data Explorer: a static page over the catalogue's public files.

`serve_catalogue` serves it with the standard library; `export_site` writes the same files for any
web host. Both expose exactly the site assets and the public part of the catalogue (the index,
the published schema, DCAT, versions, published releases, registers, public geography): never
the approval area, audit records, work folders or the privacy ledger that sits beside the
catalogue. A catalogue last changed before ``schema.json`` existed gets the schema of this
version of boroughkit.
"""

from __future__ import annotations

import mimetypes
import shutil
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from boroughkit.errors import ConfigError, PublishError
from boroughkit.publish.catalogue import INDEX, PUBLIC_ENTRIES, SCHEMA_JSON
from boroughkit.publish.public_geography import GEOGRAPHY
from boroughkit.publish.schema import schema_text
from boroughkit.publish.state import media_type

SITE = Path(__file__).resolve().parent / "site"
SITE_FILES = ("index.html", "explorer.js", "explorer.css")
# The page may only talk to its own origin: no CDN, tiles or fonts, even if someone adds them.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# The public catalogue and the public geography the explorer reads (area names, postcodes).
EXPLORER_ENTRIES = (*PUBLIC_ENTRIES, GEOGRAPHY)


def resolve_public(catalogue: Path, url_path: str) -> Path | None:
    """The file behind a URL path of the explorer, or None when it is not public."""
    parts = [part for part in unquote(urlsplit(url_path).path).split("/") if part]
    if not parts:
        return SITE / "index.html"
    if len(parts) == 1 and parts[0] in SITE_FILES:
        return SITE / parts[0]
    if parts[0] not in EXPLORER_ENTRIES or any(p.startswith(".") or "\\" in p for p in parts):
        return None
    root = catalogue.resolve()
    path = root.joinpath(*parts).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def public_content(catalogue: Path, url_path: str) -> tuple[str, bytes] | None:
    """The file name and bytes behind a URL path of the explorer, or None when not public."""
    path = resolve_public(catalogue, url_path)
    if path is not None:
        return path.name, path.read_bytes()
    if unquote(urlsplit(url_path).path).strip("/") == SCHEMA_JSON:
        return SCHEMA_JSON, schema_text().encode("utf-8")
    return None


def public_files(catalogue: Path) -> dict[str, Path]:
    """Every file of the explorer site, by its path on the site (``schema.json`` only when the
    catalogue holds one: :func:`export_site` writes it otherwise)."""
    files = {name: SITE / name for name in SITE_FILES}
    for entry in EXPLORER_ENTRIES:
        base = catalogue / entry
        candidates = [base] if base.is_file() else sorted(base.rglob("*")) if base.is_dir() else []
        for path in candidates:
            relative = path.relative_to(catalogue)
            if path.is_file() and not any(p.startswith(".") for p in relative.parts):
                files[relative.as_posix()] = path
    return files


def _content_type(name: str) -> str:
    suffix = Path(name).suffix
    if suffix in (".js", ".css", ".html"):
        return {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}[
            suffix
        ] + "; charset=utf-8"
    kind = media_type(name)
    if kind == "application/octet-stream":
        kind = mimetypes.guess_type(name)[0] or kind
    return kind + ("; charset=utf-8" if kind.startswith("text/") or "json" in kind else "")


def _handler(catalogue: Path) -> type[BaseHTTPRequestHandler]:
    class ExplorerHandler(BaseHTTPRequestHandler):
        """Serves site assets and public catalogue files; GET and HEAD only."""

        server_version = "boroughkit-explorer"

        def do_GET(self) -> None:
            self._send(body=True)

        def do_HEAD(self) -> None:
            self._send(body=False)

        def _send(self, body: bool) -> None:
            found = public_content(catalogue, self.path)
            if found is None:
                self.send_error(404, "Not found (only published releases are served)")
                return
            name, data = found
            self.send_response(200)
            self.send_header("Content-Type", _content_type(name))
            self.send_header("Content-Length", str(len(data)))
            # The index (and the schema) change with a publish; release files never change.
            fresh = name in (INDEX, SCHEMA_JSON) or (
                name.endswith(".json") and f"/{GEOGRAPHY}/" in self.path
            )
            self.send_header("Cache-Control", "no-cache" if fresh else "max-age=300")
            for key, value in SECURITY_HEADERS.items():
                self.send_header(key, value)
            self.end_headers()
            if body:
                self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the console shows the address once

    return ExplorerHandler


def make_server(catalogue: Path, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """An HTTP server for the explorer of ``catalogue`` (call ``serve_forever`` on it)."""
    if not catalogue.is_dir():
        raise ConfigError(
            f"{catalogue}: no such catalogue folder",
            fix="give the folder of publish.to, e.g. demo-output/catalogue",
        )
    try:
        return ThreadingHTTPServer((host, port), _handler(catalogue))
    except OSError as error:
        raise ConfigError(
            f"cannot listen on {host}:{port} ({error})",
            fix="choose another --port, or --port 0 for any free port",
        ) from error


def serve_catalogue(
    catalogue: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    echo: Callable[[str], None] = print,
) -> None:
    """Serve the explorer until interrupted (Ctrl+C)."""
    server = make_server(catalogue, host, port)
    address = f"http://{host}:{server.server_address[1]}/"
    if not (catalogue / INDEX).exists():
        echo(f"Note: nothing is published in {catalogue} yet; the page will say so.")
    echo(f"Borough Data Explorer for {catalogue} at {address} (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def export_site(catalogue: Path, out: Path) -> int:
    """Write the explorer and the public catalogue files into ``out``; returns the file count."""
    if not (catalogue / INDEX).exists():
        raise PublishError(
            f"{catalogue}: nothing has been published yet",
            fix="approve and publish a release first",
        )
    if out.exists() and any(out.iterdir()):
        raise ConfigError(
            f"{out}: the folder is not empty", fix="give a new or empty folder for --out"
        )
    files = public_files(catalogue)
    for relative, source in files.items():
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    if SCHEMA_JSON not in files:
        (out / SCHEMA_JSON).write_text(schema_text(), encoding="utf-8")
    return len(files) + (SCHEMA_JSON not in files)
