"""The training and evaluation code every benchmark unit runs, imported in one place.

A unit must be trained and scored exactly as ``bci train`` and ``bci evaluate`` do, so
it calls their functions rather than a copy of them. They are imported here only, so
that when they move (``bci.pipeline.*`` -> ``bci.learn.*``) one line changes.
"""

from __future__ import annotations

from bci.learn.evaluation import evaluate, evaluate_source, score
from bci.learn.training import make_estimator, train, train_sources
from bci.pipeline.config import PipelineConfig, load_config, parse_config
from bci.pipeline.model import Model, library_versions, sha256

__all__ = ["Model", "PipelineConfig", "evaluate", "evaluate_source", "library_versions",
           "load_config", "make_estimator", "parse_config", "score", "sha256", "train",
           "train_sources"]
