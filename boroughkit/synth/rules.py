"""Structural rules declared with the schema and enforced when sampling.

A rule reads like ``when AGEP < 15 then MSP is missing``: both sides are one or more conditions
joined by ``and``; a row violates the rule when every ``when`` condition holds and some ``then``
condition does not. Conditions are ``COLUMN OP VALUE`` with OP one of ``< <= > >= == !=``, ``in``
/ ``not in`` a list, or ``is missing`` / ``is present``. Comparisons need a value: a missing
value satisfies only ``is missing`` (and ``!=`` / ``not in`` never hold on it).
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from boroughkit.errors import ConfigError

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
_ATOM = re.compile(
    r"^\s*(?P<column>[A-Za-z_][\w.]*)\s+"
    r"(?P<op>is missing|is present|not in|in|<=|>=|==|!=|<|>)\s*(?P<value>.*?)\s*$"
)
_EXAMPLE = "when AGEP < 15 then MSP is missing"


@dataclass(frozen=True)
class Condition:
    """``column op value``: one test on one column of a row."""

    column: str
    op: str
    value: Any = None

    def holds(self, data: pd.DataFrame) -> np.ndarray:
        """A boolean array: does the condition hold on each row."""
        series = data[self.column]
        present = series.notna().to_numpy()
        if self.op == "is missing":
            return ~present
        if self.op == "is present":
            return present
        if self.op in ("in", "not in"):
            inside = series.isin(list(self.value)).to_numpy()
            return present & (inside if self.op == "in" else ~inside)
        with np.errstate(invalid="ignore"):
            result = _COMPARE[self.op](series, self.value)
        return present & np.asarray(result, dtype=bool)

    def __str__(self) -> str:
        if self.op in ("is missing", "is present"):
            return f"{self.column} {self.op}"
        return f"{self.column} {self.op} {self.value!r}"


@dataclass(frozen=True)
class StructuralRule:
    """``when`` conditions imply ``then`` conditions, on every synthetic row."""

    when: tuple[Condition, ...]
    then: tuple[Condition, ...]
    text: str

    @classmethod
    def parse(cls, text: str) -> StructuralRule:
        """Parse ``when <conditions> then <conditions>`` (conditions joined by ``and``)."""
        match = re.fullmatch(r"\s*when\s+(?P<when>.+?)\s+then\s+(?P<then>.+?)\s*", text, re.I)
        if not match:
            raise ConfigError(
                f"structural rule {text!r} is not of the form 'when ... then ...'",
                fix=f"write it like {_EXAMPLE!r}",
            )
        when = tuple(_parse_condition(part, text) for part in _split_and(match["when"]))
        then = tuple(_parse_condition(part, text) for part in _split_and(match["then"]))
        return cls(when=when, then=then, text=" ".join(text.split()))

    @property
    def columns(self) -> set[str]:
        """Every column the rule mentions."""
        return {condition.column for condition in (*self.when, *self.then)}

    def violations(self, data: pd.DataFrame) -> np.ndarray:
        """A boolean array: does each row break the rule."""
        triggered = np.ones(len(data), dtype=bool)
        for condition in self.when:
            triggered &= condition.holds(data)
        satisfied = np.ones(len(data), dtype=bool)
        for condition in self.then:
            satisfied &= condition.holds(data)
        return triggered & ~satisfied


def parse_rules(rules: Iterable[str | StructuralRule]) -> tuple[StructuralRule, ...]:
    """Rules from text (or already parsed), in order."""
    return tuple(r if isinstance(r, StructuralRule) else StructuralRule.parse(r) for r in rules)


def violating_rows(data: pd.DataFrame, rules: Sequence[StructuralRule]) -> np.ndarray:
    """A boolean array: does each row break any rule."""
    bad = np.zeros(len(data), dtype=bool)
    for rule in rules:
        bad |= rule.violations(data)
    return bad


def count_violations(data: pd.DataFrame, rules: Sequence[StructuralRule]) -> dict[str, int]:
    """How many rows break each rule (rule text -> count)."""
    return {rule.text: int(rule.violations(data).sum()) for rule in rules}


def _split_and(text: str) -> list[str]:
    return [part for part in re.split(r"\s+and\s+", text, flags=re.I) if part.strip()]


def _parse_condition(text: str, rule: str) -> Condition:
    match = _ATOM.match(text)
    if not match:
        raise ConfigError(
            f"structural rule {rule!r}: cannot read the condition {text.strip()!r}",
            fix="use COLUMN OP VALUE with OP one of < <= > >= == != in, 'not in', "
            "'is missing', 'is present'",
        )
    op, raw = match["op"], match["value"]
    if op in ("is missing", "is present"):
        if raw:
            raise ConfigError(f"structural rule {rule!r}: nothing may follow {op!r}")
        return Condition(match["column"], op)
    value = _literal(raw, rule)
    if op in ("in", "not in"):
        if not isinstance(value, (list, tuple, set)):
            raise ConfigError(
                f"structural rule {rule!r}: {op!r} needs a list such as [2, 3]",
                fix="write the values in square brackets",
            )
        value = tuple(value)
    return Condition(match["column"], op, value)


def _literal(raw: str, rule: str) -> Any:
    if not raw:
        raise ConfigError(f"structural rule {rule!r}: a comparison has no value")
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        # A bare word is a category label, e.g. `tenure == social_rented`.
        return raw
