"""The release-method registry: ``release.method`` in a config → its :class:`ReleaseMethod`.

Adding a method: a new package beside these (its config model, plan, run, describe; see
ARCHITECTURE.md) and one line in :data:`METHODS`.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Annotated, Any

from pydantic import Field, create_model

from boroughkit.config.models import PipelineConfig
from boroughkit.errors import ConfigError
from boroughkit.methods.dp_tables import DPTables
from boroughkit.methods.sdc_tables import SDCTables
from boroughkit.methods.synthetic_extract import SyntheticExtract
from boroughkit.release.method import ReleaseMethod

METHODS: dict[str, ReleaseMethod] = {
    method.name: method for method in (DPTables(), SDCTables(), SyntheticExtract())
}


def method_for(name: str) -> ReleaseMethod:
    """The release method a config names."""
    try:
        return METHODS[name]
    except KeyError:
        raise ConfigError(
            f"unknown release method {name!r}", fix=f"use one of: {', '.join(METHODS)}"
        ) from None


def _pipeline_config_model() -> type[PipelineConfig]:
    # One discriminated union of every method's section, so errors name the right keys.
    sections: Any = reduce(or_, (method.config_model for method in METHODS.values()))
    release: Any = Annotated[sections, Field(discriminator="method")]
    return create_model("PipelineConfig", __base__=PipelineConfig, release=(release, ...))


#: The config model with ``release`` narrowed to the registered methods' sections.
CONFIG_MODEL: type[PipelineConfig] = _pipeline_config_model()
