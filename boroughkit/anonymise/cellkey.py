"""The ONS cell-key method for frequency tables: perturb, suppress below a threshold, round.

Steps, in the order (and with the semantics) of the ONS ``cell-key-perturbation`` package:

1. count the contributors of every cell; the cells are ``all_groups`` when given, otherwise every
   combination of the observed values of the group columns (all categories of a categorical
   column), so empty cells are part of the table;
2. cell key = sum of the contributors' record keys mod 256 (0 for an empty cell);
3. add the ptable's pvalue for (pcv, cell key), where pcv is the count, or for counts above the
   ptable's last row (750) one of its last 250 rows with the same residue mod 250; empty cells are
   never perturbed, so zeros stay zero;
4. suppress every cell whose *perturbed* count is below ``threshold`` (this includes the zeros
   while ``threshold`` > 0, so a suppressed cell does not say whether it was empty);
5. round the published counts to ``rounding_base`` (halves upwards).

The ONS package has no separate rounding step: its rounding lives in the ptable (its
``ptable_10_5_rule`` sends every count to a multiple of 5 and counts below 10 to 0). Step 5
therefore leaves the output of such a ptable unchanged, which is why, on the same records, record
keys and ptable, this function returns the ONS package's counts; with a ptable that does not
round, pass ``rounding_base=1`` for the ONS package's exact output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from boroughkit.anonymise.ptable import KEY_RANGE, PTable
from boroughkit.errors import ConfigError, DataError

MAX_CARTESIAN_CELLS = 20_000_000  # beyond this the full grid of observed values is a mistake


@dataclass(frozen=True)
class CellKeyResult:
    """A perturbed table: the group columns, ``count`` (Int64, <NA> if suppressed), ``status``.

    ``status`` is ``"published"`` or ``"suppressed"``. The rules applied travel with the table so
    the publisher can say what was done to it.
    """

    table: pd.DataFrame
    threshold: int
    rounding_base: int
    ptable_label: str

    @property
    def suppressed(self) -> int:
        """How many cells were suppressed."""
        return int((self.table["status"] == "suppressed").sum())

    def describe(self) -> str:
        """One line for metadata: the method and its rules."""
        return (
            f"ONS cell-key perturbation (ptable {self.ptable_label}); perturbed counts below "
            f"{self.threshold} suppressed; counts rounded to base {self.rounding_base}"
        )


def perturb_counts(
    records: pd.DataFrame,
    *,
    group_by: Sequence[str],
    record_key: str,
    ptable: PTable,
    all_groups: pd.DataFrame | None = None,
    threshold: int = 10,
    rounding_base: int = 5,
) -> CellKeyResult:
    """Tabulate ``records`` (one row per person × cell) by ``group_by`` with the cell-key method.

    ``record_key`` names the column of record keys (0..255, from :class:`KeyStore`).
    ``all_groups`` lists every public group combination (e.g. all OAs × categories), so that empty
    cells are released too and in that order; records outside it are an error, not dropped.
    """
    group_by = list(group_by)
    _check_arguments(records, group_by, record_key, threshold, rounding_base)
    keys = _record_keys(records, record_key)
    if all_groups is None:
        cells, cell_of_record = _cartesian_cells(records, group_by)
    else:
        cells, cell_of_record = _listed_cells(records, group_by, all_groups)
    counts = np.bincount(cell_of_record, minlength=len(cells))
    # float sums are exact here: at most 255 × rows, far below 2**53
    key_sums = np.bincount(cell_of_record, weights=keys, minlength=len(cells))
    table = cells.copy()
    table["count"], table["status"] = perturb_cells(
        counts, key_sums.astype(np.int64), ptable, threshold, rounding_base
    )
    return CellKeyResult(table, threshold, rounding_base, ptable.label)


def perturb_cells(
    counts: np.ndarray, key_sums: np.ndarray, ptable: PTable, threshold: int, rounding_base: int
) -> tuple[pd.arrays.IntegerArray, np.ndarray]:
    """Steps 2–5 on cells' true ``counts`` and the sums of their contributors' record keys:
    the published counts (<NA> where suppressed) and each cell's status."""
    flat_counts = np.asarray(counts, dtype=np.int64).reshape(-1)
    cell_keys = np.asarray(key_sums, dtype=np.int64).reshape(-1) % KEY_RANGE
    perturbed = flat_counts + ptable.lookup(flat_counts, cell_keys)
    suppressed = perturbed < threshold
    rounded = (perturbed + rounding_base // 2) // rounding_base * rounding_base
    published = pd.arrays.IntegerArray(rounded.astype(np.int64), mask=suppressed)
    return published, np.where(suppressed, "suppressed", "published")


def _check_arguments(
    records: pd.DataFrame, group_by: list[str], record_key: str, threshold: int, base: int
) -> None:
    """Raise a ConfigError for bad rules and a DataError for columns the records lack."""
    if not group_by:
        raise ConfigError("a cell-key table needs at least one group column", fix="set count_by")
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
        raise ConfigError(f"threshold {threshold!r} must be a whole number ≥ 0", fix="use 10")
    if isinstance(base, bool) or not isinstance(base, int) or base < 1:
        raise ConfigError(f"rounding base {base!r} must be a whole number ≥ 1", fix="use 5")
    missing = [c for c in [*group_by, record_key] if c not in records.columns]
    if missing:
        raise DataError(
            f"records lack column(s) {missing} (found: {list(records.columns)})",
            fix="tabulate only columns present after loading and geocoding",
        )


def _record_keys(records: pd.DataFrame, record_key: str) -> np.ndarray:
    """The record keys as int64; a DataError names the rows that are missing or out of range."""
    column = records[record_key]
    if not pd.api.types.is_integer_dtype(column.dtype):
        raise DataError(
            f"column '{record_key}' must hold whole-number record keys, not {column.dtype}",
            fix="draw the keys with KeyStore.keys_for",
        )
    bad = (column.isna() | (column < 0) | (column >= KEY_RANGE)).to_numpy(bool)
    if bad.any():
        raise DataError(
            f"column '{record_key}': {int(bad.sum())} record key(s) missing or outside 0..255, "
            f"e.g. rows {_rows(records.index, bad)}",
            fix="draw the keys with KeyStore.keys_for",
        )
    return column.to_numpy(np.int64)


def _cartesian_cells(records: pd.DataFrame, group_by: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Every combination of the observed levels, in sorted order, and each record's cell."""
    codes, levels = [], []
    for column in group_by:
        values = records[column]
        _check_no_missing(values, records.index)
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes.append(values.cat.codes.to_numpy(np.int64))
            levels.append(pd.Index(values.cat.categories))
        else:
            column_codes, uniques = pd.factorize(values, sort=True)
            codes.append(column_codes.astype(np.int64))
            levels.append(pd.Index(uniques, name=column))
    shape = tuple(len(level) for level in levels)
    if int(np.prod(shape, dtype=float)) > MAX_CARTESIAN_CELLS:
        raise DataError(
            f"grouping by {group_by} makes {np.prod(shape, dtype=float):.0f} cells",
            fix="pass all_groups with the public group combinations, or group by fewer columns",
        )
    grid = pd.MultiIndex.from_product(levels, names=group_by).to_frame(index=False)
    if 0 in shape:
        return grid, np.zeros(0, dtype=np.int64)
    return grid, np.ravel_multi_index(codes, shape).astype(np.int64)


def _listed_cells(
    records: pd.DataFrame, group_by: list[str], all_groups: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray]:
    """The cells of ``all_groups`` in its order, and each record's row in it."""
    absent = [c for c in group_by if c not in all_groups.columns]
    if absent:
        raise DataError(f"all_groups lacks column(s) {absent}", fix="list every group column")
    cells = all_groups[group_by].reset_index(drop=True)
    for column in group_by:
        _check_no_missing(cells[column], cells.index, what="all_groups")
        _check_no_missing(records[column], records.index)
    repeated = cells.duplicated().to_numpy()
    if repeated.any():
        raise DataError(
            f"all_groups repeats {int(repeated.sum())} combination(s), e.g. rows "
            f"{_rows(cells.index, repeated)}",
            fix="list each group combination once",
        )
    per_column, unlisted_value = [], np.zeros(len(records), dtype=bool)
    for column in group_by:
        levels = pd.Index(pd.unique(cells[column].to_numpy()))
        record_codes = levels.get_indexer(records[column])
        unlisted_value |= record_codes < 0
        per_column.append(np.concatenate([levels.get_indexer(cells[column]), record_codes]))
    joint = _joint_codes(per_column)
    positions = pd.Index(joint[: len(cells)]).get_indexer(joint[len(cells) :])
    positions[unlisted_value] = -1
    outside = positions < 0
    if outside.any():
        raise DataError(
            f"{int(outside.sum())} record(s) fall in groups that all_groups does not list, "
            f"e.g. rows {_rows(records.index, outside)}",
            fix="add the missing combinations to all_groups or correct the records' codes",
        )
    return cells, positions.astype(np.int64)


def _joint_codes(per_column: list[np.ndarray]) -> np.ndarray:
    """One code per row for the combination of its per-column codes (equal rows, equal codes)."""
    joint = np.zeros(len(per_column[0]), dtype=np.int64)
    for codes in per_column:
        width = int(codes.max()) + 2 if len(codes) else 1  # codes may be -1
        # re-compact after each column so the running product can never overflow int64
        joint = pd.factorize(joint * width + codes + 1)[0].astype(np.int64)
    return joint


def _check_no_missing(values: pd.Series, index: pd.Index, what: str = "records") -> None:
    """Group columns may not be missing: a DataError names the column and rows."""
    missing = values.isna().to_numpy()
    if missing.any():
        raise DataError(
            f"{what} column '{values.name}' is missing in {int(missing.sum())} row(s), "
            f"e.g. rows {_rows(index, missing)}",
            fix="map missing values to an explicit category (e.g. 'Unknown') before tabulating",
        )


def _rows(index: pd.Index, mask: np.ndarray) -> str:
    """The first few row labels where ``mask`` holds, for error messages."""
    return ", ".join(map(str, index[mask][:5]))
