"""Load a pipeline config: YAML → validated models, with errors that name file, line and fix."""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from boroughkit.config.models import PipelineConfig
from boroughkit.config.yaml_source import Location, YamlDocument, read_yaml
from boroughkit.errors import ConfigError


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config and where it came from (relative paths resolve against base_dir)."""

    config: PipelineConfig
    path: Path | None
    base_dir: Path

    def resolve(self, path: Path | str) -> Path:
        """An input or output path made absolute relative to the config file's folder."""
        path = Path(path)
        if path.is_absolute():
            return path
        try:
            return (self.base_dir / path).resolve()
        except (OSError, RuntimeError, ValueError):
            # A symlink loop, a NUL byte, a path too long: whoever opens it says what is wrong.
            return self.base_dir / path


def read_config(
    path: str | Path, model: type[PipelineConfig], overrides: dict[str, Any] | None = None
) -> LoadedConfig:
    """Read a pipeline config file and validate it against ``model``.

    ``model`` is the pipeline model with ``release`` narrowed to the registered release methods
    (:data:`boroughkit.methods.CONFIG_MODEL`); use :func:`boroughkit.load_config`.
    ``overrides`` maps dotted keys (``"publish.to"``) to values that replace the file's; the demo
    uses it to point example configs at generated data.
    """
    path = Path(path)
    document = read_yaml(path)
    if not isinstance(document.data, dict):
        raise ConfigError(f"{path}:1: the config must be a mapping of keys such as name, source")
    data = document.data
    for dotted, value in (overrides or {}).items():
        _set_dotted(data, dotted.split("."), value)
    try:
        config = model.model_validate(data)
    except ValidationError as error:
        raise ConfigError(
            _describe(error, document, model), fix=_first_fix(error, document, model)
        ) from None
    return LoadedConfig(config=config, path=path.resolve(), base_dir=path.resolve().parent)


def _set_dotted(data: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        data = data.setdefault(key, {})
    data[keys[-1]] = value


def _describe(error: ValidationError, document: YamlDocument, model: type[BaseModel]) -> str:
    items = error.errors()
    # One problem: its hint is the error's fix, printed once below it.
    problems = [_one_problem(item, document, model, with_hint=len(items) > 1) for item in items]
    head = f"{document.path}: {len(problems)} problem(s) in the config"
    return "\n".join([head, *(f"  {problem}" for problem in problems)])


def _first_fix(error: ValidationError, document: YamlDocument, model: type[BaseModel]) -> str:
    hints = [_hint(item, document, model) for item in error.errors()]
    return next((hint for hint in hints if hint), "see configs/ for valid examples")


def _yaml_location(location: Location, data: Any) -> Location:
    """Drop pydantic's union-tag parts so the location matches the YAML keys."""
    kept: list[str | int] = []
    for part in location:
        if isinstance(data, dict):
            found = part in data
        else:
            found = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if found:
            data = data[part]
            kept.append(part)
    return tuple(kept)


def _one_problem(
    item: Any, document: YamlDocument, model: type[BaseModel], *, with_hint: bool = True
) -> str:
    location = _yaml_location(tuple(item["loc"]), document.data)
    line = document.line_of(location)
    key = _dotted(item["loc"])
    message = str(item["msg"]).removeprefix("Value error, ")
    if item["type"] == "extra_forbidden":
        allowed = sorted(_model_at(tuple(item["loc"][:-1]), model).model_fields)
        message = f"unknown key; allowed here: {', '.join(allowed)}"
    hint = _hint(item, document, model) if with_hint else ""
    suffix = f" ({hint})" if hint else ""
    return f"line {line}: {key}: {message}{suffix}"


def _dotted(loc: Any) -> str:
    """``release.tables[0].levels[1]``, without pydantic's union tags."""
    text = ""
    for index, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
        elif not (index == 1 and loc[0] == "release" and "-" in str(part)):
            text += f".{part}" if text else str(part)
    return text


# What to write instead, for pydantic's own type, range and length errors (``ctx`` fills the
# gaps).
_FIXES = {
    "missing": "add {key}:",
    "string_type": "write it as text, in quotes if it looks like a number, yes/no or a date",
    "int_type": "give a whole number such as 1",
    "int_parsing": "give a whole number such as 1",
    "int_from_float": "give a whole number such as 1",
    "float_type": "give a number such as 0.5",
    "float_parsing": "give a number such as 0.5",
    "bool_type": "give true or false",
    "bool_parsing": "give true or false",
    "list_type": "give a list, e.g. [a, b]",
    "dict_type": "give a mapping of keys and values",
    "model_type": "give a mapping of keys and values",
    "greater_than": "give a number more than {gt}",
    "greater_than_equal": "give a number of at least {ge}",
    "less_than": "give a number below {lt}",
    "less_than_equal": "give a number of at most {le}",
    "too_short": "give at least {min_length} item(s)",
    "too_long": "give at most {max_length} item(s)",
    "string_too_short": "give at least {min_length} character(s)",
    "string_too_long": "give at most {max_length} characters",
    "finite_number": "give a finite number (not .nan or .inf)",
}


def _hint(item: Any, document: YamlDocument, model: type[BaseModel]) -> str:
    loc = tuple(item["loc"])
    context = item.get("ctx") or {}
    if "fix" in context:  # a boroughkit check that says how to fix itself (common.refuse)
        return str(context["fix"])
    if item["type"] in _FIXES:
        try:
            return _FIXES[item["type"]].format(key=loc[-1] if loc else "it", **context)
        except (KeyError, IndexError, TypeError, ValueError):
            return ""
    if item["type"] == "extra_forbidden":
        allowed = list(_model_at(loc[:-1], model).model_fields)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        return f"did you mean '{close[0]}'?" if close else ""
    if item["type"] in {"literal_error", "union_tag_invalid", "enum"}:
        expected = re.findall(r"'([^']*)'", str((item.get("ctx") or {}).get("expected", "")))
        close = difflib.get_close_matches(str(item.get("input")), expected, n=1)
        return f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(expected)}"
    return ""


def _model_at(location: Location, root: type[BaseModel]) -> type[BaseModel]:
    """The pydantic model that validates the mapping at ``location`` under ``root``."""
    model: type[BaseModel] = root
    pending: Any = None
    for part in location:
        candidates = _models_in(pending) if pending is not None else []
        if candidates:
            model = next((c for c in candidates if _tag_of(c) == part), candidates[0])
            pending = None
            if _tag_of(model) == part:
                continue
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return model
        pending = field.annotation
        inner = _models_in(pending)
        if len(inner) == 1:
            model, pending = inner[0], None
    return model


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found += _models_in(arg)
    if isinstance(annotation, types.UnionType):
        return found
    return found


def _tag_of(model: type[BaseModel]) -> Any:
    field = model.model_fields.get("method")
    args = typing.get_args(field.annotation) if field else ()
    return args[0] if args else None
