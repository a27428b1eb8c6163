"""Read YAML keeping the line of every key, refusing duplicate keys, within fixed limits.

PyYAML silently keeps the last of two equal keys; a council config with two ``budget:`` lines
must be an error instead, so we compose the node tree and build plain values ourselves.

A config is small, so it is read with limits that no real one comes near: its size
(:data:`MAX_CONFIG_BYTES`), how deeply it nests (:data:`MAX_NESTING`), and how many values it
stands for once its aliases are expanded (:data:`MAX_VALUES`). The limits are checked while the
YAML is composed, before anything is expanded, so an alias that contains itself or a "billion
laughs" bomb is refused in milliseconds, naming its line, instead of recursing or filling memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from boroughkit.errors import ConfigError

Location = tuple[str | int, ...]

#: The largest config file read, in bytes (the example configs are about 1 kB).
MAX_CONFIG_BYTES = 1_000_000
#: The deepest nesting of lists and mappings, counted after aliases are expanded.
MAX_NESTING = 64
#: The most values (scalars, lists and mappings) a config may stand for once its aliases are
#: expanded.
MAX_VALUES = 100_000


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
    """Parse ``path`` into plain data with key lines.

    ConfigError on an unreadable or oversized file, a syntax error, a duplicate key, a value
    PyYAML cannot build, or a document beyond the nesting and alias-expansion limits.
    """
    text = _read_text(path)
    loader: _LimitedLoader | None = None
    try:
        # The reader refuses control characters as soon as it is made: inside the try.
        loader = _LimitedLoader(text, path)
        node = loader.get_single_node()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(error, "problem", None) or str(error)
        if getattr(error, "context", None) == "expected a single document in the stream":
            problem = "a second document begins here (---): a config is one YAML document"
        raise ConfigError(f"{where}: invalid YAML: {problem}", fix="fix the YAML syntax") from error
    finally:
        if loader is not None:
            loader.dispose()
    document = YamlDocument(path=path, data=None)
    if node is None:
        raise ConfigError(f"{path}: the config is empty", fix="see configs/ for examples")
    document.data = _build(node, (), document, yaml.SafeLoader(""))
    return document


def _read_text(path: Path) -> str:
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError as error:
        raise ConfigError(f"{path}: config file not found", fix="check the path") from error
    except IsADirectoryError as error:
        raise ConfigError(
            f"{path}: is a folder, not a config file", fix="give the path of the YAML config file"
        ) from error
    except (OSError, ValueError) as error:  # permissions, name too long, a NUL byte, ...
        reason = getattr(error, "strerror", None) or str(error)
        raise ConfigError(
            f"{str(path)[:200]}: the config cannot be read ({reason})",
            fix="check the path and that you may read the file",
        ) from error
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path}: the config is larger than {MAX_CONFIG_BYTES:,} bytes (1 MB), the limit for "
            "a config file",
            fix="a pipeline config is a few kilobytes of YAML: check that this is the config and "
            "not a data file, and give large inputs as files under source: instead",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text", fix="save the config as UTF-8") from error


class _LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe composer, measuring every node as it is composed.

    Each node's expanded size (itself and everything under it, an alias counting as the whole
    value it names) and expanded depth are computed from its children's, which are already
    known: an alias can only name a finished node, unless it names one that contains it, which
    is refused. So the work is linear in the text, whatever the aliases would expand to.
    """

    def __init__(self, text: str, path: Path) -> None:
        super().__init__(text)
        self._path = path
        self._depth = 0
        self._composed = 0
        self._open_anchors: set[str] = set()
        self._measures: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth)

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in the stubs
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open_anchors:
                raise ConfigError(
                    f"{self._path}:{line}: the alias *{event.anchor} is "
                    f"inside the value it refers to (&{event.anchor}), so it would never end",
                    fix=f"write out the values *{event.anchor} should stand for, or refer to an "
                    "anchor defined elsewhere",
                )
            return super().compose_node(parent, index)
        if isinstance(event, yaml.CollectionStartEvent) and self._depth >= MAX_NESTING:
            raise self._too_deep(line)
        self._composed += 1
        if self._composed > MAX_VALUES:  # a long flat list: stop before reading all of it
            raise self._too_many(line)
        anchor = event.anchor
        if anchor is not None:
            self._open_anchors.add(anchor)
        self._depth += 1
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._open_anchors.discard(anchor or "")
        if node is not None:
            self._measure(node, line)
        return node

    def _measure(self, node: yaml.Node, line: int) -> None:
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        values, depth = 1, 0
        for child in children:
            child_values, child_depth = self._measures[id(child)]
            values += child_values
            depth = max(depth, child_depth)
        if isinstance(node, yaml.CollectionNode):
            depth += 1
        if values > MAX_VALUES:
            raise self._too_many(line)
        if depth > MAX_NESTING:
            raise self._too_deep(line)
        self._measures[id(node)] = (values, depth)

    def _too_many(self, line: int) -> ConfigError:
        return ConfigError(
            f"{self._path}:{line}: this value stands for more than {MAX_VALUES:,} values (lists, "
            "mappings and single values, counting those its aliases *name stand for), the "
            "limit for a config",
            fix="a pipeline config has a few hundred values at most: remove the extra values, "
            "or use fewer aliases of aliases",
        )

    def _too_deep(self, line: int) -> ConfigError:
        return ConfigError(
            f"{self._path}:{line}: lists and mappings are nested more than {MAX_NESTING} levels "
            "deep here (counting the values aliases stand for), the limit for a config",
            fix="a pipeline config needs only a few levels: remove the extra nesting",
        )


def _build(
    node: yaml.Node, location: Location, document: YamlDocument, constructor: yaml.SafeLoader
) -> Any:
    document.lines.setdefault(location, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError(
                    f"{document.path}:{line}: a key must be a plain name, not a list or mapping",
                    fix="write the key as a plain word",
                )
            key = str(key_node.value)
            if key in result:
                first = document.lines.get((*location, key))
                raise ConfigError(
                    f"{document.path}:{line}: duplicate key '{key}' (first given on line {first})",
                    fix=f"keep one '{key}'",
                )
            document.lines[(*location, key)] = line
            result[key] = _build(value_node, (*location, key), document, constructor)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*location, index), document, constructor)
            for index, item in enumerate(node.value)
        ]
    return _scalar(node, document, constructor)


def _scalar(node: yaml.Node, document: YamlDocument, constructor: yaml.SafeLoader) -> Any:
    """A scalar through PyYAML's own type resolution (numbers, booleans, dates, null)."""
    try:
        return constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as error:
        # e.g. a date that does not exist (2024-02-30), an integer of thousands of digits
        problem = getattr(error, "problem", None) or str(error)
        if "int_max_str_digits" in problem:
            problem = "a number with thousands of digits"
        text = str(node.value)
        shown = text if len(text) <= 40 else f"{text[:40]}..."
        raise ConfigError(
            f"{document.path}:{node.start_mark.line + 1}: cannot read the value {shown!r}: "
            f"{problem}",
            fix="correct the value, or put it in quotes to give it as text",
        ) from None
