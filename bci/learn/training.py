"""Training a pipeline on calibration recordings, through the live signal path.

Calibration files are replayed on the virtual clock through the very filters, wire
conversion and window stage that run live (never MNE's zero-phase ``raw.filter``), so
the decoder is fitted on exactly what it will see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bci.errors import ConfigError, RecordingError
from bci.learn.labels import check_training_labels
from bci.learn.segments import labelled_segments, segment_label
from bci.pipeline.config import PipelineConfig
from bci.pipeline.model import Model, sha256
from bci.pipeline.pipeline import Pipeline
from bci.replay.source import ReplaySource
from bci.runtime.offline import windows_offline


@dataclass
class TrainingSet:
    """Windows cut from calibration recordings, with their classes.

    Attributes
    ----------
    X : ndarray, shape (n_windows, n_channels, n_times)
    y : ndarray of str, shape (n_windows,)
    groups : ndarray of int, shape (n_windows,)
        Which recording (or which trial, for overlapping windows) each window came from,
        so that cross-validation never splits overlapping windows across folds.
    ch_names : list of str
    sfreq : float
    ch_types : list of str or None
        MNE types of ``ch_names`` (stored in the model, to name a wrong device later).
    """

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    ch_names: list[str]
    sfreq: float
    ch_types: list[str] | None = None


def training_windows(config: PipelineConfig, sources: Sequence[ReplaySource],
                     names: Sequence[str] | None = None) -> TrainingSet:
    """Cut labelled windows from each source the way the live pipeline would.

    Marker-locked configs give one epoch per event (``[epochs] tmin/tmax``); configs
    with ``[epochs] window/step`` give sliding windows that lie wholly inside one
    labelled segment (annotations with a duration, as for EMG gestures). ``names``
    name the sources' files in error messages (default: their stream names).
    """
    if not config.events:
        raise ConfigError(f"{config.origin}: training needs [epochs].events "
                          "(class name -> marker label)")
    segmented = config.train_window is not None
    if not segmented and config.tmin is None:
        raise ConfigError(f"{config.origin}: training needs [epochs] tmin/tmax (trials) or "
                          "window/step (labelled segments)")
    if segmented:
        train_config = replace(config, mode="sliding", window=config.train_window,
                               step=config.train_step)
    else:
        train_config = replace(config, mode="markers")
    check_training_labels(config.events, sources, config.origin, names)
    X, y, groups = [], [], []
    ch_names: list[str] | None = None
    ch_types: list[str] | None = None
    sfreq = sources[0].sfreq
    for file_index, source in enumerate(sources):
        if source.sfreq != sfreq:
            raise RecordingError(f"{source.name}: sampled at {source.sfreq:g} Hz but the "
                                 f"first recording at {sfreq:g} Hz: train on one rate")
        pipeline = Pipeline(train_config, sfreq=source.sfreq, ch_names=source.ch_names,
                            ch_types=source.ch_types, windows_only=True)
        if ch_names is None:
            ch_names = list(pipeline.ch_names)
            ch_types = [source.ch_types[i] for i in pipeline.picks]
        elif list(pipeline.ch_names) != ch_names:
            raise RecordingError(f"{source.name}: its channels differ from the first "
                                 "recording's: pick the same channels with [signal].picks")
        windows = windows_offline(pipeline, source)
        if segmented:
            segments = labelled_segments(source, config.events)
            for window in windows:
                label = segment_label(window.start_index, window.stop_index, segments)
                if label is not None:
                    X.append(window.data)
                    y.append(label)
                    # Overlapping windows of one segment stay in one fold.
                    segment = next(i for i, (a, b, _) in enumerate(segments)
                                   if a <= window.start_index and window.stop_index <= b)
                    groups.append(file_index * 100_000 + segment)
        else:
            for window in windows:
                X.append(window.data)
                y.append(window.label)
                groups.append(file_index * 100_000 + len(groups))
    if not X:
        raise RecordingError("no labelled windows found: check that [epochs].events names "
                             "labels the recordings have ('bci info FILE' lists them)")
    classes_found = sorted(set(y))
    if len(classes_found) < 2:
        raise RecordingError(f"only class(es) {classes_found} found in the recordings: "
                             "training needs at least two")
    return TrainingSet(np.stack(X), np.array(y), np.array(groups), ch_names, sfreq,
                       ch_types)


def make_estimator(config: PipelineConfig, sfreq: float) -> object:
    """The unfitted decoder a config describes."""
    from bci.adapt.model import adaptive_estimator
    from bci.decoders import make_decoder

    params = {k: v for k, v in config.decoder.items() if k != "kind"}
    return adaptive_estimator(make_decoder(config.decoder["kind"], params, sfreq=sfreq,
                                           classes=config.classes or None), config)


def cross_validate(config: PipelineConfig, data: TrainingSet, n_folds: int,
                   progress: Callable[[int, int, float], None] | None = None) -> list[dict]:
    """Grouped, stratified K-fold scores (accuracy, balanced accuracy)."""
    from sklearn.base import clone
    from sklearn.metrics import accuracy_score, balanced_accuracy_score
    from sklearn.model_selection import StratifiedGroupKFold

    estimator = make_estimator(config, data.sfreq)
    # Never more folds than the rarest class has groups (segments, recordings): a fold
    # would otherwise test a class its training part never saw (UCI MYO files hold two
    # segments per gesture: 5 folds scored 0.58-0.97 where 2 folds score 0.82-0.83).
    n_folds = min(n_folds, min(len(set(data.groups[data.y == c])) for c in set(data.y)))
    if n_folds < 2:
        return []
    folds = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=0)
    scores = []
    for index, (train, test) in enumerate(folds.split(data.X, data.y, data.groups)):
        fitted = clone(estimator).fit(data.X[train], data.y[train])
        predicted = fitted.predict(data.X[test])
        fold = {"fold": index + 1, "n_train": int(train.size), "n_test": int(test.size),
                "n_test_groups": int(np.unique(data.groups[test]).size),
                "accuracy": float(accuracy_score(data.y[test], predicted)),
                "balanced_accuracy": float(balanced_accuracy_score(data.y[test], predicted))}
        scores.append(fold)
        if progress is not None:
            progress(index + 1, n_folds, fold["accuracy"])
    return scores


#: Below this many test windows a fold's accuracy is mostly noise (one trial moves it
#: by more than 5 points); the summary says so.
FEW_TEST_WINDOWS = 20


def pooled_accuracy(scores: Sequence[dict], confidence: float = 0.95) -> dict | None:
    """Accuracy over every fold's test windows, with an exact binomial interval.

    Parameters
    ----------
    scores : sequence of dict
        The folds of :func:`cross_validate` (``accuracy``, ``n_test``, ``n_test_groups``).
    confidence : float
        Level of the Clopper-Pearson interval.

    Returns
    -------
    dict or None
        ``n_test``, ``n_correct``, ``accuracy``, ``ci`` ([low, high]), ``ci_level``,
        ``ci_method``, ``smallest_fold`` and ``few_trials`` (True when some fold has
        fewer than :data:`FEW_TEST_WINDOWS` test windows); None without classifier folds.
        Windows cut from one labelled segment are not independent trials, so where
        folds hold fewer groups than windows the interval is optimistic
        (``independent`` is False).
    """
    from scipy.stats import binomtest

    folds = [f for f in scores if "accuracy" in f and f.get("n_test")]
    if not folds:
        return None
    n = sum(int(f["n_test"]) for f in folds)
    k = int(round(sum(f["accuracy"] * f["n_test"] for f in folds)))
    interval = binomtest(k, n).proportion_ci(confidence_level=confidence,
                                             method="exact")
    smallest = min(int(f["n_test"]) for f in folds)
    independent = all(f.get("n_test_groups", f["n_test"]) == f["n_test"] for f in folds)
    return {"n_test": n, "n_correct": k, "accuracy": k / n,
            "ci": [float(interval.low), float(interval.high)], "ci_level": confidence,
            "ci_method": "clopper-pearson", "smallest_fold": smallest,
            "few_trials": smallest < FEW_TEST_WINDOWS, "independent": independent}


def train(config: PipelineConfig, paths: Sequence[str | Path], *, n_folds: int = 5,
          progress: Callable[[int, int, float], None] | None = None
          ) -> tuple[Model, TrainingSet, list[dict]]:
    """Fit the pipeline on recording files; return the model, its data and CV scores."""
    from bci.replay.files import sources_from_file

    sources = [sources_from_file(p)[0] for p in paths]
    files = [{"name": Path(p).name, "sha256": sha256(p)} for p in paths]
    return train_sources(config, sources, n_folds=n_folds, progress=progress, files=files)


def train_sources(config: PipelineConfig, sources: Sequence[ReplaySource], *,
                  n_folds: int = 5, progress: Callable[[int, int, float], None] | None = None,
                  files: list[dict] | None = None) -> tuple[Model, TrainingSet, list[dict]]:
    """Fit the pipeline on recordings already in memory (see :func:`train`)."""
    if config.targets is not None:  # a regression pipeline: bci.pipeline.regression
        from bci.learn.regression import train_regression

        return train_regression(config, sources, n_folds=n_folds, files=files,
                                progress=progress)
    data = training_windows(config, sources,
                            names=[f["name"] for f in files] if files else None)
    scores = cross_validate(config, data, n_folds, progress) if n_folds > 1 else []
    decoder = make_estimator(config, data.sfreq).fit(data.X, data.y)
    classes = [str(c) for c in decoder.classes_]
    if config.postprocess is not None:  # fail now, not when the model is first run
        from bci.postprocess import GestureStabiliser

        GestureStabiliser.from_config(config.postprocess, classes, data.sfreq,
                                      origin=config.origin)
    info = {"training_files": files or [{"name": s.name} for s in sources],
            "n_windows": int(data.X.shape[0]),
            "window_samples": int(data.X.shape[-1]),
            **({"ch_types": data.ch_types} if data.ch_types is not None else {}),
            "class_counts": {c: int(np.sum(data.y == c)) for c in classes},
            "cv": scores}
    model = Model(config=config, decoder=decoder, ch_names=data.ch_names, sfreq=data.sfreq,
                  classes=classes, info=info)
    return model, data, scores


__all__ = ["FEW_TEST_WINDOWS", "TrainingSet", "cross_validate", "make_estimator",
           "pooled_accuracy", "train", "train_sources", "training_windows"]
