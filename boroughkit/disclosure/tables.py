"""A release's published tables as one long set of cells, and the sums an intruder knows.

Every table of a release, at every level, becomes rows of one :class:`CellTable`. The linear
relations between those cells (a parent area is the sum of its child areas, a total is the sum
of its categories) are public knowledge: anyone can write them down from the published tables
and the ONS lookups. :func:`build_relations` writes them as a sparse system ``A x = 0``, the
starting point of the attack audit and of secondary suppression.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from boroughkit.errors import DataError

#: Reserved category key of the all-category total of a table.
TOTAL_CATEGORY = "Total"
PUBLISHED = "published"
SUPPRESSED = "suppressed"
#: What a cell measures; counts and magnitudes (sums) add up across areas and categories.
MEASURES = ("count", "magnitude", "mean", "rate")
ADDITIVE_MEASURES = ("count", "magnitude")
KEY_COLUMNS = ("table", "level", "area_code", "category")


@dataclass(frozen=True)
class CellTable:
    """All cells of a release, one row each, with true values kept for the gate's own use.

    Columns: ``table, level, area_code, category, value, contributors, top1, top2, measure,
    structural_zero, status, rule``. ``value`` is the true value even when ``status`` is
    ``"suppressed"``; :meth:`public_frame` is what may be published.
    """

    frame: pd.DataFrame

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, source: str = "cells") -> CellTable:
        """Validate ``frame`` and fill the optional columns with their defaults."""
        missing = [column for column in (*KEY_COLUMNS, "value") if column not in frame.columns]
        if missing:
            raise DataError(f"{source}: missing columns {missing}",
                            fix=f"give every cell the columns {[*KEY_COLUMNS, 'value']}")
        cells = frame.reset_index(drop=True).copy()
        for column in KEY_COLUMNS:
            cells[column] = cells[column].astype(str)
        cells["value"] = pd.to_numeric(cells["value"], errors="coerce").astype(float)
        _require_rows(cells, ~np.isfinite(cells["value"]), source,
                      "have no numeric value", "give suppressed cells their true value too")
        for column in ("top1", "top2"):
            cells[column] = (pd.to_numeric(cells[column], errors="coerce").astype(float)
                             if column in cells else np.nan)
        if "measure" not in cells:
            cells["measure"] = np.where(cells["top1"].notna(), "magnitude", "count")
        _require_rows(cells, ~cells["measure"].isin(MEASURES), source,
                      "have an unknown measure", f"use one of {list(MEASURES)}")
        counts = cells["measure"].eq("count")
        if "contributors" in cells:
            cells["contributors"] = pd.to_numeric(cells["contributors"], errors="coerce")
        else:
            cells["contributors"] = np.nan
        cells["contributors"] = cells["contributors"].astype(float)
        # A count cell counts persons, so its contributors are its value unless stated.
        cells.loc[counts & cells["contributors"].isna(), "contributors"] = cells["value"]
        cells["structural_zero"] = (cells["structural_zero"].fillna(False).astype(bool)
                                    if "structural_zero" in cells else False)
        cells["status"] = cells["status"].astype(str) if "status" in cells else PUBLISHED
        _require_rows(cells, ~cells["status"].isin((PUBLISHED, SUPPRESSED)), source,
                      "have an unknown status", f"use '{PUBLISHED}' or '{SUPPRESSED}'")
        cells["rule"] = cells["rule"].fillna("").astype(str) if "rule" in cells else ""
        _require_rows(cells, cells.duplicated(list(KEY_COLUMNS), keep=False), source,
                      "repeat the same table/level/area/category",
                      "publish each cell once (aggregate duplicates first)")
        return cls(cells)

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def suppressed(self) -> np.ndarray:
        """Boolean mask of the suppressed cells."""
        return np.asarray(self.frame["status"].to_numpy() == SUPPRESSED)

    def suppress(self, mask: np.ndarray | pd.Series, rule: str) -> CellTable:
        """A copy with the cells in ``mask`` suppressed; ``rule`` is recorded on newly hit cells.

        A cell hit by several rules lists them all, comma-separated.
        """
        mask = np.asarray(mask, dtype=bool)
        cells = self.frame.copy()
        rules = cells["rule"].to_numpy(dtype=object)
        already = rules != ""
        rules[mask & already] = rules[mask & already] + "," + rule
        rules[mask & ~already] = rule
        cells["rule"] = rules
        cells.loc[mask, "status"] = SUPPRESSED
        return CellTable(cells)

    def public_frame(self) -> pd.DataFrame:
        """The cells as they may be published: suppressed values blanked, private columns gone."""
        public = self.frame[[*KEY_COLUMNS, "value", "measure", "status"]].copy()
        public.loc[self.suppressed, "value"] = np.nan
        return public


@dataclass(frozen=True)
class Relations:
    """The system ``matrix @ x == rhs`` an intruder knows, one row per relation.

    Columns ``0 .. n_cells-1`` are the cells of the :class:`CellTable` in row order; further
    columns are cells the relations need but the release does not contain (``hidden`` lists
    their keys): to an intruder they are unknown non-negative values. ``kind`` names each row's
    relation (``"total"``, ``"hierarchy:oa>lsoa"``, ``"linked-total"``). Unpacks as
    ``A, rhs = relations``.
    """

    matrix: sparse.csr_array
    rhs: np.ndarray
    kind: np.ndarray
    n_cells: int
    hidden: pd.DataFrame

    def __iter__(self) -> Iterator[Any]:
        return iter((self.matrix, self.rhs))


def build_relations(cells: CellTable, lookup: pd.DataFrame, *,
                    custom_levels: Mapping[str, pd.Series] | None = None,
                    linked_totals: Sequence[Sequence[str]] = ()) -> Relations:
    """The linear relations between the additive cells (counts, magnitudes) of a release.

    Per table and category, each published parent area equals the sum of its areas at the
    nearest finer published level that nests in it (OA → LSOA → MSOA → borough, OA → ward →
    borough, custom levels by their OA mapping); per table, level and area the total equals the
    sum of the categories. ``lookup`` has one row per OA (``oa_code`` and ``<level>_code``);
    ``custom_levels`` maps a level name to a Series OA code → area code. ``linked_totals``
    lists groups of tables whose totals count the same people, so their totals are equal.
    """
    level_maps = _level_maps(lookup, custom_levels or {})
    frame = cells.frame
    additive = frame["measure"].isin(ADDITIVE_MEASURES).to_numpy()
    _check_areas(frame[additive], level_maps)
    encoder = _KeyEncoder(frame, level_maps)
    universe = []
    for table, group in frame[additive].groupby("table", sort=True):
        levels = sorted(set(group["level"]))
        categories = sorted(set(group["category"]))
        universe.append(encoder.grid(str(table), levels,
                                     {lv: level_maps[lv].dropna().unique() for lv in levels},
                                     categories))
    cell_keys = encoder.encode(frame)
    all_keys = np.unique(np.concatenate(universe)) if universe else np.zeros(0, np.int64)
    hidden_keys = np.setdiff1d(all_keys, cell_keys[additive], assume_unique=False)
    columns = _ColumnIndex(cell_keys, hidden_keys)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, str]] = []
    for table, group in frame[additive].groupby("table", sort=True):
        levels = sorted(set(group["level"]))
        categories = sorted(set(group["category"]))
        for child, parent in _nesting_pairs(levels, level_maps):
            parts.append(_hierarchy_rows(encoder, columns, str(table), child, parent,
                                         level_maps, categories))
        if TOTAL_CATEGORY in categories and len(categories) > 1:
            for level in levels:
                parts.append(_total_rows(encoder, columns, str(table), level,
                                         level_maps[level].dropna().unique(), categories))
    parts += _linked_rows(encoder, columns, frame[additive], linked_totals, level_maps)
    return _assemble(parts, len(frame), encoder.decode(hidden_keys))


def _require_rows(cells: pd.DataFrame, bad: pd.Series | np.ndarray, source: str,
                  problem: str, fix: str) -> None:
    bad = np.asarray(bad, dtype=bool)
    if bad.any():
        rows = np.flatnonzero(bad)
        sample = cells.iloc[rows[:5]][list(KEY_COLUMNS)].to_dict("records")
        raise DataError(f"{source}: {len(rows)} rows {problem} (rows {rows[:5].tolist()}: "
                        f"{sample})", fix=fix)


def _level_maps(lookup: pd.DataFrame, custom: Mapping[str, pd.Series]) -> dict[str, pd.Series]:
    """Each level as a Series OA code → area code (NaN where an OA has no area of that level)."""
    if "oa_code" not in lookup.columns:
        raise DataError("lookup: missing column 'oa_code'", fix="pass one row per OA")
    oa = lookup["oa_code"].astype(str)
    maps = {"oa": pd.Series(oa.to_numpy(), index=oa.to_numpy())}
    for level in ("lsoa", "msoa", "ward", "borough"):
        if f"{level}_code" in lookup.columns:
            maps[level] = pd.Series(lookup[f"{level}_code"].astype("string").to_numpy(),
                                    index=oa.to_numpy()).astype(object)
    for level, mapping in custom.items():
        series = pd.Series(mapping).astype("string").astype(object)
        unknown = series.index.difference(maps["oa"].index)
        if len(unknown):
            raise DataError(f"custom level '{level}': OA codes not in the lookup: "
                            f"{list(unknown[:5])}", fix="map only the OAs of this geography")
        maps[level] = series.reindex(maps["oa"].index)
    return maps


def _check_areas(frame: pd.DataFrame, level_maps: Mapping[str, pd.Series]) -> None:
    for level, group in frame.groupby("level"):
        if level not in level_maps:
            raise DataError(f"cells: level '{level}' is not in the lookup",
                            fix="pass its OA → area mapping in custom_levels")
        unknown = sorted(set(group["area_code"]) - set(level_maps[str(level)].dropna()))
        if unknown:
            raise DataError(f"cells: {len(unknown)} {level} area codes are not in the lookup: "
                            f"{unknown[:5]}", fix="use the lookup of the geography published")


def _nests(child: pd.Series, parent: pd.Series) -> bool:
    """True when every child area lies in one parent area and the children cover each parent."""
    pairs = pd.DataFrame({"child": child.fillna(""), "parent": parent.fillna("")})
    pairs = pairs[pairs["parent"] != ""]
    if (pairs["child"] == "").any():
        return False
    return bool(pairs.groupby("child")["parent"].nunique().max() <= 1)


def _nesting_pairs(levels: Sequence[str], maps: Mapping[str, pd.Series]) -> list[tuple[str, str]]:
    """(child, parent) pairs among ``levels``, keeping only the nearest parent of each chain."""
    sizes = {level: maps[level].nunique() for level in levels}
    inside = {(a, b) for a in levels for b in levels
              if a != b and (sizes[a], a) > (sizes[b], b) and _nests(maps[a], maps[b])}
    return [(a, b) for (a, b) in sorted(inside)
            if not any((a, c) in inside and (c, b) in inside for c in levels)]


class _KeyEncoder:
    """Integer keys for (table, level, area, category), so joins are array lookups."""

    def __init__(self, frame: pd.DataFrame, maps: Mapping[str, pd.Series]) -> None:
        self.tables = pd.Index(sorted(set(frame["table"])))
        self.levels = pd.Index(sorted(set(frame["level"]) | set(maps)))
        areas = set(frame["area_code"]).union(*(set(m.dropna()) for m in maps.values()))
        self.areas = pd.Index(sorted(areas))
        self.categories = pd.Index(sorted(set(frame["category"])))
        self.sizes = (len(self.levels), len(self.areas), len(self.categories))

    def key(self, table: np.ndarray, level: np.ndarray, area: np.ndarray,
            category: np.ndarray) -> np.ndarray:
        n_levels, n_areas, n_categories = self.sizes
        return ((table.astype(np.int64) * n_levels + level) * n_areas + area) * n_categories \
            + category

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        return self.key(self.tables.get_indexer(frame["table"]),
                        self.levels.get_indexer(frame["level"]),
                        self.areas.get_indexer(frame["area_code"]),
                        self.categories.get_indexer(frame["category"]))

    def grid(self, table: str, levels: Sequence[str], areas: Mapping[str, np.ndarray],
             categories: Sequence[str]) -> np.ndarray:
        """Keys of every area × category cell of ``table`` at ``levels``."""
        cats = self.categories.get_indexer(categories)
        parts = []
        for level in levels:
            area_ids = self.areas.get_indexer(areas[level])
            a, c = np.meshgrid(area_ids, cats, indexing="ij")
            t = np.full(a.size, self.tables.get_loc(table))
            lv = np.full(a.size, self.levels.get_loc(level))
            parts.append(self.key(t, lv, a.ravel(), c.ravel()))
        return np.concatenate(parts)

    def decode(self, keys: np.ndarray) -> pd.DataFrame:
        n_levels, n_areas, n_categories = self.sizes
        rest, category = np.divmod(keys, n_categories)
        rest, area = np.divmod(rest, n_areas)
        table, level = np.divmod(rest, n_levels)
        return pd.DataFrame({"table": self.tables[table], "level": self.levels[level],
                             "area_code": self.areas[area], "category": self.categories[category]})


class _ColumnIndex:
    """Column of each key: cells first (in table order), then hidden cells."""

    def __init__(self, cell_keys: np.ndarray, hidden_keys: np.ndarray) -> None:
        self.keys = np.concatenate([cell_keys, hidden_keys])
        self.order = np.argsort(self.keys, kind="stable")
        self.sorted = self.keys[self.order]

    def __call__(self, keys: np.ndarray) -> np.ndarray:
        position = np.searchsorted(self.sorted, keys)
        return np.asarray(self.order[position])


def _hierarchy_rows(encoder: _KeyEncoder, columns: _ColumnIndex, table: str, child: str,
                    parent: str, maps: Mapping[str, pd.Series],
                    categories: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """parent(area, category) − Σ child(area', category) = 0 for every parent area."""
    pairs = pd.DataFrame({"child": maps[child], "parent": maps[parent]}).dropna()
    pairs = pairs.drop_duplicates("child")
    parents = pd.Index(sorted(set(pairs["parent"])))
    cats = encoder.categories.get_indexer(categories)
    t = encoder.tables.get_loc(table)

    def keys(level: str, areas: pd.Series | pd.Index) -> np.ndarray:
        a, c = np.meshgrid(encoder.areas.get_indexer(areas), cats, indexing="ij")
        return encoder.key(np.full(a.size, t), np.full(a.size, encoder.levels.get_loc(level)),
                           a.ravel(), c.ravel())

    n_cats = len(cats)
    parent_rows = np.arange(len(parents) * n_cats)
    child_rows = (parents.get_indexer(pairs["parent"])[:, None] * n_cats
                  + np.arange(n_cats)[None, :]).ravel()
    rows = np.concatenate([parent_rows, child_rows])
    cols = columns(np.concatenate([keys(parent, parents), keys(child, pairs["child"])]))
    coefs = np.concatenate([np.ones(parent_rows.size), -np.ones(child_rows.size)])
    return rows, cols, coefs, f"hierarchy:{child}>{parent}"


def _total_rows(encoder: _KeyEncoder, columns: _ColumnIndex, table: str, level: str,
                areas: np.ndarray, categories: Sequence[str],
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """total(area) − Σ category(area) = 0 for every area of ``level``."""
    cats = encoder.categories.get_indexer(categories)
    a, c = np.meshgrid(encoder.areas.get_indexer(areas), cats, indexing="ij")
    keys = encoder.key(np.full(a.size, encoder.tables.get_loc(table)),
                       np.full(a.size, encoder.levels.get_loc(level)), a.ravel(), c.ravel())
    rows = np.repeat(np.arange(len(areas)), len(cats))
    coefs = np.where(np.tile(np.asarray(categories) == TOTAL_CATEGORY, len(areas)), 1.0, -1.0)
    return rows, columns(keys), coefs, "total"


def _linked_rows(encoder: _KeyEncoder, columns: _ColumnIndex, frame: pd.DataFrame,
                 groups: Sequence[Sequence[str]], maps: Mapping[str, pd.Series],
                 ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, str]]:
    """total(first table) − total(other table) = 0 per shared level and area."""
    published = frame.groupby("table")["level"].agg(set).to_dict()
    parts = []
    for group in groups:
        first, *others = list(group)
        for other in others:
            for table in (first, other):
                if table not in published or not (frame["table"].eq(table)
                                                   & frame["category"].eq(TOTAL_CATEGORY)).any():
                    raise DataError(f"linked totals: table '{table}' has no '{TOTAL_CATEGORY}'"
                                    " cells", fix="link only tables that publish totals")
            for level in sorted(published[first] & published[other]):
                areas = encoder.areas.get_indexer(maps[level].dropna().unique())
                total = np.full(areas.size, encoder.categories.get_loc(TOTAL_CATEGORY))
                lv = np.full(areas.size, encoder.levels.get_loc(level))
                keys = [encoder.key(np.full(areas.size, encoder.tables.get_loc(t)), lv, areas,
                                    total) for t in (first, other)]
                rows = np.tile(np.arange(areas.size), 2)
                coefs = np.repeat([1.0, -1.0], areas.size)
                parts.append((rows, columns(np.concatenate(keys)), coefs, "linked-total"))
    return parts


def _assemble(parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, str]], n_cells: int,
              hidden: pd.DataFrame) -> Relations:
    offset = 0
    rows, cols, coefs, kinds = [], [], [], []
    for part_rows, part_cols, part_coefs, kind in parts:
        n_rows = int(part_rows.max()) + 1 if part_rows.size else 0
        rows.append(part_rows + offset)
        cols.append(part_cols)
        coefs.append(part_coefs)
        kinds.append(np.full(n_rows, kind, dtype=object))
        offset += n_rows
    n_columns = n_cells + len(hidden)
    matrix = sparse.csr_array(
        (np.concatenate(coefs) if coefs else np.zeros(0),
         (np.concatenate(rows) if rows else np.zeros(0, int),
          np.concatenate(cols) if cols else np.zeros(0, int))),
        shape=(offset, n_columns))
    kind = np.concatenate(kinds) if kinds else np.zeros(0, dtype=object)
    return Relations(matrix, np.zeros(offset), kind, n_cells, hidden)
