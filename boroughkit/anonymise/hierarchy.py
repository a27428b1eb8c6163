"""The geography behind consistent estimates: atoms, the nesting tree, and the GLS fit.

The unknowns of a consistent release are the *atoms*: groups of OAs sharing the same tuple of
area codes at the requested levels (plus the borough, which nests everything). Every requested
area is then a sum of atoms. OA → LSOA → MSOA → borough nest exactly, so the requested levels
among LSOA and MSOA (or the ward, when neither is requested) form one exact *chain* of parent
areas down from the borough; a ward requested beside LSOA or MSOA is a *cross* level: a sum of
atoms that cuts across the chain. *Pieces* group the atoms by every requested level except OA;
they are the smallest units both the chain and the cross level see.

:func:`fit_gls` finds the generalised least squares atom values (weights ``1/sigma_l**2``) from
independent noisy measurements of each level, for all category columns at once, and the exact
variance of each area's GLS estimate (the same for every category, since categories share the
design).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse

from boroughkit.errors import DataError
from boroughkit.terms import LEVELS

LEVEL_ORDER: tuple[str, ...] = LEVELS
CODE_COLUMN: dict[str, str] = {level: f"{level}_code" for level in LEVEL_ORDER}

# Eigenvalues below this fraction of the largest are the directions the levels do not identify.
_RANK_TOLERANCE = 1e-10


@dataclass(frozen=True)
class AtomDesign:
    """Atoms of a set of requested levels and the areas each atom belongs to.

    Levels present: the requested ones and the borough. ``codes[level]`` are the level's area
    codes, sorted; ``area_of_atom[level]`` gives each atom's area index in them and
    ``members[level]`` is the 0/1 matrix (areas × atoms) that sums atoms into areas. ``chain``
    lists the exact parent levels below the borough, coarse to fine; ``cross`` is ``"ward"``
    when the ward is requested beside a chain of LSOA/MSOA, else ``None``.
    """

    requested: tuple[str, ...]
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

        Edges: each borough (from its ward side to its chain side), chain areas (parent to
        child), pieces (finest chain area to their ward, or to the borough's ward side) and
        wards (to the borough's ward side). Returns tails, heads, the matrix (edges × atoms)
        giving each edge's value, and where the pieces' edges are.
        """
        n_boroughs = len(self.codes["borough"])
        tails = [np.arange(n_boroughs) + n_boroughs]
        heads = [np.arange(n_boroughs)]
        blocks = [self.members["borough"]]
        next_vertex = 2 * n_boroughs
        parent_vertex, parent_level = np.arange(n_boroughs), "borough"
        for level in self.chain:
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
            heads.append(self.piece_area("borough") + n_boroughs)
        else:
            ward_vertex = next_vertex + np.arange(len(self.codes[self.cross]))
            heads.append(ward_vertex[self.piece_area(self.cross)])
            tails.append(ward_vertex)
            heads.append(self.parent_index(self.cross, "borough") + n_boroughs)
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
    piece_levels = [level for level in keyed if level != "oa"]
    _, piece_of_atom = _group_rows(np.column_stack([area_of_atom[lv] for lv in piece_levels]))
    return AtomDesign(
        requested=requested,
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
    pairs = [("lsoa", "msoa"), ("lsoa", "borough"), ("msoa", "borough"), ("ward", "borough")]
    for child, parent in pairs:
        child_column, parent_column = CODE_COLUMN[child], CODE_COLUMN[parent]
        if child not in requested or parent_column not in frame.columns:
            continue
        spans = frame.groupby(child_column)[parent_column].nunique()
        split = spans[spans > 1]
        if len(split):
            raise DataError(
                f"{child} areas {list(split.index[:5])} lie in more than one {parent} "
                "in the geography lookup, so the levels do not nest",
                fix=f"correct the {parent_column} of those OAs in the lookup",
            )


@dataclass(frozen=True)
class GlsFit:
    """GLS atom values (atoms × categories) and the variance of each area's estimate per level."""

    atoms: np.ndarray
    variance: Mapping[str, np.ndarray]


def fit_gls(
    design: AtomDesign,
    values: Mapping[str, np.ndarray],
    sigmas: Mapping[str, float],
) -> GlsFit:
    """Generalised least squares atom values from independent measurements of each level.

    ``values[level]`` is areas × categories in the order of ``design.codes[level]``. The normal
    matrix ``N = sum_l A_l' A_l / sigma_l**2`` (atoms × atoms) is factored once and every
    category column is solved with it. ``variance`` holds ``diag(A_l N^-1 A_l')`` for every level
    of the design. When one measured level has one area per atom (OAs, typically) ``N`` is a
    scaled identity plus a low-rank part, and the Woodbury identity needs only a factor of the
    coarse areas' matrix, which keeps thousands of atoms fast.
    """
    weights = {level: 1.0 / sigmas[level] ** 2 for level in values}
    finest = next((lv for lv in values if len(design.codes[lv]) == design.n_atoms), None)
    right = sum(
        weights[level] * (design.members[level].T @ np.asarray(measured, dtype=float))
        for level, measured in values.items()
    )
    if finest is None:
        return _fit_dense(design, weights, np.asarray(right))
    return _fit_woodbury(design, weights, finest, np.asarray(right))


def _fit_dense(design: AtomDesign, weights: Mapping[str, float], right: np.ndarray) -> GlsFit:
    """GLS with an eigendecomposition of the full normal matrix (few atoms).

    The pseudo-inverse keeps area estimates exact when the levels do not identify every atom
    (e.g. wards and MSOAs only); the unidentified splits of atoms are then the smallest ones.
    """
    normal = np.zeros((design.n_atoms, design.n_atoms))
    for level, weight in weights.items():
        normal += weight * (design.members[level].T @ design.members[level]).toarray()
    eigenvalues, eigenvectors = scipy.linalg.eigh(normal, check_finite=False)
    kept = eigenvalues > _RANK_TOLERANCE * eigenvalues.max()
    # N^+ = Q_k diag(1/lambda_k) Q_k'; its square root factor gives the variances.
    root = eigenvectors[:, kept] / np.sqrt(eigenvalues[kept])
    atoms = root @ (root.T @ right)
    projected = {level: member @ root for level, member in design.members.items()}
    variance = {level: np.einsum("ij,ij->i", p, p) for level, p in projected.items()}
    return GlsFit(atoms=atoms, variance=variance)


def _fit_woodbury(
    design: AtomDesign, weights: Mapping[str, float], finest: str, right: np.ndarray
) -> GlsFit:
    """GLS when ``N = w I + C' W C``: ``N^-1 = (I - C' K^-1 C) / w`` with ``K = w W^-1 + C C'``."""
    scale = weights[finest]
    coarse = [level for level in weights if level != finest]
    sizes = {lv: np.asarray(m.sum(axis=1)).ravel() for lv, m in design.members.items()}
    if not coarse:
        return GlsFit(atoms=right / scale, variance={lv: n / scale for lv, n in sizes.items()})
    stacked = scipy.sparse.vstack([design.members[level] for level in coarse]).tocsr()
    inverse_weight = np.concatenate(
        [np.full(len(design.codes[level]), scale / weights[level]) for level in coarse]
    )
    small = (stacked @ stacked.T).toarray()
    small[np.diag_indices(len(inverse_weight))] += inverse_weight
    factor = scipy.linalg.cholesky(small, lower=True, check_finite=False)
    correction = stacked.T @ scipy.linalg.cho_solve(
        (factor, True), stacked @ right, check_finite=False
    )
    atoms = (right - correction) / scale
    # diag(B' K^-1 B) with B = C A_l' sparse: one explicit K^-1 serves every level cheaply.
    inverse = scipy.linalg.cho_solve((factor, True), np.eye(len(small)), check_finite=False)
    variance = {}
    for level, member in design.members.items():
        crossed = (stacked @ member.T).tocsc()
        quadratic = np.asarray(crossed.multiply((crossed.T @ inverse).T).sum(axis=0)).ravel()
        variance[level] = (sizes[level] - quadratic) / scale
    return GlsFit(atoms=atoms, variance=variance)
