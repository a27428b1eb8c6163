"""Pipeline configs: typed models and a loader with file:line errors."""

from boroughkit.config.loader import LoadedConfig, load_config
from boroughkit.config.models import LEVEL_ORDER, PipelineConfig

__all__ = ["LEVEL_ORDER", "LoadedConfig", "PipelineConfig", "load_config"]
