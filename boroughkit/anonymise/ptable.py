"""Perturbation tables (ptables) for the ONS cell-key method, read from CSV or generated.

A ptable says, for each original count (its *pcv*, "perturbation cell value") and each cell key
0–255, which small integer (*pvalue*) is added to the count. The CSV layout is the one the ONS
``cell-key-perturbation`` package reads: columns ``pcv, ckey, pvalue``, one row per pcv × ckey,
pcv 1..750 (a pcv of 0 is optional and must not perturb: empty cells stay zero). Counts above the
last pcv reuse its last 250 rows, cycling, exactly as the ONS package does for counts above 750.

Generated ptables follow the standard construction (Marley & Leaver 2011; Giessing 2016; the
``ptable`` package of the ESSnet): for every original count ``i`` the perturbation ``v`` has

* support ``-D..D`` (``D`` is the maximum perturbation),
* no negative results (``i + v >= 0``) and no results in ``1..js`` (``js`` blocks small counts),
* mean 0 and variance ``V``, with maximum entropy among all such distributions.

Where the support makes variance ``V`` impossible with mean 0 (original counts in ``1..js``, whose
only exits are 0 or above ``js``), the nearest attainable variance is used. The probabilities are
then turned into whole numbers of cell keys out of 256, keeping the mean exactly 0 where the key
grid allows it and the variance as close to its target as the grid allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp, minimize
from scipy.special import logsumexp

from boroughkit.errors import ConfigError, DataError

KEY_RANGE = 256  # record keys and cell keys are 0..255
CYCLE = 250  # counts above the last pcv reuse its last 250 rows (residues mod 250 are kept)
ONS_MAX_PCV = 750
PTABLE_COLUMNS = ("pcv", "ckey", "pvalue")


@dataclass(frozen=True, eq=False)
class PTable:
    """A complete ptable: ``pvalues[pcv, ckey]`` for pcv 0..max_pcv (row 0 is all zeros)."""

    pvalues: np.ndarray
    label: str
    parameters: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        shape = self.pvalues.shape
        if len(shape) != 2 or shape[0] <= CYCLE or shape[1] != KEY_RANGE:
            raise DataError(
                f"ptable {self.label}: shape {shape} is not (max_pcv + 1, 256) with max_pcv ≥ 250"
            )
        perturbed = np.arange(shape[0])[:, None] + self.pvalues
        if perturbed.min() < 0 or self.pvalues[0].any():
            raise DataError(f"ptable {self.label}: it makes negative counts or perturbs zeros")
        self.pvalues.setflags(write=False)  # a ptable is a value; nobody may edit it in place

    @property
    def max_pcv(self) -> int:
        """The largest original count with its own rows."""
        return int(self.pvalues.shape[0] - 1)

    def pcv_for(self, counts: np.ndarray) -> np.ndarray:
        """Map original counts to ptable rows, reusing the last 250 rows for larger counts."""
        counts = np.asarray(counts, dtype=np.int64)
        first_reused = self.max_pcv - CYCLE + 1
        cycled = first_reused + (counts - self.max_pcv - 1) % CYCLE
        return np.where(counts <= self.max_pcv, counts, cycled)

    def lookup(self, counts: np.ndarray, ckeys: np.ndarray) -> np.ndarray:
        """The perturbation for each (original count, cell key) pair, vectorised."""
        return self.pvalues[self.pcv_for(counts), np.asarray(ckeys, dtype=np.int64)]

    def to_frame(self) -> pd.DataFrame:
        """The ptable in the ONS CSV layout (pcv 1..max_pcv × ckey 0..255)."""
        pcv, ckey = np.meshgrid(np.arange(1, self.max_pcv + 1), np.arange(KEY_RANGE), indexing="ij")
        return pd.DataFrame(
            {"pcv": pcv.ravel(), "ckey": ckey.ravel(), "pvalue": self.pvalues[1:].ravel()}
        )

    def moments(self) -> pd.DataFrame:
        """Per pcv: mean, variance, smallest and largest perturbation over the 256 cell keys."""
        rows = self.pvalues[1:].astype(float)
        return pd.DataFrame(
            {
                "pcv": np.arange(1, self.max_pcv + 1),
                "mean": rows.mean(axis=1),
                "variance": rows.var(axis=1),
                "min": rows.min(axis=1),
                "max": rows.max(axis=1),
            }
        )


def load_ptable(path: Path) -> PTable:
    """Read a ptable CSV in the ONS layout; a DataError names the file, column and rows."""
    path = Path(path)
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as error:
        raise DataError(
            f"{path}: cannot read the ptable ({error})",
            fix="give the path of a CSV with columns pcv, ckey, pvalue",
        ) from error
    for column in PTABLE_COLUMNS:
        _check_integer_column(frame, column, path)
    pcv, ckey, pvalue = (frame[c].to_numpy(np.int64) for c in PTABLE_COLUMNS)
    _check_rows(path, "ckey", (ckey < 0) | (ckey >= KEY_RANGE), "is outside 0..255", frame)
    _check_rows(path, "pcv", pcv < 0, "is negative", frame)
    _check_rows(path, "pvalue", pcv + pvalue < 0, "makes pcv + pvalue negative", frame)
    _check_rows(path, "pvalue", (pcv == 0) & (pvalue != 0), "perturbs an empty cell", frame)
    _check_rows(path, "pcv", frame.duplicated(["pcv", "ckey"]).to_numpy(), "repeats", frame)
    max_pcv = int(pcv.max()) if len(pcv) else 0
    if max_pcv < CYCLE:
        raise DataError(
            f"{path}: column 'pcv' stops at {max_pcv}; the method needs rows up to at least "
            f"{CYCLE} (counts above the last pcv reuse its last {CYCLE} rows)",
            fix=f"supply pcv 1..{ONS_MAX_PCV} for every ckey 0..255",
        )
    table = np.zeros((max_pcv + 1, KEY_RANGE), dtype=np.int64)
    filled = np.zeros_like(table, dtype=bool)
    table[pcv, ckey] = pvalue
    filled[pcv, ckey] = True
    missing = np.argwhere(~filled[1:])
    if len(missing):
        examples = ", ".join(f"(pcv {p + 1}, ckey {k})" for p, k in missing[:5])
        raise DataError(
            f"{path}: {len(missing)} pcv × ckey combinations are missing, e.g. {examples}",
            fix=f"give one row for every pcv 1..{max_pcv} and every ckey 0..255",
        )
    return PTable(table, label=path.name, parameters={})


def _check_integer_column(frame: pd.DataFrame, column: str, path: Path) -> None:
    """Raise a DataError unless ``column`` exists and holds whole numbers only."""
    if column not in frame.columns:
        raise DataError(
            f"{path}: ptable column '{column}' is missing (found: {', '.join(map(str, frame))})",
            fix="use the ONS layout: columns pcv, ckey, pvalue",
        )
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() | (values.fillna(0) % 1 != 0)
    _check_rows(path, column, bad.to_numpy(), "is not a whole number", frame)


def _check_rows(
    path: Path, column: str, bad: np.ndarray, problem: str, frame: pd.DataFrame
) -> None:
    """Raise a DataError naming the first offending CSV lines (line 1 is the header)."""
    if bad.any():
        lines = ", ".join(str(i + 2) for i in frame.index[bad][:5])
        raise DataError(
            f"{path}: column '{column}' {problem} on {int(bad.sum())} row(s), e.g. lines {lines}",
            fix="correct the ptable; pcv ≥ 0, ckey 0..255, pcv + pvalue ≥ 0, one row per pair",
        )


def generate_ptable(
    *, D: int = 5, V: float = 2.0, js: int = 4, max_count: int = ONS_MAX_PCV
) -> PTable:
    """Build a maximum-entropy ptable (see the module docstring for the construction).

    ``D``: maximum absolute perturbation; ``V``: target variance of the perturbation; ``js``:
    original counts never become ``1..js`` (they may become 0 or more than ``js``); ``max_count``:
    last pcv with its own rows (750 as in the ONS package; larger counts reuse the last 250 rows).
    """
    _check_parameters(D, V, js, max_count)
    distinct = D + js + 1  # from here on the support, hence the distribution, no longer changes
    rows = [np.zeros(KEY_RANGE, dtype=np.int64)]
    for count in range(1, distinct + 1):
        rows.append(_row_for(count, D, float(V), js))
    rows.extend(rows[-1:] * (max_count - distinct))
    label = f"D{D}_V{V:g}_js{js}"
    return PTable(np.vstack(rows), label=label, parameters={"D": D, "V": V, "js": js})


def _check_parameters(D: int, V: float, js: int, max_count: int) -> None:
    """Raise a ConfigError naming the first ptable parameter outside its allowed range."""
    if D < 1:
        raise ConfigError(f"ptable D={D} must be at least 1", fix="use D: 5 (the usual value)")
    if not 0 < V < D * D:
        raise ConfigError(
            f"ptable V={V} must be above 0 and below D² = {D * D}", fix="use V: 2.0 with D: 5"
        )
    if not 0 <= js < D:
        # a count in 1..js must be able to reach 0, and js + 1 must be able to move down
        raise ConfigError(f"ptable js={js} must be at least 0 and below D={D}", fix="use js: 4")
    if max_count - CYCLE + 1 <= D + js:
        raise ConfigError(
            f"ptable max_count={max_count} is too small: its last {CYCLE} rows must lie above "
            f"D + js = {D + js}",
            fix=f"use max_count: {ONS_MAX_PCV}",
        )


def _row_for(count: int, D: int, V: float, js: int) -> np.ndarray:
    """The 256 pvalues of one original count, ordered from the most negative."""
    support = np.arange(max(-D, -count), D + 1)
    targets = count + support
    support = support[(targets == 0) | (targets > js)]
    low, high = _variance_range(support)
    variance = min(max(V, low), high)
    if low < variance < high:
        probabilities = _max_entropy(support, variance)
    else:  # only a two-point distribution reaches the edge of the attainable range
        neg, pos = support[support < 0], support[support > 0]
        a, b = (neg.max(), pos.min()) if variance <= low else (neg.min(), pos.max())
        probabilities = np.where(support == a, b / (b - a), np.where(support == b, -a / (b - a), 0))
    keys = _whole_keys(support, probabilities, variance)
    return np.repeat(support, keys).astype(np.int64)


def _variance_range(support: np.ndarray) -> tuple[float, float]:
    """Smallest and largest variance of a mean-zero distribution on ``support``."""
    neg, pos = support[support < 0], support[support > 0]
    low = 0.0 if (support == 0).any() else float(-neg.max() * pos.min())
    return low, float(-neg.min() * pos.max())


def _max_entropy(support: np.ndarray, variance: float) -> np.ndarray:
    """Maximum-entropy probabilities on ``support`` with mean 0 and the given variance.

    The solution has the form p(v) ∝ exp(a·v + b·v²); (a, b) minimise the convex dual
    log Σ exp(a·v + b·v²) − b·variance, solved with exact gradient and Hessian.
    """
    v = support.astype(float)
    powers = np.vstack([v, v * v])

    def probabilities(lam: np.ndarray) -> np.ndarray:
        z = lam @ powers
        return np.asarray(np.exp(z - logsumexp(z)))

    def dual(lam: np.ndarray) -> float:
        return float(logsumexp(lam @ powers) - lam[1] * variance)

    def gradient(lam: np.ndarray) -> np.ndarray:
        return np.asarray(powers @ probabilities(lam) - [0.0, variance])

    def hessian(lam: np.ndarray) -> np.ndarray:
        p = probabilities(lam)
        centred = powers - (powers @ p)[:, None]
        return np.asarray((centred * p) @ centred.T)

    solution = minimize(
        dual, np.zeros(2), jac=gradient, hess=hessian, method="trust-exact", options={"gtol": 1e-12}
    )
    p = probabilities(solution.x)
    if abs(p @ v) > 1e-6 or abs(p @ (v * v) - variance) > 1e-6:
        raise ConfigError(
            f"no perturbation distribution on {support.tolist()} has mean 0 and variance "
            f"{variance}",
            fix="choose V well inside (0, D²)",
        )
    return p


def _whole_keys(support: np.ndarray, probabilities: np.ndarray, variance: float) -> np.ndarray:
    """Whole numbers of cell keys (summing to 256) per perturbation, as a small integer program.

    Minimises Σ|n − 256·p| + 1000·|Σ n·v| + 4·|Σ n·v² − 256·variance|: the mean is kept at 0
    whenever the key grid allows it, then the variance, then the shape.
    """
    k = len(support)
    target = KEY_RANGE * probabilities
    v = support.astype(float)
    eye = np.eye(k)
    # variables: n (k keys), d (k absolute deviations), mean error, variance error
    rows = [
        (np.r_[np.ones(k), np.zeros(k + 2)], KEY_RANGE, KEY_RANGE),
        *((np.r_[row, -row, 0, 0], -np.inf, t) for row, t in zip(eye, target, strict=True)),
        *((np.r_[-row, -row, 0, 0], -np.inf, -t) for row, t in zip(eye, target, strict=True)),
        (np.r_[v, np.zeros(k), -1, 0], -np.inf, 0),
        (np.r_[-v, np.zeros(k), -1, 0], -np.inf, 0),
        (np.r_[v * v, np.zeros(k), 0, -1], -np.inf, KEY_RANGE * variance),
        (np.r_[-v * v, np.zeros(k), 0, -1], -np.inf, -KEY_RANGE * variance),
    ]
    matrix = np.vstack([r[0] for r in rows])
    result = milp(
        c=np.r_[np.zeros(k), np.ones(k), 1000.0, 4.0],
        constraints=LinearConstraint(matrix, [r[1] for r in rows], [r[2] for r in rows]),
        integrality=np.r_[np.ones(k), np.zeros(k + 2)],
        bounds=Bounds(0, np.r_[np.full(k, KEY_RANGE), np.full(k + 2, np.inf)]),
    )
    if result.x is None:  # cannot happen for a valid support; kept as a guard
        raise ConfigError(f"could not allocate cell keys on {support.tolist()}: {result.message}")
    return np.rint(result.x[:k]).astype(np.int64)
