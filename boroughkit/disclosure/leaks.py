"""The leak scan: no identifier or free-text value of the input may appear in a published file.

Secrets come by kind (``person_id``, ``uprn``, ``postcode``, ``name``, ``free_text``,
``canary``…). Each published file is read in its own format (see
:mod:`boroughkit.disclosure._published_text`): data, column names and metadata alike.

Matching, case-insensitive throughout:

- a value that is one token (letters and digits, optionally joined by ``- _ ' . @ / +``) must
  equal a whole token of the file, or a run of letters and digits inside one (``P-000123``
  exposes ``000123``); file tokens go into a set intersected with the set of secrets, so
  200,000 ids cost one pass over each file;
- a postcode kind (its name contains ``postcode``) is compared with every postcode-shaped string
  of the file after removing spaces, so ``rm9 6xx`` finds ``RM96XX``;
- a value of several words must appear as the same words in the same order;
- a canary kind (its name contains ``canary``) is searched as a substring of every segment and of
  the raw bytes of the file.

Only *distinctive* values are searched, because short values collide with what files legitimately
hold (counts, years, category labels and words of prose): a value qualifies when it mixes letters
and digits and has at least 4 characters, or is letters only with at least ``min_length`` (6),
or digits only with at least ``min_digits`` (8; a borough's population has 6 digits), or is a
phrase of at least ``min_phrase_length`` (10) characters, or is a full postcode or a canary.
Values equal to a ``public_values`` entry (area names, category labels) are not searched either.
Both kinds of skipped value are counted in the summary. Findings never show a secret: they give
its kind and the first 12 hex digits of its SHA-256 (of the case-folded value).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boroughkit.disclosure._published_text import RAW_TEXT, file_segments
from boroughkit.disclosure.report import CheckResult, Finding
from boroughkit.errors import DataError

_TOKEN = re.compile(r"[^\W_]+(?:[-_'.@/+][^\W_]+)*")
_WORD = re.compile(r"[^\W_]+")
_POSTCODE = re.compile(r"(?<![A-Z0-9])([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})(?![A-Z0-9])")
_FULL_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")
_CHUNK = 4_000_000


@dataclass(frozen=True)
class _Secret:
    kind: str
    digest: str


@dataclass
class SecretIndex:
    """The distinctive secrets, ready for matching, and counts of what was left out."""

    tokens: dict[str, _Secret] = field(default_factory=dict)
    postcodes: dict[str, _Secret] = field(default_factory=dict)
    phrases: dict[str, list[tuple[tuple[str, ...], int, _Secret]]] = field(default_factory=dict)
    canaries: list[tuple[str, _Secret]] = field(default_factory=list)
    searched: Counter[str] = field(default_factory=Counter)
    too_short: Counter[str] = field(default_factory=Counter)
    public: Counter[str] = field(default_factory=Counter)


def build_secret_index(
    secrets: Mapping[str, Iterable[Any]],
    *,
    public_values: Iterable[str] = (),
    min_length: int = 6,
    min_digits: int = 8,
    min_phrase_length: int = 10,
) -> SecretIndex:
    """Sort each secret value into the matcher for its shape (see the module docstring)."""
    public = {str(value).strip().casefold() for value in public_values}
    index = SecretIndex()
    for kind, values in secrets.items():
        for raw in values:
            text = _as_text(raw)
            if not text:
                continue
            folded = " ".join(text.casefold().split())
            secret = _Secret(kind, hashlib.sha256(folded.encode()).hexdigest()[:12])
            compact = folded.replace(" ", "").upper()
            if "canary" in kind.lower():
                index.canaries.append((folded, secret))
            elif folded in public:
                index.public[kind] += 1
                continue
            elif "postcode" in kind.lower() and _FULL_POSTCODE.fullmatch(compact):
                index.postcodes.setdefault(compact, secret)
            elif not _add_by_shape(
                index, folded, secret, min_length, min_digits, min_phrase_length
            ):
                index.too_short[kind] += 1
                continue
            index.searched[kind] += 1
    return index


def _add_by_shape(
    index: SecretIndex,
    folded: str,
    secret: _Secret,
    min_length: int,
    min_digits: int,
    min_phrase_length: int,
) -> bool:
    words = _TOKEN.findall(folded)
    if len(words) == 1:
        word = words[0]
        letters, digits = any(c.isalpha() for c in word), any(c.isdigit() for c in word)
        needed = 4 if letters and digits else min_length if letters else min_digits
        if len(word) < needed:
            return False
        index.tokens.setdefault(word, secret)
        return True
    if len(words) < 2 or len(" ".join(words)) < min_phrase_length:
        return False
    anchor = max(range(len(words)), key=lambda position: len(words[position]))
    index.phrases.setdefault(words[anchor], []).append((tuple(words), anchor, secret))
    return True


def scan_for_leaks(
    files: Sequence[Path],
    secrets: Mapping[str, Iterable[Any]],
    *,
    public_values: Iterable[str] = (),
    min_length: int = 6,
    min_digits: int = 8,
    min_phrase_length: int = 10,
) -> CheckResult:
    """Fail when a distinctive secret value appears anywhere in ``files`` (folders recursed)."""
    index = build_secret_index(
        secrets,
        public_values=public_values,
        min_length=min_length,
        min_digits=min_digits,
        min_phrase_length=min_phrase_length,
    )
    paths = _expand(files)
    found: defaultdict[tuple[str, str, str], dict[str, set[Any]]] = defaultdict(
        lambda: {"digests": set(), "lines": set()}
    )
    size = 0
    for path in paths:
        size += path.stat().st_size
        in_file: set[_Secret] = set()
        for location, text in file_segments(path):
            for secret, line in _segment_hits(index, text, with_lines=location == RAW_TEXT):
                entry = found[(str(path), location, secret.kind)]
                entry["digests"].add(secret.digest)
                if line is not None:
                    entry["lines"].add(line)
                in_file.add(secret)
        raw = path.read_bytes().lower()
        for canary, secret in index.canaries:
            if secret not in in_file and canary.encode("utf-8").lower() in raw:
                found[(str(path), "raw bytes", secret.kind)]["digests"].add(secret.digest)
    findings = tuple(_finding(key, entry) for key, entry in sorted(found.items()))
    return _result(index, paths, size, findings)


def _segment_hits(
    index: SecretIndex, text: str, *, with_lines: bool
) -> Iterator[tuple[_Secret, int | None]]:
    line_offset = 0
    for chunk in _chunks(text):
        folded = chunk.casefold()
        sequence = _TOKEN.findall(folded)
        present = set(sequence)
        present.update(_WORD.findall(folded))
        needles: list[tuple[_Secret, str]] = [
            (index.tokens[token], token) for token in _common(present, index.tokens)
        ]
        if index.postcodes:
            for match in _POSTCODE.finditer(chunk.upper()):
                secret = index.postcodes.get(match.group(1) + match.group(2))
                if secret is not None:
                    needles.append((secret, match.group(0).casefold()))
        needles += _phrase_hits(index, sequence, present)
        needles += [(secret, canary) for canary, secret in index.canaries if canary in folded]
        for secret, needle in needles:
            line = None
            if with_lines:
                line = line_offset + folded.count("\n", 0, max(folded.find(needle), 0)) + 1
            yield secret, line
        line_offset += chunk.count("\n")


def _phrase_hits(
    index: SecretIndex, sequence: list[str], present: set[str]
) -> list[tuple[_Secret, str]]:
    anchors = _common(present, index.phrases)
    if not anchors:
        return []
    positions: defaultdict[str, list[int]] = defaultdict(list)
    for position, token in enumerate(sequence):
        if token in anchors:
            positions[token].append(position)
    hits = []
    for anchor in anchors:
        for words, offset, secret in index.phrases[anchor]:
            for position in positions[anchor]:
                start = position - offset
                if start >= 0 and tuple(sequence[start : start + len(words)]) == words:
                    hits.append((secret, " ".join(words[:1])))
                    break
    return hits


def _common(present: set[str], secrets: Mapping[str, Any]) -> set[str]:
    # Iterate over the smaller side: per segment this costs min(tokens, secrets) lookups.
    if len(present) <= len(secrets):
        return {token for token in present if token in secrets}
    return {token for token in secrets if token in present}


def _chunks(text: str) -> Iterator[str]:
    # Bounded pieces keep memory flat on files of many MB; cuts fall on line ends.
    start = 0
    while start < len(text):
        end = len(text) if len(text) - start <= _CHUNK else text.rfind("\n", start, start + _CHUNK)
        end = start + _CHUNK if end <= start else end
        yield text[start:end]
        start = end


def _expand(files: Sequence[Path]) -> list[Path]:
    paths: list[Path] = []
    for item in map(Path, files):
        if item.is_dir():
            paths.extend(sorted(p for p in item.rglob("*") if p.is_file()))
        elif item.is_file():
            paths.append(item)
        else:
            raise DataError(
                f"cannot scan {item}: no such file or folder",
                fix="pass the files the release is about to publish",
            )
    return paths


def _as_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _finding(key: tuple[str, str, str], entry: dict[str, set[Any]]) -> Finding:
    path, location, kind = key
    digests, lines = sorted(entry["digests"]), sorted(entry["lines"])
    where: dict[str, Any] = {
        "file": path,
        "location": location,
        "kind": kind,
        "values": len(digests),
        "sha256_prefixes": [f"sha256:{d}" for d in digests[:5]],
    }
    if lines:
        where["lines"] = lines[:20]
    return Finding(
        where,
        "no-input-values",
        f"{len(digests)} {kind} value(s) of the input found in {Path(path).name} ({location})",
    )


def _result(
    index: SecretIndex, paths: list[Path], size: int, findings: tuple[Finding, ...]
) -> CheckResult:
    searched = sum(index.searched.values())
    short, public = sum(index.too_short.values()), sum(index.public.values())
    kinds = sorted(set(index.searched) | set(index.too_short) | set(index.public))
    return CheckResult(
        name="no input value leaks into a published file",
        passed=not findings,
        summary=(
            f"{len(paths)} file(s) ({size / 1e6:.1f} MB) searched for {searched} "
            f"distinctive value(s) of {len(kinds)} kind(s) ({', '.join(kinds)}); "
            f"{short} value(s) too short to search without false alarms and {public} "
            f"equal to public names were skipped; {len(findings)} leak(s) found."
        ),
        findings=findings,
        rationale=(
            "an id, UPRN, postcode, name or note from the records in a published file "
            "points straight at a resident or household."
        ),
        category="leaks",
        metrics={
            "files": len(paths),
            "bytes": size,
            "searched": dict(index.searched),
            "skipped_too_short": dict(index.too_short),
            "skipped_public": dict(index.public),
            "leaks": len(findings),
        },
    )
