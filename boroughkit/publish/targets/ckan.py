"""Publish releases to a CKAN portal through its Action API (``/api/3/action/...``).

Each release becomes a CKAN dataset (``package_create``) named after its id, with one resource
per file uploaded as multipart form data (``resource_create``). Status changes (superseded,
withdrawn) are sent with ``package_revise``. The API token comes from ``CKAN_API_TOKEN``; the
owning organisation from ``?owner_org=`` on the URL or ``CKAN_OWNER_ORG``. Running the copy again
creates whatever is missing, so an interrupted copy can be finished.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from boroughkit.errors import PublishError
from boroughkit.publish.datapackage import OPEN_DEFINITION_IDS
from boroughkit.publish.entry import CatalogueEntry, ReleaseStatus
from boroughkit.publish.state import budget_statement, read_index

TOKEN_ENV = "CKAN_API_TOKEN"
ORG_ENV = "CKAN_OWNER_ORG"
CKAN_LICENCES = {"OGL-3.0": "OGL-UK-3.0", "CC-BY-4.0": "cc-by", "CC0-1.0": "cc-zero"}


class CkanPortal:
    """A small client of CKAN's Action API: JSON calls and multipart uploads."""

    def __init__(self, base_url: str, token: str, timeout: float = 60) -> None:
        self.base_url, self.token, self.timeout = base_url.rstrip("/"), token, timeout

    def call(self, action: str, payload: Mapping[str, Any]) -> Any:
        """POST a JSON body to an action and return its ``result``."""
        body = json.dumps(payload).encode("utf-8")
        return self._send(action, body, "application/json")

    def upload(self, action: str, fields: Mapping[str, str], path: Path, media_type: str) -> Any:
        """POST form fields and one file (field ``upload``) as multipart/form-data."""
        boundary = f"boroughkit-{secrets.token_hex(12)}"
        disposition = "Content-Disposition: form-data; name="
        parts = [
            f'--{boundary}\r\n{disposition}"{key}"\r\n\r\n{value}\r\n'.encode()
            for key, value in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; '
            f'filename="{path.name}"\r\nContent-Type: {media_type}\r\n\r\n'.encode()
            + path.read_bytes()
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self._send(action, body, f"multipart/form-data; boundary={boundary}")

    def show(self, name: str) -> dict[str, Any] | None:
        """``package_show``, or None when the portal has no such dataset."""
        try:
            result: dict[str, Any] = self.call("package_show", {"id": name})
        except PublishError as error:
            if "(404)" in error.message:
                return None
            raise
        return result

    def _send(self, action: str, body: bytes, content_type: str) -> Any:
        url = f"{self.base_url}/api/3/action/{action}"
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Authorization": self.token,
                "Content-Type": content_type,
                "User-Agent": "boroughkit",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            raise PublishError(
                f"CKAN {action} at {self.base_url} failed ({error.code}): {_message(error)}",
                fix=_fix_for(error.code),
            ) from error
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise PublishError(
                f"cannot reach CKAN at {self.base_url} ({error})",
                fix="check the URL after ckan+ and the network",
            ) from error
        if not reply.get("success"):
            raise PublishError(
                f"CKAN {action} refused: {reply.get('error')}",
                fix="read the portal's message above",
            )
        return reply["result"]


def _message(error: urllib.error.HTTPError) -> str:
    try:
        detail = json.loads(error.read().decode("utf-8")).get("error", {})
    except (ValueError, OSError):
        return error.reason or "no details"
    fields = {k: v for k, v in detail.items() if k not in ("__type", "message")}
    text = detail.get("message") or detail.get("__type") or "no details"
    return f"{text} {json.dumps(fields)}" if fields else str(text)


def _fix_for(code: int) -> str:
    if code in (401, 403):
        return f"check that {TOKEN_ENV} holds a valid token with editor rights on the organisation"
    if code == 409:
        return "the portal refused the metadata; see its message (e.g. set ?owner_org=)"
    return "check the portal is a CKAN site and try again"


def package_name(release_id: str) -> str:
    """A valid CKAN dataset name (lowercase, 2-100 characters of a-z 0-9 - _)."""
    return re.sub(r"[^a-z0-9_-]", "-", release_id.lower())[:100]


def _extras(entry: CatalogueEntry) -> list[dict[str, str]]:
    values = {
        "boroughkit_release_id": entry.id,
        "status": entry.status,
        "superseded_by": entry.superseded_by or "",
        "method": entry.method,
        "privacy_budget": budget_statement(entry.privacy),
        "approved_by": entry.approved_by,
        "dpia_reference": entry.dpia_reference or "",
        "legal_basis": entry.legal_basis or "",
        "data_controller": entry.data_controller or "",
        "contact": entry.contact,
        "withdrawn_reason": entry.retraction.reason if entry.retraction else "",
    }
    return [{"key": key, "value": str(value)} for key, value in values.items()]


_TITLE_PREFIXES = {
    ReleaseStatus.SUPERSEDED: "[Superseded] ",
    ReleaseStatus.RETRACTED: "[Withdrawn] ",
}


def _title(entry: CatalogueEntry) -> str:
    prefix = _TITLE_PREFIXES.get(entry.listed_status, "")
    return f"{prefix}{entry.title} ({entry.id})"


def _package(entry: CatalogueEntry, owner_org: str | None) -> dict[str, Any]:
    licence = (entry.licence or {}).get("id", "")
    package = {
        "name": package_name(entry.id),
        "title": _title(entry),
        "notes": f"{entry.description}\n\n{entry.method_statement}".strip(),
        "license_id": CKAN_LICENCES.get(licence, OPEN_DEFINITION_IDS.get(licence, licence)),
        "version": entry.id,
        "tags": [{"name": "residents"}, {"name": entry.method or "open-data"}],
        "extras": _extras(entry),
    }
    if owner_org:
        package["owner_org"] = owner_org
    return package


def _upload_missing(
    portal: CkanPortal, package: Mapping[str, Any], folder: Path, entry: CatalogueEntry
) -> int:
    have = {resource.get("name") for resource in package.get("resources", [])}
    count = 0
    for item in entry.files:
        if item.path in have:
            continue
        fields = {
            "package_id": str(package["id"]),
            "name": item.path,
            "format": item.format.upper(),
            "mimetype": item.media_type,
            "hash": f"sha256:{item.sha256}",
            "description": f"{item.table or 'metadata'} "
            f"{'by ' + item.level if item.level else ''}".strip(),
        }
        portal.upload("resource_create", fields, folder / item.path, item.media_type)
        count += 1
    return count


def push_to_ckan(catalogue: Path, url: str) -> list[str]:
    """Create or update a CKAN dataset for every release the catalogue lists."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise PublishError(
            f"{TOKEN_ENV} is not set",
            fix=f"export {TOKEN_ENV}=<API token from your CKAN user page>",
        )
    parsed = urllib.parse.urlsplit(url)
    owner_org = urllib.parse.parse_qs(parsed.query).get("owner_org", [None])[0]
    portal = CkanPortal(urllib.parse.urlunsplit(parsed._replace(query="")), token)
    owner_org = owner_org or os.environ.get(ORG_ENV) or None
    index = read_index(catalogue)
    if index is None:
        raise PublishError(
            f"{catalogue}: nothing has been published yet",
            fix="publish a release before copying it to CKAN",
        )
    notes = []
    for entry in index.releases:
        name = package_name(entry.id)
        package = portal.show(name)
        retracted = entry.status == ReleaseStatus.RETRACTED
        if package is None and retracted:
            continue  # never reached the portal: nothing to withdraw
        if package is None:
            package = portal.call("package_create", _package(entry, owner_org))
            notes.append(f"created CKAN dataset {name}")
        if not retracted:
            uploaded = _upload_missing(portal, package, catalogue / entry.path, entry)
            if uploaded:
                notes.append(f"uploaded {uploaded} file(s) to {name}")
        extras = {item["key"]: item["value"] for item in package.get("extras", [])}
        if extras.get("status") != entry.status or package.get("title") != _title(entry):
            update = {"title": _title(entry), "extras": _extras(entry)}
            portal.call("package_revise", {"match": {"name": name}, "update": update})
            notes.append(f"marked {name} as {entry.status}")
    return notes
