"""Keeping households together: households first, then the people in them (sequential CART).

1. One row per real household: its declared household attributes (which must be the same for
   every member, e.g. tenure or council tax band) and its size (capped at ``max_size``).
2. A CART model of households, and a CART model of persons whose visit order starts with the
   household attributes and the household size.
3. Sampling draws synthetic households, gives each a fresh id and as many persons as its size,
   and draws every person's own columns given the household's. Members breaking a structural
   rule are redrawn (their household is kept), so households stay whole and rules hold.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from boroughkit.errors import ConfigError, DataError
from boroughkit.synth.base import repair
from boroughkit.synth.cart import SequentialCART
from boroughkit.synth.rules import violating_rows
from boroughkit.synth.schema import ColumnSpec, SynthSchema

SIZE = "household_size"
_MAX_REDRAWS = 30


class HouseholdCART:
    """Synthesise whole households with sequential CART; reproducible from ``seed``."""

    method = "cart_households"

    def __init__(
        self, schema: SynthSchema, *, seed: int | None = None, min_leaf: int = 5, max_size: int = 10
    ) -> None:
        if schema.household_column is None:
            raise ConfigError("household synthesis needs schema.household_column", fix="declare it")
        self.schema, self.max_size = schema, max_size
        size = ColumnSpec(
            SIZE, "integer", lower=1, upper=max_size, bins=tuple(range(1, max_size + 1))
        )
        attributes = [schema.column(name) for name in schema.household_attributes]
        own = [spec for spec in schema.synthesised if spec.name not in schema.household_attributes]
        self._household_schema = SynthSchema(columns=(*attributes, size), name="households")
        self._person_schema = SynthSchema(columns=(*attributes, size, *own), name="persons")
        self.households = SequentialCART(self._household_schema, seed=seed, min_leaf=min_leaf)
        seed_of_persons = None if seed is None else seed + 1
        self.persons = SequentialCART(self._person_schema, seed=seed_of_persons, min_leaf=min_leaf)
        self._fixed = [*schema.household_attributes, SIZE]

    def fit(self, real: pd.DataFrame) -> HouseholdCART:
        """Learn households and persons from ``real`` (which holds the household column)."""
        key = self.schema.household_column
        assert key is not None
        if key not in real.columns:
            raise DataError(f"input has no household column {key!r}", fix="add it or unset it")
        people = self.schema.validate(real, source="real data")
        people[SIZE] = real.groupby(key)[key].transform("size").clip(upper=self.max_size).to_numpy()
        grouped = people.groupby(real[key].to_numpy(), sort=False)
        varying = [a for a in self.schema.household_attributes if (grouped[a].nunique() > 1).any()]
        if varying:
            raise DataError(
                f"household attribute(s) {varying} differ between members of one household",
                fix="declare only attributes shared by a whole household",
            )
        self.households.fit(grouped[self._fixed].first().reset_index(drop=True))
        self.persons.fit(people[self._person_schema.names])
        return self

    def sample(self, n: int) -> pd.DataFrame:
        """About ``n`` persons (whole households; the last one may overshoot) with household ids."""
        drawn = []
        total = 0
        while total < n:
            batch = self.households.sample(max(16, (n - total) // 2))
            drawn.append(batch)
            total += int(batch[SIZE].sum())
        households = pd.concat(drawn, ignore_index=True)
        households = households[households[SIZE].cumsum().shift(fill_value=0) < n]
        members = households.loc[households.index.repeat(households[SIZE].astype(int))]
        ids = [f"H{i + 1:07d}" for i in members.index]
        fixed = members[self._fixed].reset_index(drop=True)
        persons = self._redraw_until_valid(fixed)
        persons.insert(0, self.schema.household_column or "household", ids)
        return persons[[persons.columns[0], *self.schema.names]]

    def describe(self) -> dict[str, Any]:
        """What was run, for the manifest."""
        return {
            "method": self.method,
            "differentially_private": False,
            "seed": self.households.seed,
            "parameters": {
                "household_attributes": list(self.schema.household_attributes),
                "max_size": self.max_size,
                "households": self.households.parameters(),
                "persons": self.persons.parameters(),
            },
        }

    def _redraw_until_valid(self, fixed: pd.DataFrame) -> pd.DataFrame:
        persons = repair(self.persons.sample_given(fixed), self.schema.rules)
        for _ in range(_MAX_REDRAWS):
            bad = violating_rows(persons, self.schema.rules)
            if not bad.any():
                return persons
            fresh = repair(self.persons.sample_given(fixed[bad]), self.schema.rules)
            persons.loc[bad, fresh.columns] = fresh.to_numpy()
        raise DataError(
            "household synthesis: some members break the structural rules after many redraws",
            fix="check the rules against the data",
        )
