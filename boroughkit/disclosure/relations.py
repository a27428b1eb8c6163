"""The sums an intruder knows between the cells of a release.

The linear relations between cells (a parent area is the sum of its child areas, a total is the
sum of its categories) are public knowledge: anyone can write them down from the published
tables and the ONS lookups. :func:`build_relations` writes them as a sparse system ``A x = 0``,
the starting point of the attack audit and of secondary suppression.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from boroughkit.disclosure.tables import ADDITIVE_MEASURES, TOTAL_CATEGORY, CellTable
from boroughkit.errors import DataError


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


def build_relations(
    cells: CellTable,
    lookup: pd.DataFrame,
    *,
    custom_levels: Mapping[str, pd.Series] | None = None,
    linked_totals: Sequence[Sequence[str]] = (),
) -> Relations:
    """The linear relations between the additive cells (counts, magnitudes) of a release.

    Per table and category, each published parent area equals the sum of its areas at the
    nearest finer published level that nests in it (OA → LSOA → MSOA → borough, OA → ward →
    borough, custom levels by their OA mapping); per table, level and area the total equals the
    sum of the categories. ``lookup`` has one row per OA (``oa_code`` and ``<level>_code``);
    ``custom_levels`` maps a level name to a Series OA code → area code. ``linked_totals``
    lists groups of tables whose totals count the same people, so their totals are equal.
    """
    frame = cells.frame
    additive = frame[frame["measure"].isin(ADDITIVE_MEASURES)]
    space = _KeySpace(frame, lookup, custom_levels or {})
    space.check_areas(additive)
    levels = additive.drop_duplicates(["table", "level"]).groupby("table")["level"].agg(sorted)
    categories = (
        additive.drop_duplicates(["table", "category"]).groupby("table")["category"].agg(sorted)
    )
    universe = [
        space.key(
            table,
            level,
            space.areas_of[level][:, None],
            space.categories.get_indexer(categories[table])[None, :],
        ).ravel()
        for table in levels.index
        for level in levels[table]
    ]
    all_keys = np.concatenate(universe) if universe else np.zeros(0, np.int64)
    cell_keys = space.encode(frame)
    present = np.sort(cell_keys)
    found = present[np.minimum(np.searchsorted(present, all_keys), max(len(present) - 1, 0))]
    hidden_keys = all_keys[found != all_keys] if len(present) else all_keys
    space.index_columns(np.concatenate([cell_keys, hidden_keys]))
    parts = []
    for table in levels.index:
        cats = space.categories.get_indexer(categories[table])
        for child, parent in space.nesting_pairs(levels[table]):
            parts.append(space.hierarchy_rows(table, child, parent, cats))
        if TOTAL_CATEGORY in categories[table] and len(cats) > 1:
            parts += [space.total_rows(table, level, cats) for level in levels[table]]
    for group in linked_totals:
        parts += space.linked_rows(list(group), levels, categories)
    return _assemble(parts, len(frame), space.decode(hidden_keys))


_Rows = tuple[np.ndarray, np.ndarray, np.ndarray, str]


class _KeySpace:
    """Integer keys for (table, level, area, category) and the area structure of each level.

    Keys turn joins into array lookups, so a million cells take seconds, not minutes.
    """

    def __init__(
        self, frame: pd.DataFrame, lookup: pd.DataFrame, custom: Mapping[str, pd.Series]
    ) -> None:
        maps = _release_oas(_level_maps(lookup, custom), frame)
        self.tables = pd.Index(sorted(set(frame["table"])))
        self.levels = pd.Index(sorted(set(frame["level"]) | set(maps)))
        areas = set(frame["area_code"]).union(*(set(m.dropna()) for m in maps.values()))
        self.areas = pd.Index(sorted(areas))
        self.categories = pd.Index(sorted(set(frame["category"])))
        self.sizes = (len(self.levels), len(self.areas), len(self.categories))
        #: Area id of every OA at each level (-1 where the OA has no area of that level).
        self.oa_area = {level: self.areas.get_indexer(m.fillna("")) for level, m in maps.items()}
        self.areas_of = {level: np.unique(ids[ids >= 0]) for level, ids in self.oa_area.items()}
        self._pairs: dict[tuple[str, ...], list[tuple[str, str]]] = {}

    def key(self, table: str, level: str, area: np.ndarray, category: np.ndarray) -> np.ndarray:
        """Keys of ``area`` × ``category`` (broadcast) in one table and level."""
        n_levels, n_areas, n_categories = self.sizes
        base = self.tables.get_loc(table) * n_levels + self.levels.get_loc(level)
        return (base * n_areas + area.astype(np.int64)) * n_categories + category

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """The key of every row of ``frame``."""
        n_levels, n_areas, n_categories = self.sizes
        parts = [
            self.tables.get_indexer(pd.Index(frame["table"])).astype(np.int64),
            self.levels.get_indexer(pd.Index(frame["level"])),
            self.areas.get_indexer(pd.Index(frame["area_code"])),
            self.categories.get_indexer(pd.Index(frame["category"])),
        ]
        return ((parts[0] * n_levels + parts[1]) * n_areas + parts[2]) * n_categories + parts[3]

    def decode(self, keys: np.ndarray) -> pd.DataFrame:
        """The (table, level, area_code, category) of each key."""
        n_levels, n_areas, n_categories = self.sizes
        rest, category = np.divmod(keys, n_categories)
        rest, area = np.divmod(rest, n_areas)
        table, level = np.divmod(rest, n_levels)
        return pd.DataFrame(
            {
                "table": self.tables[table],
                "level": self.levels[level],
                "area_code": self.areas[area],
                "category": self.categories[category],
            }
        )

    def index_columns(self, keys: np.ndarray) -> None:
        """Fix the column of each key (cells first, then hidden cells)."""
        self._order = np.argsort(keys, kind="stable")
        self._sorted = keys[self._order]

    def column(self, keys: np.ndarray) -> np.ndarray:
        """Columns of ``keys`` (all of them must be indexed)."""
        return np.asarray(self._order[np.searchsorted(self._sorted, keys.ravel())])

    def check_areas(self, frame: pd.DataFrame) -> None:
        """Every level must be known and every area code must belong to its level."""
        for level_key, group in frame.groupby("level"):
            level = str(level_key)
            if level not in self.oa_area:
                raise DataError(
                    f"cells: level '{level}' is not in the lookup",
                    fix="pass its OA → area mapping in custom_levels",
                )
            ids = self.areas.get_indexer(group["area_code"].unique())
            unknown = sorted(set(group["area_code"].unique()[~np.isin(ids, self.areas_of[level])]))
            if unknown:
                raise DataError(
                    f"cells: {len(unknown)} {level} area codes are not in the "
                    f"lookup: {unknown[:5]}",
                    fix="use the lookup of the geography published",
                )

    def nests(self, child: str, parent: str) -> bool:
        """True when every child area lies in one parent area and children cover the parents."""
        inner, outer = self.oa_area[child], self.oa_area[parent]
        if (inner[outer >= 0] < 0).any():
            return False
        pairs = np.unique(np.stack([inner, outer])[:, outer >= 0], axis=1)
        return bool(len(np.unique(pairs[0])) == pairs.shape[1])

    def nesting_pairs(self, levels: Sequence[str]) -> list[tuple[str, str]]:
        """(child, parent) pairs among ``levels``, keeping only the nearest parent of a chain."""
        if tuple(levels) not in self._pairs:
            size = {level: (len(self.areas_of[level]), level) for level in levels}
            inside = {
                (a, b) for a in levels for b in levels if size[a] > size[b] and self.nests(a, b)
            }
            self._pairs[tuple(levels)] = [
                (a, b)
                for (a, b) in sorted(inside)
                if not any((a, c) in inside and (c, b) in inside for c in levels)
            ]
        return self._pairs[tuple(levels)]

    def hierarchy_rows(self, table: str, child: str, parent: str, cats: np.ndarray) -> _Rows:
        """parent(area, category) − Σ child(area', category) = 0 for every parent area."""
        links = np.unique(np.stack([self.oa_area[child], self.oa_area[parent]]), axis=1)
        links = links[:, links[1] >= 0]
        parents, position = np.unique(links[1], return_inverse=True)
        n_cats = cats.size
        keys = np.concatenate(
            [
                self.key(table, parent, parents[:, None], cats[None, :]).ravel(),
                self.key(table, child, links[0][:, None], cats[None, :]).ravel(),
            ]
        )
        rows = np.concatenate(
            [
                np.arange(parents.size * n_cats),
                (position[:, None] * n_cats + np.arange(n_cats)).ravel(),
            ]
        )
        coefs = np.repeat([1.0, -1.0], [parents.size * n_cats, links.shape[1] * n_cats])
        return rows, self.column(keys), coefs, f"hierarchy:{child}>{parent}"

    def total_rows(self, table: str, level: str, cats: np.ndarray) -> _Rows:
        """total(area) − Σ category(area) = 0 for every area of ``level``."""
        areas = self.areas_of[level]
        keys = self.key(table, level, areas[:, None], cats[None, :])
        rows = np.repeat(np.arange(areas.size), cats.size)
        total = cats == self.categories.get_loc(TOTAL_CATEGORY)
        coefs = np.tile(np.where(total, 1.0, -1.0), areas.size)
        return rows, self.column(keys), coefs, "total"

    def linked_rows(
        self, group: list[str], levels: pd.Series, categories: pd.Series
    ) -> list[_Rows]:
        """total(first table) − total(other table) = 0 per shared level and area."""
        for table in group:
            if table not in categories or TOTAL_CATEGORY not in categories[table]:
                raise DataError(
                    f"linked totals: table '{table}' has no '{TOTAL_CATEGORY}' cells",
                    fix="link only tables that publish totals",
                )
        total = np.array([self.categories.get_loc(TOTAL_CATEGORY)])
        parts = []
        for other in group[1:]:
            for level in sorted(set(levels[group[0]]) & set(levels[other])):
                areas = self.areas_of[level]
                keys = np.concatenate([self.key(t, level, areas, total) for t in (group[0], other)])
                parts.append(
                    (
                        np.tile(np.arange(areas.size), 2),
                        self.column(keys),
                        np.repeat([1.0, -1.0], areas.size),
                        "linked-total",
                    )
                )
        return parts


def _level_maps(lookup: pd.DataFrame, custom: Mapping[str, pd.Series]) -> dict[str, pd.Series]:
    """Each level as a Series OA code → area code (NaN where an OA has no area of that level)."""
    if "oa_code" not in lookup.columns:
        raise DataError("lookup: missing column 'oa_code'", fix="pass one row per OA")
    oa = lookup["oa_code"].astype(str).to_numpy()
    maps = {"oa": pd.Series(oa, index=oa, dtype=object)}
    for level in ("lsoa", "msoa", "ward", "borough", "region"):
        if f"{level}_code" in lookup.columns:
            codes = lookup[f"{level}_code"]
            maps[level] = pd.Series(
                codes.where(codes.notna(), None).astype(object).to_numpy(), index=oa
            ).map(lambda v: None if v is None else str(v))
    for level, mapping in custom.items():
        series = pd.Series(mapping)
        unknown = series.index.difference(maps["oa"].index)
        if len(unknown):
            raise DataError(
                f"custom level '{level}': OA codes not in the lookup: {list(unknown[:5])}",
                fix="map only the OAs of this geography",
            )
        maps[level] = series.reindex(oa).map(lambda v: None if pd.isna(v) else str(v))
    return maps


def _release_oas(maps: dict[str, pd.Series], frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Only the OAs inside some published area: a national lookup must not add the nation."""
    published = frame.groupby("level")["area_code"].agg(set)
    inside = np.zeros(len(maps["oa"]), dtype=bool)
    for level, codes in published.items():
        if level in maps:
            inside |= maps[str(level)].isin(codes).to_numpy()
    return {level: series[inside] for level, series in maps.items()}


def _assemble(parts: Sequence[_Rows], n_cells: int, hidden: pd.DataFrame) -> Relations:
    offset = 0
    rows, cols, coefs, kinds = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0)], []
    for part_rows, part_cols, part_coefs, kind in parts:
        n_rows = int(part_rows.max()) + 1 if part_rows.size else 0
        rows.append(part_rows + offset)
        cols.append(part_cols)
        coefs.append(part_coefs)
        kinds.append(np.full(n_rows, kind, dtype=object))
        offset += n_rows
    matrix = sparse.csr_array(
        (np.concatenate(coefs), (np.concatenate(rows), np.concatenate(cols))),
        shape=(offset, n_cells + len(hidden)),
    )
    kind_of_row = np.concatenate(kinds) if kinds else np.zeros(0, dtype=object)
    return Relations(matrix, np.zeros(offset), kind_of_row, n_cells, hidden)
