"""The leak scan: no identifier or free-text value of the input may appear in a published file.

Secrets come by kind (``person_id``, ``uprn``, ``postcode``, ``name``, ``free_text``,
``canary``…). Each published file is read in its own format (see
:mod:`boroughkit.disclosure._published_text`): data, column names and metadata alike.

Matching, case-insensitive throughout:

- a value that is one token (letters and digits, optionally joined by ``- _ ' . @ / +``) must
  equal a whole token of the file, or a run of letters and digits inside one (``P-000123``
  exposes ``000123``; a decimal number exposes only its whole part); file tokens go into a set
  intersected with the set of secrets, so 200,000 ids cost one pass over each file;
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
its kind and :func:`secret_digest` (12 hex digits of the SHA-256 of the case-folded value).
A scan left with no value to search fails: it could not have found a leak.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from boroughkit.disclosure._published_text import RAW_TEXT, file_segments
from boroughkit.disclosure._secrets import (
    TOKEN,
    Hit,
    Present,
    SecretIndex,
    build_secret_index,
    secret_digest,
    secrets_from_records,
)
from boroughkit.disclosure.report import CheckResult, Finding
from boroughkit.errors import DataError

_WORD = re.compile(r"[^\W_]+")
_POSTCODE = re.compile(r"(?<![A-Z0-9])([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})(?![A-Z0-9])")
_CHUNK = 4_000_000


def scan_for_leaks(
    files: Sequence[Path],
    secrets: Mapping[str, Iterable[Any]],
    *,
    public_values: Iterable[str] = (),
    min_length: int = 6,
    min_digits: int = 8,
    min_phrase_length: int = 10,
) -> CheckResult:
    """Fail when a distinctive secret value appears anywhere in ``files`` (folders recursed).

    ``secrets``' values are read once and may be streamed: only those a file could expose are
    kept in memory (see :class:`~boroughkit.disclosure._secrets.Present`).
    """
    paths = _expand(files)
    index = build_secret_index(
        secrets,
        public_values=public_values,
        min_length=min_length,
        min_digits=min_digits,
        min_phrase_length=min_phrase_length,
        present=_present(paths),
    )
    found: defaultdict[tuple[str, str, str], dict[str, set[Any]]] = defaultdict(
        lambda: {"values": set(), "lines": set()}
    )
    size = 0
    for path in paths:
        size += path.stat().st_size
        in_file: set[Hit] = set()
        for location, texts in file_segments(path):
            for hit, line in _segment_hits(index, texts, with_lines=location == RAW_TEXT):
                entry = found[(str(path), location, hit[0])]
                entry["values"].add(hit[1])
                if line is not None:
                    entry["lines"].add(line)
                in_file.add(hit)
        raw = path.read_bytes().lower() if index.canaries else b""
        for hit in index.canaries:
            if hit not in in_file and hit[1].encode("utf-8").lower() in raw:
                found[(str(path), "raw bytes", hit[0])]["values"].add(hit[1])
    findings = tuple(_finding(key, entry) for key, entry in sorted(found.items()))
    return _result(index, paths, size, findings)


def _present(paths: Sequence[Path]) -> Present:
    """Every token (and run of letters and digits, and whole part of a decimal) and postcode
    the files hold: a superset of what :func:`_segment_hits` can match."""
    tokens: set[str] = set()
    postcodes: set[str] = set()
    for path in paths:
        for _, texts in file_segments(path):
            for text in texts:
                folded = text.casefold()
                tokens.add(folded)
                for token in TOKEN.findall(folded):
                    tokens.add(token)
                    tokens.update(_WORD.findall(token))
                    tokens.add(token.partition(".")[0])
                upper = folded.upper()
                postcodes.add(upper)
                postcodes.update(m.group(1) + m.group(2) for m in _POSTCODE.finditer(upper))
    return Present(frozenset(tokens), frozenset(postcodes))


def _segment_hits(
    index: SecretIndex, texts: list[str], *, with_lines: bool
) -> Iterator[tuple[Hit, int | None]]:
    # Values that are one run of letters and digits (most ids and codes) are matched whole;
    # only the rest goes through the tokeniser.
    simple: set[str] = set()
    complex_texts: list[str] = []
    for text in texts:
        folded = text.casefold()
        if folded.isalnum():
            simple.add(folded)
            continue
        whole, dot, fraction = folded.partition(".")
        if dot and whole.isdigit() and fraction.isdigit():
            simple.add(whole)  # a decimal number exposes only its whole part
        else:
            complex_texts.append(folded)
    for token in _common(simple, index.tokens):
        yield (index.tokens[token], token), None
    if index.postcodes:
        for value in simple:
            if value.upper() in index.postcodes:
                yield index.postcodes[value.upper()], None
    joined_simple = "\n".join(simple) if index.canaries else ""
    for hit in index.canaries:
        if hit[1] in joined_simple:
            yield hit, None
    line_offset = 0
    for chunk in _chunks("\n".join(complex_texts)):
        for hit, needle in _chunk_hits(index, chunk):
            line = None
            if with_lines:
                line = line_offset + chunk.count("\n", 0, max(chunk.find(needle), 0)) + 1
            yield hit, line
        line_offset += chunk.count("\n")


def _chunk_hits(index: SecretIndex, chunk: str) -> list[tuple[Hit, str]]:
    sequence = TOKEN.findall(chunk)
    present = set(sequence)
    for token in [t for t in present if not t.isalnum()]:
        whole, dot, fraction = token.partition(".")
        if dot and whole.isdigit() and fraction.isdigit():
            present.add(whole)
        else:
            present.update(_WORD.findall(token))
    hits: list[tuple[Hit, str]] = [
        ((index.tokens[token], token), token) for token in _common(present, index.tokens)
    ]
    if index.postcodes:
        for match in _POSTCODE.finditer(chunk.upper()):
            hit = index.postcodes.get(match.group(1) + match.group(2))
            if hit is not None:
                hits.append((hit, match.group(0).casefold()))
    hits += _phrase_hits(index, sequence, present)
    hits += [(hit, hit[1]) for hit in index.canaries if hit[1] in chunk]
    return hits


def _phrase_hits(
    index: SecretIndex, sequence: list[str], present: set[str]
) -> list[tuple[Hit, str]]:
    anchors = _common(present, index.phrases)
    if not anchors:
        return []
    positions: defaultdict[str, list[int]] = defaultdict(list)
    for position, token in enumerate(sequence):
        if token in anchors:
            positions[token].append(position)
    hits = []
    for anchor in anchors:
        for words, offset, hit in index.phrases[anchor]:
            for position in positions[anchor]:
                start = position - offset
                if start >= 0 and tuple(sequence[start : start + len(words)]) == words:
                    hits.append((hit, words[0]))
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


def _finding(key: tuple[str, str, str], entry: dict[str, set[Any]]) -> Finding:
    path, location, kind = key
    digests = sorted(secret_digest(value) for value in entry["values"])
    lines = sorted(entry["lines"])
    where: dict[str, Any] = {
        "file": path,
        "location": location,
        "kind": kind,
        "values": len(digests),
        "sha256_prefixes": digests[:5],
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
    summary = (
        f"{len(paths)} file(s) ({size / 1e6:.1f} MB) searched for {searched} "
        f"distinctive value(s) of {len(kinds)} kind(s) ({', '.join(kinds) or 'none'}); "
        f"{short} value(s) too short to search without false alarms and {public} "
        f"equal to public names were skipped; {len(findings)} leak(s) found."
    )
    if not searched:
        # A scan that looked for nothing proves nothing: it must not read as a pass.
        summary = (
            "FAILED: the scan searched for nothing (0 distinctive values), so it cannot show "
            "that no input value leaks. " + summary + " Fix: give the scan values to look for: "
            "id columns with distinctive values (source.privacy_unit, source.household, "
            "source.identifiers) or a planted disclosure.canary."
        )
    return CheckResult(
        id="leak-scan",
        name="no input value leaks into a published file",
        passed=bool(searched) and not findings,
        summary=summary,
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


__all__ = [
    "SecretIndex",
    "build_secret_index",
    "scan_for_leaks",
    "secret_digest",
    "secrets_from_records",
]
