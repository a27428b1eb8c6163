"""Publishing to other targets: fsspec filesystems and a CKAN portal (a local fake of its API)."""

from __future__ import annotations

import email.parser
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import fsspec
import pytest

from boroughkit.errors import PublishError
from boroughkit.publish import approve_release, publish_release, retract_release
from boroughkit.publish.catalogue import PUBLIC_ENTRIES
from tests.helpers.publishing import stage_release

TOKEN = "test-token-123"


def _approved(catalogue: Path, bundle, **kwargs) -> str:
    release_id = stage_release(catalogue, bundle, **kwargs)
    approve_release(catalogue, release_id, by="Asha Patel")
    return release_id


def _public_tree(catalogue: Path) -> dict[str, bytes]:
    return {
        p.relative_to(catalogue).as_posix(): p.read_bytes()
        for p in catalogue.rglob("*")
        if p.is_file() and p.relative_to(catalogue).parts[0] in PUBLIC_ENTRIES
    }


def test_memory_target_mirrors_the_public_catalogue(tmp_path, demo_bundle):
    catalogue = tmp_path / "catalogue"
    fs = fsspec.filesystem("memory")
    first = _approved(catalogue, demo_bundle, created="2026-01-01T00:00:00+00:00")
    publish_release(catalogue, first, to="memory://portal/data")
    second = _approved(catalogue, demo_bundle, created="2026-02-01T00:00:00+00:00")
    result = publish_release(catalogue, second, to="memory://portal/data")
    assert any("copied" in note for note in result.notes)
    remote = {
        path.removeprefix("/portal/data/"): fs.cat_file(path)
        for path in fs.find("/portal/data")
        if "/.publishing/" not in path
    }
    assert remote == _public_tree(catalogue)  # nothing private (staging, audit) leaves
    assert "schema.json" in remote
    retract_release(catalogue, first, reason="Superseded and wrong.", to="memory://portal/data")
    assert not fs.exists(f"/portal/data/releases/{first}")
    assert fs.exists(f"/portal/data/retracted/{first}/manifest.json")
    index = json.loads(fs.cat_file("/portal/data/index.json"))
    assert {e["id"]: e["status"] for e in index["releases"]} == {
        first: "retracted",
        second: "current",
    }
    fs.rm("/portal", recursive=True)


def test_file_target_and_config_target(tmp_path, demo_bundle):
    from boroughkit.config.publish_models import PublishConfig

    catalogue = tmp_path / "catalogue"
    mirror = tmp_path / "mirror"
    release_id = _approved(catalogue, demo_bundle, publish=PublishConfig(target=mirror.as_uri()))
    publish_release(catalogue, release_id)  # the target comes from the config
    assert _public_tree(mirror) == _public_tree(catalogue)
    assert not (mirror / ".publishing").exists() or not any((mirror / ".publishing").iterdir())


def test_a_failed_copy_says_the_local_catalogue_is_published_and_how_to_finish(
    tmp_path, demo_bundle
):
    catalogue = tmp_path / "catalogue"
    release_id = _approved(catalogue, demo_bundle)
    with pytest.raises(PublishError, match="no filesystem for this URL") as caught:
        publish_release(catalogue, release_id, to="nosuchscheme://bucket/data")
    assert "published" in str(caught.value) and f"boroughkit publish {release_id}" in str(
        caught.value
    )
    assert (catalogue / "releases" / release_id).is_dir()
    retry = publish_release(catalogue, release_id, to=(tmp_path / "later").as_uri())
    assert retry.version == 1 and (tmp_path / "later" / "index.json").exists()


class FakeCkan:
    """Checks requests the way CKAN's Action API does and records them."""

    def __init__(self) -> None:
        self.packages: dict[str, dict] = {}
        self.calls: list[tuple[str, dict]] = []
        self.fail_with: tuple[int, dict] | None = None

    def handle(self, action: str, headers, body: bytes) -> tuple[int, dict]:
        if headers.get("Authorization") != TOKEN:
            return 403, {
                "success": False,
                "error": {"__type": "Authorization Error", "message": "Access denied"},
            }
        if self.fail_with:
            return self.fail_with
        if action == "resource_create":
            fields = self._multipart(headers["Content-Type"], body)
        else:
            assert headers["Content-Type"] == "application/json"
            fields = json.loads(body)
        self.calls.append((action, fields))
        return getattr(self, action)(fields)

    @staticmethod
    def _multipart(content_type: str, body: bytes) -> dict:
        message = email.parser.BytesParser().parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        assert message.is_multipart()
        fields = {}
        for part in message.get_payload():
            name = part.get_param("name", header="content-disposition")
            if part.get_filename():
                fields[name] = {
                    "filename": part.get_filename(),
                    "bytes": part.get_payload(decode=True),
                }
            else:
                fields[name] = part.get_payload(decode=True).decode()
        return fields

    def package_show(self, fields: dict) -> tuple[int, dict]:
        if fields["id"] not in self.packages:
            return 404, {
                "success": False,
                "error": {"__type": "Not Found Error", "message": "Not found"},
            }
        return 200, {"success": True, "result": self.packages[fields["id"]]}

    def package_create(self, fields: dict) -> tuple[int, dict]:
        missing = [k for k in ("name", "title", "license_id", "notes") if not fields.get(k)]
        if missing or fields["name"] != fields["name"].lower() or fields["name"] in self.packages:
            return 409, {
                "success": False,
                "error": {"__type": "Validation Error", "name": ["That URL is already in use."]},
            }
        package = {**fields, "id": f"id-{fields['name']}", "resources": []}
        self.packages[fields["name"]] = package
        return 200, {"success": True, "result": package}

    def resource_create(self, fields: dict) -> tuple[int, dict]:
        package = next(p for p in self.packages.values() if p["id"] == fields["package_id"])
        assert fields["upload"]["bytes"] and fields["name"]
        resource = {
            "name": fields["name"],
            "format": fields["format"],
            "size": len(fields["upload"]["bytes"]),
        }
        package["resources"].append(resource)
        return 200, {"success": True, "result": resource}

    def package_revise(self, fields: dict) -> tuple[int, dict]:
        package = self.packages[fields["match"]["name"]]
        package.update(fields["update"])
        return 200, {"success": True, "result": {"package": package}}


@pytest.fixture
def ckan():
    fake = FakeCkan()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            action = self.path.removeprefix("/api/3/action/")
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status, reply = fake.handle(action, self.headers, body)
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield fake, f"ckan+http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_ckan_datasets_resources_and_status_changes(tmp_path, demo_bundle, ckan, monkeypatch):
    fake, url = ckan
    monkeypatch.setenv("CKAN_API_TOKEN", TOKEN)
    catalogue = tmp_path / "catalogue"
    old = _approved(catalogue, demo_bundle, created="2026-01-01T00:00:00+00:00")
    publish_release(catalogue, old, to=url + "?owner_org=demo-council")
    package = fake.packages[old.lower()]
    assert package["owner_org"] == "demo-council" and package["license_id"] == "OGL-UK-3.0"
    index = json.loads((catalogue / "index.json").read_text())
    files = index["releases"][0]["files"]
    assert sorted(r["name"] for r in package["resources"]) == sorted(f["path"] for f in files)
    sizes = {r["name"]: r["size"] for r in package["resources"]}
    assert all(sizes[f["path"]] == f["bytes"] for f in files)  # the files arrived whole
    new = _approved(catalogue, demo_bundle, created="2026-02-01T00:00:00+00:00")
    publish_release(catalogue, new, to=url + "?owner_org=demo-council")
    revised = [f for action, f in fake.calls if action == "package_revise"]
    assert revised and revised[-1]["match"] == {"name": old.lower()}
    extras = {e["key"]: e["value"] for e in fake.packages[old.lower()]["extras"]}
    assert extras["status"] == "superseded" and extras["superseded_by"] == new
    assert fake.packages[old.lower()]["title"].startswith("[Superseded]")
    calls_before = len(fake.calls)
    publish_release(catalogue, new, to=url)  # already there: only checks, nothing re-sent
    assert {a for a, _ in fake.calls[calls_before:]} == {"package_show"}


def test_ckan_errors_become_clear_publish_errors(tmp_path, demo_bundle, ckan, monkeypatch):
    fake, url = ckan
    catalogue = tmp_path / "catalogue"
    release_id = _approved(catalogue, demo_bundle)
    monkeypatch.delenv("CKAN_API_TOKEN", raising=False)
    with pytest.raises(PublishError, match="CKAN_API_TOKEN is not set"):
        publish_release(catalogue, release_id, to=url)
    monkeypatch.setenv("CKAN_API_TOKEN", "wrong")
    with pytest.raises(PublishError, match=r"\(403\): Access denied") as caught:
        publish_release(catalogue, release_id, to=url)
    assert "editor rights" in str(caught.value)
    monkeypatch.setenv("CKAN_API_TOKEN", TOKEN)
    fake.fail_with = (
        409,
        {"success": False, "error": {"__type": "Validation Error", "owner_org": ["Missing value"]}},
    )
    with pytest.raises(PublishError, match=r"Validation Error.*owner_org"):
        publish_release(catalogue, release_id, to=url)
    fake.fail_with = None
    publish_release(catalogue, release_id, to=url)  # running again finishes the copy
    assert release_id.lower() in fake.packages
