"""Read YAML keeping the line of every key, and refusing duplicate keys.

PyYAML silently keeps the last of two equal keys; a council config with two ``budget:`` lines
must be an error instead, so we compose the node tree and build plain values ourselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from boroughkit.errors import ConfigError

Location = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """Plain data from a YAML file plus the line (1-based) of every key path."""

    path: Path
    data: Any
    lines: dict[Location, int] = field(default_factory=dict)

    def line_of(self, location: Location) -> int | None:
        """The line of ``location`` or of its nearest ancestor that has one."""
        for end in range(len(location), -1, -1):
            line = self.lines.get(tuple(location[:end]))
            if line is not None:
                return line
        return None


def read_yaml(path: Path) -> YamlDocument:
    """Parse ``path`` into plain data with key lines; ConfigError on syntax or duplicate keys."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ConfigError(f"{path}: config file not found", fix="check the path") from error
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text", fix="save the config as UTF-8") from error
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(f"{where}: invalid YAML: {problem}", fix="fix the YAML syntax") from error
    document = YamlDocument(path=path, data=None)
    if node is None:
        raise ConfigError(f"{path}: the config is empty", fix="see configs/ for examples")
    document.data = _build(node, (), document)
    return document


def _build(node: yaml.Node, location: Location, document: YamlDocument) -> Any:
    document.lines.setdefault(location, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in result:
                first = document.lines.get((*location, key))
                raise ConfigError(
                    f"{document.path}:{key_node.start_mark.line + 1}: duplicate key '{key}'"
                    f" (first given on line {first})",
                    fix=f"keep one '{key}'",
                )
            document.lines[(*location, key)] = key_node.start_mark.line + 1
            result[key] = _build(value_node, (*location, key), document)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*location, index), document) for index, item in enumerate(node.value)]
    return yaml.SafeLoader(  # scalars: reuse PyYAML's own type resolution
        ""
    ).construct_object(node, deep=True)
