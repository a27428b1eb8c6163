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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse

from boroughkit.errors import DataError

LEVEL_ORDER: tuple[str, ...] = ("oa", "lsoa", "msoa", "ward", "borough")
CODE_COLUMN: dict[str, str] = {level: f"{level}_code" for level in LEVEL_ORDER}

# Relative ridge on the normal matrix: makes it positive definite when the requested levels do
# not identify every atom (e.g. ward and MSOA only), while moving identified values by ~1e-9.
_RIDGE = 1e-9


@dataclass(frozen=True)
class AtomDesign:
    """Atoms of a set of requested levels and the areas each atom belongs to.

    ``area_of_atom[level]`` gives, for every atom, the index of its area in
    ``codes[level]`` (codes sorted). Levels present: the requested ones, the borough, and OA only
    when requested. ``chain`` lists the exact parent levels below the borough (coarse to fine);
    ``cross`` is ``"ward"`` when the ward is requested beside a chain, else ``None``.
    """

    requested: tuple[str, ...]
    codes: Mapping[str, list[str]]
    area_of_atom: Mapping[str, np.ndarray]
    atom_of_oa: np.ndarray
    chain: tuple[str, ...]
    cross: str | None
    piece_of_atom: np.ndarray
    n_pieces: int
    n_atoms: int

    def membership(self, level: str) -> scipy.sparse.csr_matrix:
        """The 0/1 matrix (areas × atoms) summing atoms into the areas of ``level``."""
        areas = self.area_of_atom[level]
        n_atoms = len(areas)
        return scipy.sparse.csr_matrix(
            (np.ones(n_atoms), (areas, np.arange(n_atoms))),
            shape=(len(self.codes[level]), n_atoms),
        )

    def parent_index(self, level: str, parent_level: str) -> np.ndarray:
        """For each area of ``level``, the index of the ``parent_level`` area holding it."""
        parents = np.zeros(len(self.codes[level]), dtype=np.int64)
        parents[self.area_of_atom[level]] = self.area_of_atom[parent_level]
        return parents


def order_levels(levels: Sequence[str]) -> tuple[str, ...]:
    """``levels`` without duplicates, finest first, or a DataError naming the unknown level."""
    unknown = sorted(set(levels) - set(LEVEL_ORDER))
    if unknown:
        raise DataError(
            f"unknown geography level(s) {unknown} in the measurements",
            fix=f"use levels among {', '.join(LEVEL_ORDER)}",
        )
    return tuple(level for level in LEVEL_ORDER if level in set(levels))


def build_design(lookup: pd.DataFrame, levels: Sequence[str]) -> AtomDesign:
    """Group the OAs of ``lookup`` into atoms for the requested ``levels``."""
    requested = order_levels(levels)
    keyed = tuple(level for level in LEVEL_ORDER if level in requested or level == "borough")
    columns = [CODE_COLUMN[level] for level in keyed]
    missing = [column for column in [CODE_COLUMN["oa"], *columns] if column not in lookup.columns]
    if missing:
        raise DataError(
            f"the geography lookup has no column(s) {missing}",
            fix="pass the bundle lookup (one row per OA with oa_code ... borough_code)",
        )
    frame = lookup[columns].astype(str)
    blank = frame.isna().any(axis=1) | (frame == "").any(axis=1)
    if blank.any():
        rows = list(np.flatnonzero(blank.to_numpy())[:5])
        raise DataError(f"the geography lookup has empty area codes in rows {rows}")
    codes: dict[str, list[str]] = {}
    area_of_oa: dict[str, np.ndarray] = {}
    for level, column in zip(keyed, columns, strict=True):
        uniques, inverse = np.unique(frame[column].to_numpy(), return_inverse=True)
        codes[level] = [str(code) for code in uniques]
        area_of_oa[level] = inverse.astype(np.int64)
    key = np.column_stack([area_of_oa[level] for level in keyed])
    _, first_oa, atom_of_oa = np.unique(key, axis=0, return_index=True, return_inverse=True)
    atom_of_oa = atom_of_oa.reshape(-1).astype(np.int64)
    area_of_atom = {level: area_of_oa[level][first_oa] for level in keyed}
    chain = tuple(level for level in ("msoa", "lsoa") if level in requested)
    if not chain and "ward" in requested:
        chain = ("ward",)
    cross = "ward" if "ward" in requested and chain != ("ward",) else None
    piece_levels = [level for level in keyed if level != "oa"]
    piece_key = np.column_stack([area_of_atom[level] for level in piece_levels])
    _, piece_of_atom = np.unique(piece_key, axis=0, return_inverse=True)
    piece_of_atom = piece_of_atom.reshape(-1).astype(np.int64)
    _check_nesting(frame, requested)
    return AtomDesign(
        requested=requested,
        codes=codes,
        area_of_atom=area_of_atom,
        atom_of_oa=atom_of_oa,
        chain=chain,
        cross=cross,
        piece_of_atom=piece_of_atom,
        n_pieces=int(piece_of_atom.max()) + 1,
        n_atoms=len(first_oa),
    )


def _check_nesting(frame: pd.DataFrame, requested: tuple[str, ...]) -> None:
    """Raise a DataError when an LSOA, MSOA or ward spans two parents in the lookup."""
    pairs = [("lsoa", "msoa"), ("lsoa", "borough"), ("msoa", "borough"), ("ward", "borough")]
    for child, parent in pairs:
        if child not in requested:
            continue
        child_column, parent_column = CODE_COLUMN[child], CODE_COLUMN[parent]
        if parent_column not in frame.columns:
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
        weights[level] * (design.membership(level).T @ np.asarray(measured, dtype=float))
        for level, measured in values.items()
    )
    if finest is None:
        return _fit_dense(design, weights, np.asarray(right))
    return _fit_woodbury(design, weights, finest, np.asarray(right))


def _fit_dense(design: AtomDesign, weights: Mapping[str, float], right: np.ndarray) -> GlsFit:
    """GLS with a Cholesky factor of the full normal matrix (few atoms)."""
    normal = sum(
        weight * (design.membership(level).T @ design.membership(level)).toarray()
        for level, weight in weights.items()
    )
    normal = np.asarray(normal)
    normal[np.diag_indices(design.n_atoms)] += _RIDGE * float(np.mean(np.diag(normal)))
    factor = scipy.linalg.cholesky(normal, lower=True, check_finite=False)
    atoms = scipy.linalg.cho_solve((factor, True), right, check_finite=False)
    variance = {}
    for level in design.area_of_atom:
        # diag(A N^-1 A') = squared column norms of L^-1 A' with N = L L'.
        member = design.membership(level).toarray().T
        solved = scipy.linalg.solve_triangular(factor, member, lower=True, check_finite=False)
        variance[level] = np.einsum("ij,ij->j", solved, solved)
    return GlsFit(atoms=atoms, variance=variance)


def _fit_woodbury(
    design: AtomDesign, weights: Mapping[str, float], finest: str, right: np.ndarray
) -> GlsFit:
    """GLS when ``N = w I + C' W C``: ``N^-1 = (I - C' K^-1 C) / w`` with ``K = w W^-1 + C C'``."""
    scale = weights[finest]
    coarse = [level for level in weights if level != finest]
    if not coarse:
        atoms = right / scale
        variance = {
            level: np.asarray(design.membership(level).sum(axis=1)).ravel() / scale
            for level in design.area_of_atom
        }
        return GlsFit(atoms=atoms, variance=variance)
    stacked = scipy.sparse.vstack([design.membership(level) for level in coarse]).tocsr()
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
    variance = {}
    for level in design.area_of_atom:
        member = design.membership(level)
        sizes = np.asarray(member.sum(axis=1)).ravel()
        crossed = (stacked @ member.T).toarray()
        solved = scipy.linalg.solve_triangular(factor, crossed, lower=True, check_finite=False)
        variance[level] = (sizes - np.einsum("ij,ij->j", solved, solved)) / scale
    return GlsFit(atoms=atoms, variance=variance)
