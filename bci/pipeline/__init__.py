"""Pipelines: TOML config, causal filters, windows, decoder, latency accounting; live
sessions, offline runs, training, evaluation and model files."""

from bci.pipeline.config import PipelineConfig, load_config, parse_config
from bci.pipeline.decision import Decision, DecisionOutlet
from bci.pipeline.model import Model, load_model, save_model
from bci.pipeline.offline import run_offline, windows_offline
from bci.pipeline.pipeline import Pipeline
from bci.pipeline.session import Session
from bci.pipeline.stats import LatencyStats, format_stats
from bci.pipeline.windows import MarkerEpocher, SlidingWindows, Window

__all__ = ["Decision", "DecisionOutlet", "LatencyStats", "MarkerEpocher", "Model", "Pipeline",
           "PipelineConfig", "Session", "SlidingWindows", "Window", "format_stats",
           "load_config", "load_model", "parse_config", "run_offline", "save_model",
           "windows_offline"]
