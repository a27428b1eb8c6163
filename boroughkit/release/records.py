"""Records read into memory for a release: loaded, opt-outs removed, geocoded, checked."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from boroughkit.anonymise.aggregate_files import out_of_memory
from boroughkit.config.models import PipelineConfig
from boroughkit.release.gating import record_secrets
from boroughkit.release.job import ReleaseJob
from boroughkit.release.load import ValueRules, load_records, value_rules
from boroughkit.release.manifest import InputFacts
from boroughkit.release.populations import published_populations
from boroughkit.release.steps import check_one_area_per_person, geocode_records


def needed_columns(config: PipelineConfig, method_columns: Sequence[str]) -> list[str]:
    """Every record column a run reads: ids, geocoding columns, opt-outs, identifiers (for
    the leak scan) and the columns the release method asks for."""
    geocode = config.geography.geocode
    wanted = [
        config.source.privacy_unit,
        config.source.household,
        geocode.oa,
        geocode.postcode,
        geocode.x,
        geocode.y,
        config.source.opt_out_column,
        *config.source.identifiers,
        *method_columns,
    ]
    return list(dict.fromkeys(column for column in wanted if column))


class LoadedRecords:
    """Records read into memory (any format, any geocoding), one OA per person.

    ``rules`` say what the values must be (default: as the columns are declared; see
    :func:`boroughkit.release.load.value_rules`); a method passes its own to add its group keys
    and the values it sums.
    """

    def __init__(
        self, job: ReleaseJob, method_columns: Sequence[str], rules: ValueRules | None = None
    ) -> None:
        loaded, config = job.plan.loaded, job.config
        opt_outs = loaded.resolve(config.source.opt_outs) if config.source.opt_outs else None
        columns = needed_columns(config, method_columns)
        self.job = job
        try:
            self.records = load_records(
                config.source,
                job.source,
                columns,
                opt_outs,
                rules if rules is not None else value_rules(config.source, columns),
            )
            self.geocoded = geocode_records(self.records.frame, job.bundle, loaded, job.source)
            check_one_area_per_person(self.geocoded.frame, config.source.privacy_unit, job.source)
        except MemoryError:
            raise out_of_memory(job.source) from None
        self.facts = InputFacts(
            self.records.input_rows,
            self.records.opted_out_rows,
            self.geocoded.unmatched,
            self.records.dropped_rows,
            self.records.dropped,
        )

    @property
    def frame(self) -> pd.DataFrame:
        """Matched records with their ``oa_code``."""
        return self.geocoded.frame

    def secrets(self) -> dict[str, list[Any]]:
        """Input values that must never appear in an output (ids, postcodes, canary...)."""
        return record_secrets(self.job.plan, self.records.frame)

    def evidence(self, paths: list[Path], levels: list[str]) -> tuple[Any, pd.DataFrame]:
        """The leak scan's secrets and each published area's (public) population, for the gate."""
        return self.secrets(), published_populations(self.job.plan.loaded, self.job.bundle, levels)
