"""Learning: training on calibration recordings through the live signal path, scoring
saved models pseudo-online, and the reports of both.

Both run the session loop of :mod:`bci.runtime` on the virtual clock, so a model is
fitted on, and scored with, exactly what ``bci live`` computes.
"""

from bci.learn.evaluation import evaluate, evaluate_source, score
from bci.learn.from_mne import evaluate_raw, train_raw
from bci.learn.segments import labelled_segments, segment_label
from bci.learn.training import (
    TrainingSet,
    cross_validate,
    make_estimator,
    train,
    train_sources,
    training_windows,
)

__all__ = ["TrainingSet", "cross_validate", "evaluate", "evaluate_raw", "evaluate_source",
           "labelled_segments", "make_estimator", "score", "segment_label", "train",
           "train_raw", "train_sources", "training_windows"]
