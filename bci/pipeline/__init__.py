"""The core of a pipeline: its TOML config, the synchronous :class:`Pipeline` (picks,
causal filters, windows, decoder), the :class:`Step` it returns, decisions, latency
statistics, and model files. No thread, socket or clock lives here: the session loop
that feeds a pipeline is :mod:`bci.runtime`.
"""

from bci.pipeline.config import PipelineConfig, load_config, parse_config
from bci.pipeline.decision import Decision
from bci.pipeline.model import Model, load_model, save_model
from bci.pipeline.pipeline import Pipeline, WindowCheck
from bci.pipeline.spec import build_pipeline, config_of, load_spec
from bci.pipeline.stats import LatencyStats, format_stats
from bci.pipeline.step import SessionInfo, Sink, Stage, StatusEvent, Step
from bci.pipeline.windows import MarkerEpocher, SlidingWindows, Window

__all__ = ["Decision", "LatencyStats", "MarkerEpocher", "Model", "Pipeline",
           "PipelineConfig", "SessionInfo", "Sink", "SlidingWindows", "Stage",
           "StatusEvent", "Step", "Window", "WindowCheck", "build_pipeline", "config_of",
           "format_stats", "load_config", "load_model", "load_spec", "parse_config",
           "save_model"]
