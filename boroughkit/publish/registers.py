"""The public registers: the transparency register of releases and the data sharing register.

Both are kept in ``<catalogue>/registers/`` as CSV, JSON and HTML. The transparency register is
derived from the catalogue's current version (every release: what, when, method, budget, who
approved it, the DPIA and the legal basis). The data sharing register is a list of agreements
under which record-level extracts were issued; entries are only ever appended.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from boroughkit.errors import ConfigError
from boroughkit.publish.catalogue import REGISTERS
from boroughkit.publish.entry import CatalogueVersion
from boroughkit.publish.state import budget_statement
from boroughkit.publish.transaction import CatalogueTransaction, StepHook, catalogue_lock

TRANSPARENCY = "transparency"
DATA_SHARING = "data-sharing"
TRANSPARENCY_COLUMNS = {
    "release_id": "Release",
    "title": "What",
    "status": "Status",
    "published": "Published",
    "method": "Method",
    "privacy_budget": "Privacy budget",
    "population": "Budget of (residents)",
    "lifetime_budget": "Lifetime budget ρ",
    "spent_budget": "Spent after this release ρ",
    "ledger_entry": "Ledger entry",
    "approved_by": "Approved by",
    "approved_at": "Approved on",
    "dpia_reference": "DPIA reference",
    "legal_basis": "Legal basis",
    "data_controller": "Data controller",
    "contact": "Contact",
    "superseded_by": "Superseded by",
    "retracted_at": "Withdrawn on",
    "retraction_reason": "Reason for withdrawal",
}


@dataclass(frozen=True)
class DataSharingEntry:
    """One agreement under which record-level data left the council."""

    recipient_organisation: str
    purpose: str
    legal_basis: str
    agreement_reference: str
    approved_by: str
    date: dt.date
    expiry: dt.date
    data_description: str = ""
    release_id: str | None = None
    # Filled on a further row when the extract is withdrawn (e.g. the agreement was ended).
    withdrawn_on: dt.date | None = None
    withdrawal_reason: str = ""
    withdrawn_by: str = ""
    # Inconclusive findings of the disclosure gate the approver accepted by name (ids, no
    # figures), separated by "; ".
    accepted_findings: str = ""

    def check(self) -> None:
        """Refuse an incomplete or inconsistent entry, naming the field."""
        for name in (
            "recipient_organisation",
            "purpose",
            "legal_basis",
            "agreement_reference",
            "approved_by",
        ):
            if not str(getattr(self, name)).strip():
                raise ConfigError(
                    f"data sharing entry: '{name}' is empty",
                    fix=f"fill in {name}; the register is public",
                )
        if self.expiry < self.date:
            raise ConfigError(
                f"data sharing entry: expiry {self.expiry} is before the date {self.date}",
                fix="give the date the agreement ends, after the date it was made",
            )

    def to_row(self) -> dict[str, str]:
        """The entry as register text."""
        return {key: "" if value is None else str(value) for key, value in asdict(self).items()}


def transparency_rows(version: CatalogueVersion) -> list[dict[str, str]]:
    """One row per release of a catalogue version."""
    rows = []
    for entry in version.releases:
        retraction = entry.retraction
        budget = entry.budget or {}
        values = {
            "release_id": entry.id,
            "title": entry.title,
            "status": entry.status,
            "published": entry.published,
            "method": entry.method,
            "privacy_budget": budget_statement(entry.privacy),
            "population": budget.get("population", ""),
            "lifetime_budget": budget.get("lifetime_rho", ""),
            "spent_budget": budget.get("spent_rho_including_this_release", ""),
            "ledger_entry": budget.get("ledger_entry", ""),
            "approved_by": entry.approved_by,
            "approved_at": entry.approved_at,
            "dpia_reference": entry.dpia_reference or "not recorded",
            "legal_basis": entry.legal_basis or "not recorded",
            "data_controller": entry.data_controller or "not recorded",
            "contact": entry.contact or "not recorded",
            "superseded_by": entry.superseded_by or "",
            "retracted_at": retraction.at if retraction else "",
            "retraction_reason": retraction.reason if retraction else "",
        }
        rows.append({key: str(value) for key, value in values.items()})
    return rows


def _csv(rows: Sequence[Mapping[str, str]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _html(
    title: str, intro: str, rows: Sequence[Mapping[str, str]], columns: Mapping[str, str]
) -> str:
    head = "".join(f'<th scope="col">{html.escape(label)}</th>' for label in columns.values())
    body = (
        "".join(
            "<tr>"
            + "".join(f"<td>{html.escape(row.get(key, ''))}</td>" for key in columns)
            + "</tr>"
            for row in rows
        )
        or f'<tr><td colspan="{len(columns)}">No entries yet.</td></tr>'
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2rem;color:#1a1a1a;background:#fff}"
        "table{border-collapse:collapse;width:100%}th,td{border:1px solid #6b6b6b;"
        "padding:.4rem;text-align:left;vertical-align:top}th{background:#e8eef4}"
        "caption{text-align:left;font-weight:600;padding:.5rem 0}</style></head><body>"
        f"<main><h1>{html.escape(title)}</h1><p>{html.escape(intro)}</p>"
        f"<table><caption>{html.escape(title)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></main></body></html>\n"
    )


def register_files(
    name: str, title: str, intro: str, rows: Sequence[Mapping[str, str]], columns: Mapping[str, str]
) -> dict[str, str]:
    """The CSV, JSON and HTML text of one register, by path relative to the catalogue."""
    document = {"register": title, "description": intro, "entries": list(rows)}
    return {
        f"{REGISTERS}/{name}.csv": _csv(rows, list(columns)),
        f"{REGISTERS}/{name}.json": json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        f"{REGISTERS}/{name}.html": _html(title, intro, rows, columns),
    }


def transparency_files(version: CatalogueVersion) -> dict[str, str]:
    """The transparency register of a catalogue version."""
    intro = (
        "Every release of open data about residents: what was published, when, how it was "
        "protected, who approved it, and on what legal basis."
    )
    return register_files(
        TRANSPARENCY,
        "Transparency register",
        intro,
        transparency_rows(version),
        TRANSPARENCY_COLUMNS,
    )


def data_sharing_entries(catalogue: Path) -> list[dict[str, str]]:
    """Entries of the data sharing register so far."""
    path = catalogue / REGISTERS / f"{DATA_SHARING}.json"
    if not path.exists():
        return []
    return list(json.loads(path.read_text(encoding="utf-8"))["entries"])


def data_sharing_files(entries: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """The data sharing register with ``entries``."""
    columns = {
        field.name: field.name.replace("_", " ").capitalize() for field in fields(DataSharingEntry)
    }
    intro = (
        "Record-level data shared with other organisations: who received it, why, under "
        "which agreement and legal basis, who approved it and until when."
    )
    return register_files(DATA_SHARING, "Data sharing register", intro, entries, columns)


def append_data_sharing_entry(
    catalogue: Path, entry: DataSharingEntry, *, on_step: StepHook | None = None
) -> Path:
    """Append ``entry`` to the catalogue's data sharing register (all formats, atomically);
    ``on_step`` is told each step of the change."""
    entry.check()
    with catalogue_lock(catalogue):
        entries = [*data_sharing_entries(catalogue), entry.to_row()]
        change = CatalogueTransaction(catalogue, on_step=on_step)
        try:
            for relative, text in data_sharing_files(entries).items():
                change.write_text(relative, text)
            change.commit()
        except BaseException:
            change.abort()
            raise
    return catalogue / REGISTERS / f"{DATA_SHARING}.json"
