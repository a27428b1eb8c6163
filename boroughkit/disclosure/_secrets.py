"""The secrets the leak scan looks for, sorted by shape, and which are too common to search.

See :mod:`boroughkit.disclosure.leaks` for the rule; this module only prepares the values.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from boroughkit.errors import DataError

#: A token of text: letters and digits, optionally joined by ``- _ ' . @ / +``.
TOKEN = re.compile(r"[^\W_]+(?:[-_'.@/+][^\W_]+)*")
FULL_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")
_DIGIT = re.compile(r"\d")

#: A secret found: its kind and its case-folded value (never shown; only hashed in findings).
Hit = tuple[str, str]


@dataclass(frozen=True)
class Present:
    """What the scanned files hold: every case-folded token and run of letters and digits, and
    every postcode (spaces removed, upper case); a secret matching none cannot be found."""

    tokens: frozenset[str]
    postcodes: frozenset[str]


@dataclass
class SecretIndex:
    """The distinctive secrets by shape (value → kind), and counts of what was left out."""

    tokens: dict[str, str] = field(default_factory=dict)
    postcodes: dict[str, Hit] = field(default_factory=dict)
    phrases: dict[str, list[tuple[tuple[str, ...], int, Hit]]] = field(default_factory=dict)
    canaries: list[Hit] = field(default_factory=list)
    searched: Counter[str] = field(default_factory=Counter)
    too_short: Counter[str] = field(default_factory=Counter)
    public: Counter[str] = field(default_factory=Counter)
    present: Present | None = None


def build_secret_index(
    secrets: Mapping[str, Iterable[Any]],
    *,
    public_values: Iterable[str] = (),
    min_length: int = 6,
    min_digits: int = 8,
    min_phrase_length: int = 10,
    present: Present | None = None,
) -> SecretIndex:
    """Sort each secret value into the matcher for its shape (see the module docstring).

    ``present``: the tokens and postcodes the files to scan hold. Every value is still counted
    (searched, too short or public), but only values that could match one of them are kept, so
    millions of ids from a large input cost memory only for the few a file could expose; the
    scan finds the same leaks. ``secrets``' values may be any iterables, read once.
    """
    public = {" ".join(str(value).casefold().split()) for value in public_values}
    index = SecretIndex(present=present)
    for kind, values in secrets.items():
        is_canary, is_postcode = "canary" in kind.lower(), "postcode" in kind.lower()
        for raw in values:
            folded = " ".join(_as_text(raw).casefold().split())
            if not folded:
                continue
            compact = folded.replace(" ", "").upper()
            if is_canary:
                index.canaries.append((kind, folded))
            elif folded in public:
                index.public[kind] += 1
                continue
            elif is_postcode and FULL_POSTCODE.fullmatch(compact):
                if present is None or compact in present.postcodes:
                    index.postcodes.setdefault(compact, (kind, folded))
            elif not _add_by_shape(
                index, kind, folded, (min_length, min_digits), min_phrase_length
            ):
                index.too_short[kind] += 1
                continue
            index.searched[kind] += 1
    return index


def _add_by_shape(
    index: SecretIndex, kind: str, folded: str, minimums: tuple[int, int], min_phrase_length: int
) -> bool:
    words = [folded] if folded.isalnum() else TOKEN.findall(folded)
    if len(words) == 1:
        word = words[0]
        if word.isdigit():
            needed = minimums[1]
        elif not word.isalpha() and _DIGIT.search(word):
            needed = 4  # letters and digits together: a code, not a word of prose
        else:
            needed = minimums[0]
        if len(word) < needed:
            return False
        if index.present is None or word in index.present.tokens:
            index.tokens.setdefault(word, kind)
        return True
    if len(words) < 2 or len(" ".join(words)) < min_phrase_length:
        return False
    anchor = max(range(len(words)), key=lambda position: len(words[position]))
    if index.present is None or words[anchor] in index.present.tokens:
        index.phrases.setdefault(words[anchor], []).append((tuple(words), anchor, (kind, folded)))
    return True


def secrets_from_records(
    records: pd.DataFrame, columns: Mapping[str, str], *, canary: str | None = None
) -> dict[str, list[Any]]:
    """The secrets of an input: kind → the distinct values of its column (plus a canary).

    ``columns`` maps a kind (``"person_id"``, ``"uprn"``, ``"postcode"``, ``"name"``…) to the
    column of ``records`` holding it.
    """
    missing = [column for column in columns.values() if column not in records.columns]
    if missing:
        raise DataError(
            f"records lack column(s) {', '.join(missing)} named as identifiers",
            fix="name the input columns that hold ids, UPRNs, postcodes, names or free text",
        )
    secrets = {kind: list(records[column].dropna().unique()) for kind, column in columns.items()}
    if canary:
        secrets["canary"] = [canary]
    return secrets


def _as_text(value: Any) -> str:
    try:
        if value is None or bool(value != value):  # None, NaN
            return ""
    except (TypeError, ValueError):  # pandas NA cannot be compared
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def secret_digest(value: str) -> str:
    """How a secret is shown in findings: ``sha256:`` and 12 hex digits of its folded value."""
    folded = " ".join(value.casefold().split())
    return "sha256:" + hashlib.sha256(folded.encode("utf-8")).hexdigest()[:12]
