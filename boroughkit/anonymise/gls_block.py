"""The GLS of one borough's atoms, and every borough's in turn.

Within a borough the normal matrix is small. When one measured level has an area per atom
(OAs, typically) it is a scaled identity plus a low-rank part, ``N = w I + C' W C``, and the
Woodbury identity needs only a Cholesky factor of the coarse areas' matrix
``K = w W^-1 + C C'``; otherwise the pseudo-inverse comes from an eigendecomposition, which
keeps area estimates exact when the levels do not identify every atom (e.g. wards and MSOAs
only).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.linalg
import scipy.sparse

from boroughkit.anonymise.hierarchy import AtomDesign

# Eigenvalues below this fraction of the largest are the directions the levels do not identify.
_RANK_TOLERANCE = 1e-10

Members = Mapping[str, scipy.sparse.csr_matrix]


class BlockSolver:
    """``N^+`` applied borough by borough, for the levels that nest in a borough."""

    def __init__(self, design: AtomDesign, weights: Mapping[str, float]) -> None:
        """Sort atoms and areas by borough so each borough's matrices are contiguous slices."""
        self._weights = dict(weights)
        self._n_atoms = design.n_atoms
        block_of_atom = design.area_of_atom["borough"]
        n_blocks = len(design.codes["borough"])
        self._atom_order, self._atom_starts = _sorted_starts(block_of_atom, n_blocks)
        self._levels = [level for level in design.members if level != "region"]
        self._area_order: dict[str, np.ndarray] = {}
        self._area_starts: dict[str, np.ndarray] = {}
        self._permuted: dict[str, scipy.sparse.csr_matrix] = {}
        for level in self._levels:
            block_of_area = design.parent_index(level, "borough")
            order, starts = _sorted_starts(block_of_area, n_blocks)
            self._area_order[level], self._area_starts[level] = order, starts
            self._permuted[level] = design.members[level][order][:, self._atom_order].tocsr()
        self._variance = {level: np.zeros(len(design.codes[level])) for level in self._levels}
        self._solved = False

    def solve(self, right: np.ndarray) -> np.ndarray:
        """``P right`` (atoms × columns), computing every level's block variances on the way."""
        solution = np.zeros_like(right)
        for block in range(len(self._atom_starts) - 1):
            first, last = self._atom_starts[block], self._atom_starts[block + 1]
            atoms = self._atom_order[first:last]
            members = {}
            for level in self._levels:
                start, stop = self._area_starts[level][block], self._area_starts[level][block + 1]
                members[level] = self._permuted[level][start:stop][:, first:last]
            block_solution, block_variance = block_fit(members, self._weights, right[atoms])
            solution[atoms] = block_solution
            for level, variance in block_variance.items():
                start, stop = self._area_starts[level][block], self._area_starts[level][block + 1]
                self._variance[level][self._area_order[level][start:stop]] = variance
        self._solved = True
        return solution

    def variance(self) -> dict[str, np.ndarray]:
        """``diag(A_l P A_l')`` for every level but the region (after :meth:`solve`)."""
        if not self._solved:
            self.solve(np.zeros((self._n_atoms, 0)))
        return {level: values.copy() for level, values in self._variance.items()}


def block_fit(
    members: Members, weights: Mapping[str, float], right: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``N^+ right`` and ``diag(A_l N^+ A_l')`` for one block's atoms."""
    n_atoms = right.shape[0]
    measured = {level: weight for level, weight in weights.items() if level in members}
    finest = next((lv for lv in measured if members[lv].shape[0] == n_atoms), None)
    if finest is None:
        return dense_fit(members, measured, right)
    return _woodbury_fit(members, measured, finest, right)


def dense_fit(
    members: Members, weights: Mapping[str, float], right: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """GLS with an eigendecomposition of the whole normal matrix (few atoms).

    The unidentified splits of atoms get the pseudo-inverse's smallest values.
    """
    n_atoms = right.shape[0]
    normal = np.zeros((n_atoms, n_atoms))
    for level, weight in weights.items():
        normal += weight * (members[level].T @ members[level]).toarray()
    eigenvalues, eigenvectors = scipy.linalg.eigh(normal, check_finite=False)
    kept = eigenvalues > _RANK_TOLERANCE * max(float(eigenvalues.max(initial=0.0)), 1e-300)
    # N^+ = Q_k diag(1/lambda_k) Q_k'; its square root factor gives the variances.
    root = eigenvectors[:, kept] / np.sqrt(eigenvalues[kept])
    atoms = root @ (root.T @ right)
    projected = {level: member @ root for level, member in members.items()}
    variance = {level: np.einsum("ij,ij->i", p, p) for level, p in projected.items()}
    return atoms, variance


def _woodbury_fit(
    members: Members, weights: Mapping[str, float], finest: str, right: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """GLS when ``N = w I + C' W C``: ``N^-1 = (I - C' K^-1 C) / w`` with ``K = w W^-1 + C C'``."""
    scale = weights[finest]
    coarse = [level for level in weights if level != finest]
    sizes = {lv: np.asarray(m.sum(axis=1)).ravel() for lv, m in members.items()}
    if not coarse:
        return right / scale, {lv: n / scale for lv, n in sizes.items()}
    stacked = scipy.sparse.vstack([members[level] for level in coarse]).tocsr()
    inverse_weight = np.concatenate(
        [np.full(members[level].shape[0], scale / weights[level]) for level in coarse]
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
    for level, member in members.items():
        crossed = (stacked @ member.T).tocsc()
        quadratic = np.asarray(crossed.multiply((crossed.T @ inverse).T).sum(axis=0)).ravel()
        variance[level] = (sizes[level] - quadratic) / scale
    return atoms, variance


def _sorted_starts(group: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Items sorted by group (stable), and where each group starts in that order."""
    order = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[order], np.arange(n_groups + 1))
    return order, starts
