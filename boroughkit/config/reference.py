"""The config reference: Markdown generated from the config models, so that it cannot drift.

:func:`model_reference` walks a pipeline model (``boroughkit.methods.CONFIG_MODEL``, which
knows every release method's section; see ``boroughkit.pipeline.config_reference``) and lists
every key of every section with its type, default and description. :func:`splice` puts the
text between the README's markers.
"""

from __future__ import annotations

import enum
import types
import typing
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from boroughkit.privacy.budget import Rho

START = "<!-- config-reference:start -->"
END = "<!-- config-reference:end -->"
#: How to bring the README up to date after changing a config model.
REGENERATE = "python3 -m boroughkit.pipeline.config_reference --write README.md"

_SCALARS: dict[Any, str] = {
    str: "text",
    int: "whole number",
    float: "number",
    bool: "true or false",
    Fraction: "number",
    Rho: "number (ρ)",
    Path: "path",
    date: "date (YYYY-MM-DD)",
    type(None): "none",
}


@dataclass(frozen=True)
class _Section:
    key: str
    model: type[BaseModel]
    note: str = ""


def model_reference(model: type[BaseModel]) -> str:
    """Markdown listing every key of ``model`` and of the models within it, section by section:
    one table per section (key, type, default, description)."""
    pending = [_Section(key, sub, note) for key, sub, note in _nested("", model)]
    top = _table(model, "")
    parts = [top]
    while pending:
        section = pending.pop(0)
        heading = f"#### `{section.key}`" + (f" ({section.note})" if section.note else "")
        parts.append(
            "\n".join(
                [heading, "", _docstring(section.model), "", _table(section.model, section.key)]
            )
        )
        pending[0:0] = [
            _Section(key, sub, note) for key, sub, note in _nested(section.key, section.model)
        ]
    return "\n\n".join(parts) + "\n"


def splice(text: str, generated: str) -> str:
    """``text`` with everything between :data:`START` and :data:`END` replaced by
    ``generated``; a ValueError when the markers are missing or out of order."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the markers {START} and {END} are missing or out of order")
    return text[: start + len(START)] + "\n" + generated + text[end:]


def section_of(text: str) -> str:
    """What stands between the markers of ``text`` (as :func:`splice` writes it)."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the markers {START} and {END} are missing or out of order")
    return text[start + len(START) + 1 : end]


def _nested(prefix: str, model: type[BaseModel]) -> list[tuple[str, type[BaseModel], str]]:
    """The sections within ``model``: each field holding a model (or a list, mapping or union
    of models), with the key its section is listed under."""
    found: list[tuple[str, type[BaseModel], str]] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}.{name}" if prefix else name
        annotation = field.annotation
        for shape, sub in _models_within(annotation):
            method = _method_of(sub)
            note = f"method: {method}" if method else ""
            found.append((key + shape, sub, note))
    return found


def _models_within(annotation: Any, shape: str = "") -> list[tuple[str, type[BaseModel]]]:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(shape, annotation)]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple) and args:
        return _models_within(args[0], shape + "[]")
    if origin is dict and len(args) == 2:
        return _models_within(args[1], shape + ".<name>")
    if origin in (typing.Union, types.UnionType):
        return [found for arg in args for found in _models_within(arg, shape)]
    return []


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _method_of(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("method")
    args = typing.get_args(field.annotation) if field else ()
    return str(args[0]) if len(args) == 1 else None


def _docstring(model: type[BaseModel]) -> str:
    return " ".join((model.__doc__ or "").split())


def _table(model: type[BaseModel], prefix: str) -> str:
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        key = f"{prefix}.{name}" if prefix else name
        cells = (f"`{key}`", _type_text(field.annotation), _default(field), _describe(field))
        rows.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(rows)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _describe(field: FieldInfo) -> str:
    return field.description or ""


def _type_text(annotation: Any) -> str:
    annotation = _unwrap(annotation)
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        method = _method_of(annotation)
        return f"section (method: {method})" if method else "section (below)"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "one of " + ", ".join(f"`{member.value}`" for member in annotation)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        return (
            ("`" if len(args) == 1 else "one of ")
            + ", ".join(f"`{arg}`" if len(args) > 1 else str(arg) for arg in args)
            + ("`" if len(args) == 1 else "")
        )
    if origin is list:
        return f"list of {_type_text(args[0])}"
    if origin is tuple:
        inner = args[0] if args and all(arg == args[0] for arg in args) else Any
        return f"list of {len(args)} × {_type_text(inner)}"
    if origin is dict:
        return f"mapping of {_type_text(args[0])} → {_type_text(args[1])}"
    if origin in (typing.Union, types.UnionType):
        kept = [arg for arg in args if arg is not type(None)]
        text = " or ".join(dict.fromkeys(_type_text(arg) for arg in kept))
        return f"{text} (optional)" if len(kept) < len(args) else text
    return getattr(annotation, "__name__", str(annotation))


def _default(field: FieldInfo) -> str:
    extra = field.json_schema_extra
    if isinstance(extra, dict) and "reference_default" in extra:
        return str(extra["reference_default"])
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "required"
    else:
        value = field.default
    return _value_text(value)


def _value_text(value: Any) -> str:
    if value is None:
        return "none"
    if value == "":
        return "empty"
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, enum.Enum):
        return f"`{value.value}`"
    if isinstance(value, Rho):
        return f"`{value.to_json()}`"
    if isinstance(value, list | tuple):
        return "`[" + ", ".join(str(item) for item in value) + "]`" if value else "`[]`"
    if isinstance(value, dict):
        return "`{}`" if not value else f"`{value}`"
    return f"`{value}`"
