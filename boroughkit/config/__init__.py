"""Pipeline configs: typed models and a loader with file:line errors."""

from boroughkit.config.common import LEVEL_ORDER
from boroughkit.config.loader import LoadedConfig, read_config
from boroughkit.config.models import PipelineConfig

__all__ = ["LEVEL_ORDER", "LoadedConfig", "PipelineConfig", "read_config"]
