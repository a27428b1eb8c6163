"""The ``publish:`` section: where a release goes, who publishes it and under what governance.

Outside the built-in demo borough the publisher and governance blocks are required (checked by
:class:`boroughkit.config.models.PipelineConfig`, which knows the geography).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from boroughkit.config.common import ALL_FORMATS, PublishFormat, Strict, refuse

#: The geography of the built-in demo borough: the only one whose publisher and governance
#: may be left out (the demo's own values are used).
DEMO_BOUNDARIES = "builtin:demo"
DEMO_ORGANISATION = "Demo Borough Council"

_CONTACT = re.compile(r"^(?:[^@\s]+@[^@\s]+\.[^@\s]+|https?://[^\s/]+\.[^\s]+)$")

#: What a non-demo config adds to its ``publish:`` section, printed as the fix when it is missing.
PUBLISHER_EXAMPLE = """
    publish:
      publisher:
        organisation: London Borough of Camden
        contact: opendata@camden.gov.uk
      governance:
        dpia_reference: DPIA-2026-012
        legal_basis: UK GDPR Article 6(1)(e) public task
        data_controller: London Borough of Camden"""


class PublisherConfig(Strict):
    """Who publishes the release: named in every published file, the catalogue and the
    explorer."""

    organisation: str = Field(
        min_length=2, max_length=200, description="The council that publishes the release."
    )
    contact: str = Field(
        max_length=300,
        description="Where users of the data write to: an email address or a web page (https://).",
    )

    @field_validator("organisation")
    @classmethod
    def _organisation_named(cls, organisation: str) -> str:
        if not organisation.strip():
            raise refuse("is empty", "give the council's name, e.g. London Borough of Camden")
        return organisation.strip()

    @field_validator("contact")
    @classmethod
    def _email_or_url(cls, contact: str) -> str:
        contact = contact.strip()
        if not _CONTACT.match(contact):
            raise refuse(
                f"{contact!r} is neither an email address nor a web address",
                "give an email address such as opendata@camden.gov.uk, or a web page such as "
                "https://www.camden.gov.uk/open-data",
            )
        return contact


class GovernanceConfig(Strict):
    """The data protection record of the release, published in the transparency register,
    the catalogue and every manifest."""

    dpia_reference: str = Field(
        min_length=1,
        max_length=200,
        description="The reference of the data protection impact assessment covering the release.",
    )
    legal_basis: str = Field(
        min_length=1,
        max_length=500,
        description="The lawful basis for processing residents' records to produce it.",
    )
    data_controller: str = Field(
        min_length=1,
        max_length=200,
        description="The organisation that is the data controller of the records.",
    )

    @field_validator("dpia_reference", "legal_basis", "data_controller")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise refuse("is empty", "fill it in: the transparency register publishes it")
        return value.strip()


#: The demo's publisher and governance: the defaults, used on ``builtin:demo`` only.
DEMO_PUBLISHER = PublisherConfig(
    organisation=DEMO_ORGANISATION, contact="https://example.org/demo-borough"
)
DEMO_GOVERNANCE = GovernanceConfig(
    dpia_reference="none: the demo borough's residents are synthetic",
    legal_basis="none needed: no real resident's records are processed",
    data_controller=DEMO_ORGANISATION,
)


class PublishConfig(Strict):
    """Where and how the release is written, and who publishes it."""

    to: Path = Field(
        default=Path("catalogue"),
        description="The catalogue folder the release is staged in (relative to the config).",
    )
    ledger: Path | None = Field(
        default=None,
        description="The privacy-budget ledger, when it is not the catalogue's own.",
    )
    formats: list[PublishFormat] = Field(
        default_factory=lambda: list(ALL_FORMATS), description="The file formats to publish."
    )
    licence: Literal["OGL-3.0", "CC-BY-4.0", "CC0-1.0"] = Field(
        default="OGL-3.0", description="The licence every published file carries."
    )
    publisher: PublisherConfig = Field(
        default=DEMO_PUBLISHER,
        json_schema_extra={"reference_default": "required, except on builtin:demo"},
        description="Who publishes the release. Required unless the geography is builtin:demo.",
    )
    governance: GovernanceConfig = Field(
        default=DEMO_GOVERNANCE,
        json_schema_extra={"reference_default": "required, except on builtin:demo"},
        description="The DPIA, legal basis and data controller. Required unless the geography is "
        "builtin:demo.",
    )
    reference_date: date | None = Field(
        default=None,
        description="The date the figures describe (e.g. a snapshot date), when it is not the "
        "release date.",
    )
    target: str | None = Field(
        default=None,
        description="Where `boroughkit publish` also sends the release: an fsspec URL or "
        "ckan+https://host.",
    )

    @model_validator(mode="before")
    @classmethod
    def _old_keys_moved(cls, data: Any) -> Any:
        # Before the governance block these were flat keys, and the publisher a name.
        if not isinstance(data, dict):
            return data
        moved = [key for key in ("dpia_reference", "legal_basis") if key in data]
        if moved:
            raise refuse(
                f"{' and '.join(moved)} {'are' if len(moved) > 1 else 'is'} now a key of "
                "publish.governance, beside data_controller",
                "move it into the governance block, as in:" + PUBLISHER_EXAMPLE,
            )
        if isinstance(data.get("publisher"), str):
            raise refuse(
                "publisher is now a block with organisation and contact",
                "write it as in:" + PUBLISHER_EXAMPLE,
            )
        return data

    @field_validator("formats")
    @classmethod
    def _some_formats(cls, formats: list[PublishFormat]) -> list[PublishFormat]:
        if not formats:
            raise refuse(
                "lists no formats, so the release would publish no files",
                f"list at least one of {', '.join(ALL_FORMATS)}, or remove formats: "
                "to publish all three",
            )
        repeated = sorted({name for name in formats if formats.count(name) > 1})
        if repeated:
            raise refuse(f"lists {', '.join(repeated)} more than once", "list each format once")
        return formats
