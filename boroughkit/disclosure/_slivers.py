"""Slivers between published area definitions, each area being a set of OA codes.

The machinery behind :mod:`boroughkit.disclosure.differencing`: enumerate the pieces an
intruder can form from two overlapping areas, tell whether a piece is already published (a union
of published areas), and whether it can be derived exactly by adding and subtracting published
areas (a linear-algebra test), as opposed to only being an atom of the overlay.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

_LEVEL_WORDS = {
    "oa": "OA",
    "lsoa": "LSOA",
    "msoa": "MSOA",
    "ward": "ward",
    "borough": "borough",
    "region": "region",
}
# Above this many OAs the exact-derivability test would need a large dense matrix; the sliver
# is then reported as an overlay atom, which is tested all the same.
_MAX_OAS_FOR_ALGEBRA = 6000


@dataclass(frozen=True)
class Sliver:
    """A set of OAs an intruder can isolate from two published areas.

    ``operation`` is ``"minus"`` (area A without area B) or ``"overlap"`` (the part in both);
    ``exact`` says whether published figures give it by addition and subtraction alone.
    """

    oas: frozenset[str]
    definition_a: str
    code_a: str
    definition_b: str
    code_b: str
    operation: Literal["minus", "overlap"]
    exact: bool = False

    def with_exact(self, exact: bool) -> Sliver:
        """A copy with ``exact`` set."""
        return replace(self, exact=exact)

    def describe(self, names: Mapping[str, Mapping[str, str]] | None = None) -> str:
        """E.g. ``"custom area 'Gascoigne Estate' minus ward 'Abbey' leaves"``."""
        first = area_label(self.definition_a, self.code_a, names)
        second = area_label(self.definition_b, self.code_b, names)
        if self.operation == "minus":
            return f"{first} minus {second} leaves"
        return f"the overlap of {first} and {second} holds"


def area_label(
    definition: str, code: str, names: Mapping[str, Mapping[str, str]] | None = None
) -> str:
    """A readable label such as ``"ward 'Abbey'"`` or ``"custom area 'Gascoigne Estate'"``."""
    name = (names or {}).get(definition, {}).get(code, code)
    return f"{_LEVEL_WORDS.get(definition, 'custom area')} {name!r}"


def oa_index(members: Mapping[str, frozenset[str]]) -> dict[str, list[str]]:
    """OA code → codes of the areas (of one definition) that contain it."""
    index: defaultdict[str, list[str]] = defaultdict(list)
    for code, oas in members.items():
        for oa in oas:
            index[oa].append(code)
    return dict(index)


def find_slivers(
    published: Mapping[str, Mapping[str, frozenset[str]]], pairs: Iterable[tuple[str, str]]
) -> list[Sliver]:
    """Distinct non-empty A \\ B, B \\ A and A ∩ B of overlapping, unequal areas.

    ``pairs`` are (definition, definition) pairs to compare; a definition paired with itself
    compares its own areas (custom areas such as catchments may overlap). Pieces equal to a
    published area are left out; each distinct OA set is returned once.
    """
    indices = {definition: oa_index(members) for definition, members in published.items()}
    published_sets = {oas for members in published.values() for oas in members.values()}
    found: dict[frozenset[str], Sliver] = {}
    for first, second in pairs:
        for code_a, area_a in published[first].items():
            partners = {code for oa in area_a for code in indices[second].get(oa, ())}
            for code_b in sorted(partners):
                if first == second and code_b <= code_a:
                    continue
                area_b = published[second][code_b]
                if area_a == area_b:
                    continue
                pieces: tuple[tuple[frozenset[str], Sliver], ...] = (
                    (
                        area_a - area_b,
                        Sliver(area_a - area_b, first, code_a, second, code_b, "minus"),
                    ),
                    (
                        area_b - area_a,
                        Sliver(area_b - area_a, second, code_b, first, code_a, "minus"),
                    ),
                    (
                        area_a & area_b,
                        Sliver(area_a & area_b, first, code_a, second, code_b, "overlap"),
                    ),
                )
                for oas, sliver in pieces:
                    if oas and oas not in published_sets and oas not in found:
                        found[oas] = sliver
    return list(found.values())


def is_union_of_areas(
    oas: frozenset[str],
    members: Mapping[str, frozenset[str]],
    index: Mapping[str, Sequence[str]] | None = None,
) -> bool:
    """Whether ``oas`` is exactly a union of some areas of one definition."""
    index = index if index is not None else oa_index(members)
    covered: set[str] = set()
    for oa in oas:
        if oa in covered:
            continue
        inside = next((members[c] for c in index.get(oa, ()) if members[c] <= oas), None)
        if inside is None:
            return False
        covered |= inside
    return True


def exactly_derivable(
    pieces: Sequence[frozenset[str]], published: Mapping[str, Mapping[str, frozenset[str]]]
) -> list[bool]:
    """For each piece, whether it is a sum/difference of published areas (least squares)."""
    universe = sorted(
        {oa for members in published.values() for oas in members.values() for oa in oas}
    )
    if not pieces or len(universe) > _MAX_OAS_FOR_ALGEBRA:
        return [False] * len(pieces)
    row = {oa: position for position, oa in enumerate(universe)}
    areas = list({oas for members in published.values() for oas in members.values()})
    basis = _indicators(areas, row)
    targets = _indicators(list(pieces), row)
    solution = np.linalg.lstsq(basis, targets, rcond=None)[0]
    residual = np.linalg.norm(basis @ solution - targets, axis=0)
    return [bool(value < 1e-6) for value in residual]


def _indicators(sets: Sequence[frozenset[str]], row: Mapping[str, int]) -> np.ndarray:
    matrix = np.zeros((len(row), len(sets)))
    for column, oas in enumerate(sets):
        matrix[[row[oa] for oa in oas], column] = 1.0
    return matrix
