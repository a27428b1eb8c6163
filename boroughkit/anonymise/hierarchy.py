"""The geography behind consistent estimates: atoms, the nesting tree, and the GLS fit.

The unknowns of a consistent release are the *atoms*: groups of OAs sharing the same tuple of
area codes at the requested levels (plus the borough, which nests everything). Every requested
area is then a sum of atoms. OA → LSOA → MSOA → borough nest exactly, so the requested levels
among LSOA and MSOA (or the ward, when neither is requested) form one exact *chain* of parent
areas down from the borough; a ward requested beside LSOA or MSOA is a *cross* level: a sum of
atoms that cuts across the chain. *Pieces* group the atoms by every requested level except OA;
they are the smallest units both the chain and the cross level see.

A requested region sits above the boroughs: every borough lies in one region. The GLS fit
over this design is :mod:`.gls`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse

from boroughkit.errors import DataError
from boroughkit.terms import LEVELS

LEVEL_ORDER: tuple[str, ...] = LEVELS
#: The level above the borough, when the bundle has one: the top of the chain.
REGION = "region"
CODE_COLUMN: dict[str, str] = {level: f"{level}_code" for level in LEVEL_ORDER}


@dataclass(frozen=True)
class AtomDesign:
    """Atoms of a set of requested levels and the areas each atom belongs to.

    Levels present: the requested ones and the borough; ``top`` is the region when requested,
    else the borough. ``codes[level]`` are the level's area
    codes, sorted; ``area_of_atom[level]`` gives each atom's area index in them and
    ``members[level]`` is the 0/1 matrix (areas × atoms) that sums atoms into areas. ``chain``
    lists the exact parent levels below the borough, coarse to fine; ``cross`` is ``"ward"``
    when the ward is requested beside a chain of LSOA/MSOA, else ``None``.
    """

    requested: tuple[str, ...]
    top: str
    codes: Mapping[str, list[str]]
    area_of_atom: Mapping[str, np.ndarray]
    members: Mapping[str, scipy.sparse.csr_matrix]
    chain: tuple[str, ...]
    cross: str | None
    piece_of_atom: np.ndarray
    n_pieces: int
    n_atoms: int

    @property
    def piece_members(self) -> scipy.sparse.csr_matrix:
        """The 0/1 matrix (pieces × atoms) that sums atoms into pieces."""
        return _indicator(self.piece_of_atom, self.n_pieces)

    def piece_area(self, level: str) -> np.ndarray:
        """For each piece, the index of its ``level`` area."""
        areas = np.zeros(self.n_pieces, dtype=np.int64)
        areas[self.piece_of_atom] = self.area_of_atom[level]
        return areas

    def circulation(self) -> tuple[np.ndarray, np.ndarray, scipy.sparse.csr_matrix, slice]:
        """The areas as edges of a graph on which their values balance at every vertex.

        Edges: each top area (region, or borough when no region is requested) from its ward
        side to its chain side; under a region, each borough from the region's chain side;
        chain areas (parent to child); pieces (finest chain area to their ward, or to the top
        area's ward side) and wards (to the top area's ward side). Returns tails, heads, the
        matrix (edges × atoms) giving each edge's value, and where the pieces' edges are.
        """
        n_top = len(self.codes[self.top])
        tails = [np.arange(n_top) + n_top]
        heads = [np.arange(n_top)]
        blocks = [self.members[self.top]]
        next_vertex = 2 * n_top
        parent_vertex, parent_level = np.arange(n_top), self.top
        for level in (("borough",) if self.top != "borough" else ()) + self.chain:
            own_vertex = next_vertex + np.arange(len(self.codes[level]))
            tails.append(parent_vertex[self.parent_index(level, parent_level)])
            heads.append(own_vertex)
            blocks.append(self.members[level])
            next_vertex += len(own_vertex)
            parent_vertex, parent_level = own_vertex, level
        first_piece = sum(block.shape[0] for block in blocks)
        tails.append(parent_vertex[self.piece_area(parent_level)])
        blocks.append(self.piece_members)
        if self.cross is None:
            heads.append(self.piece_area(self.top) + n_top)
        else:
            ward_vertex = next_vertex + np.arange(len(self.codes[self.cross]))
            heads.append(ward_vertex[self.piece_area(self.cross)])
            tails.append(ward_vertex)
            heads.append(self.parent_index(self.cross, self.top) + n_top)
            blocks.append(self.members[self.cross])
        edges = scipy.sparse.vstack(blocks).tocsr()
        return (
            np.concatenate(tails),
            np.concatenate(heads),
            edges,
            slice(first_piece, first_piece + self.n_pieces),
        )

    def parent_index(self, level: str, parent_level: str) -> np.ndarray:
        """For each area of ``level``, the index of the ``parent_level`` area holding it."""
        parents = np.zeros(len(self.codes[level]), dtype=np.int64)
        parents[self.area_of_atom[level]] = self.area_of_atom[parent_level]
        return parents


def small_matrix_threads() -> AbstractContextManager[Any]:
    """Run BLAS on one thread: these matrices are small, and extra threads only contend."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - installed with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def order_levels(levels: Sequence[str]) -> tuple[str, ...]:
    """``levels`` without duplicates, finest first, or a DataError naming the unknown level."""
    unknown = sorted(set(levels) - set(LEVEL_ORDER))
    if unknown:
        raise DataError(
            f"unknown geography level(s) {unknown}",
            fix=f"use levels among {', '.join(LEVEL_ORDER)}",
        )
    return tuple(level for level in LEVEL_ORDER if level in set(levels))


def build_design(lookup: pd.DataFrame, levels: Sequence[str]) -> AtomDesign:
    """Group the OAs of ``lookup`` into atoms for the requested ``levels``."""
    requested = order_levels(levels)
    keyed = tuple(level for level in LEVEL_ORDER if level in requested or level == "borough")
    top = REGION if REGION in requested else "borough"
    frame = _code_frame(lookup, keyed)
    _check_nesting(frame, requested)
    codes: dict[str, list[str]] = {}
    area_of_oa: dict[str, np.ndarray] = {}
    for level in keyed:
        index, uniques = pd.factorize(frame[CODE_COLUMN[level]], sort=True)
        codes[level] = [str(code) for code in uniques]
        area_of_oa[level] = index.astype(np.int64)
    first_oa, _ = _group_rows(np.column_stack([area_of_oa[level] for level in keyed]))
    area_of_atom = {level: area_of_oa[level][first_oa] for level in keyed}
    members = {level: _indicator(areas, len(codes[level])) for level, areas in area_of_atom.items()}
    chain: tuple[str, ...] = tuple(level for level in ("msoa", "lsoa") if level in requested)
    if not chain and "ward" in requested:
        chain = ("ward",)
    cross = "ward" if "ward" in requested and chain != ("ward",) else None
    piece_levels = [level for level in keyed if level not in ("oa", REGION)]
    _, piece_of_atom = _group_rows(np.column_stack([area_of_atom[lv] for lv in piece_levels]))
    return AtomDesign(
        requested=requested,
        top=top,
        codes=codes,
        area_of_atom=area_of_atom,
        members=members,
        chain=chain,
        cross=cross,
        piece_of_atom=piece_of_atom,
        n_pieces=int(piece_of_atom.max()) + 1,
        n_atoms=len(first_oa),
    )


def rows_in_order(
    level: str, codes: Sequence[str], values: np.ndarray, order: list[str]
) -> np.ndarray:
    """``values`` (rows in ``codes`` order) reordered to ``order``, each area exactly once."""
    given = [str(code) for code in codes]
    row_of = {code: row for row, code in enumerate(given)}
    missing = [code for code in order if code not in row_of]
    unknown = sorted(set(given) - set(order))
    if missing or unknown or len(row_of) != len(given):
        raise DataError(
            f"the {level} measurement does not list each area of the lookup once: "
            f"missing {missing[:5]}, unknown {unknown[:5]}, repeated {len(given) - len(row_of)}",
            fix="measure every area of the level (empty areas too) with the lookup's codes",
        )
    ordered = np.asarray(values, dtype=float)[[row_of[code] for code in order]]
    if not np.isfinite(ordered).all():
        raise DataError(
            f"the {level} measurement has missing or infinite values",
            fix="pass the noisy counts as integers",
        )
    return ordered


def _indicator(group: np.ndarray, n_groups: int) -> scipy.sparse.csr_matrix:
    """The 0/1 matrix (groups × items) that sums items into their groups."""
    items = np.arange(len(group))
    return scipy.sparse.csr_matrix((np.ones(len(group)), (group, items)), (n_groups, len(group)))


def _group_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First row of each distinct key row, and each row's group index (groups in key order)."""
    _, first, group = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return first, group.reshape(-1).astype(np.int64)


def _code_frame(lookup: pd.DataFrame, keyed: tuple[str, ...]) -> pd.DataFrame:
    """The lookup's code columns for ``keyed`` levels as strings, checked for gaps."""
    columns = [CODE_COLUMN[level] for level in keyed]
    missing = [column for column in columns if column not in lookup.columns]
    if missing:
        raise DataError(
            f"the geography lookup has no column(s) {missing}",
            fix="pass the bundle lookup: one row per OA with oa_code ... borough_code",
        )
    if len(lookup) == 0:
        raise DataError("the geography lookup has no OAs", fix="pass the bundle's lookup")
    frame = lookup[columns]
    blank = frame.isna().any(axis=1) | (frame.astype(str).map(str.strip) == "").any(axis=1)
    if blank.any():
        rows = [int(row) for row in np.flatnonzero(blank.to_numpy())[:5]]
        raise DataError(
            f"the geography lookup has empty area codes in rows {rows}",
            fix="fill every code column of the lookup for every OA",
        )
    return frame.astype(str)


def _check_nesting(frame: pd.DataFrame, requested: tuple[str, ...]) -> None:
    """Raise a DataError when an LSOA, MSOA or ward spans two parents in the lookup."""
    pairs = [
        ("lsoa", "msoa"),
        ("lsoa", "borough"),
        ("msoa", "borough"),
        ("ward", "borough"),
        ("borough", REGION),
    ]
    for child, parent in pairs:
        child_column, parent_column = CODE_COLUMN[child], CODE_COLUMN[parent]
        if child_column not in frame.columns or parent_column not in frame.columns:
            continue
        spans = frame.groupby(child_column)[parent_column].nunique()
        split = spans[spans > 1]
        if len(split):
            raise DataError(
                f"{child} areas {list(split.index[:5])} lie in more than one {parent} "
                "in the geography lookup, so the levels do not nest",
                fix=f"correct the {parent_column} of those OAs in the lookup",
            )
