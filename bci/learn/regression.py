"""Regression pipelines: ``[targets]``, training windows with target values, R².

A regression pipeline decodes a continuous value per target every sliding-window step:

```toml
[targets]
channels = ["cursor_vx", "cursor_vy"]      # kinematics channels of the recording
# classes = { left = -1.0, right = 1.0 }   # or: a value per class during its trials
```

With ``channels``, every sliding window of the recording is a training example and its
target is each target channel's mean over the window. With ``classes`` (motor imagery:
left -1, right +1 during the imagery period), the examples are the marker-locked epochs
of ``[epochs]`` and their target is their class's value. Windows go through the very
filters and window stage of the live path (:func:`bci.runtime.windows_offline`).

:func:`train_regression` and :func:`evaluate_regression` are what ``bci train`` and
``bci evaluate`` run for a config with ``[targets]``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bci.errors import ConfigError, RecordingError
from bci.pipeline.config import PipelineConfig
from bci.pipeline.model import Model
from bci.pipeline.pipeline import Pipeline
from bci.pipeline.spec import build_pipeline
from bci.pipeline.targets import target_names_of
from bci.replay.source import ReplaySource
from bci.runtime.offline import run_offline, windows_offline


@dataclass
class RegressionSet:
    """Windows with target values, in time order per recording.

    Attributes
    ----------
    X : ndarray, shape (n_windows, n_channels, n_times)
    y : ndarray, shape (n_windows, n_targets)
    groups : ndarray of int, shape (n_windows,)
        Which recording each window came from.
    ch_names : list of str
    sfreq : float
    target_names : list of str
    """

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    ch_names: list[str]
    sfreq: float
    target_names: list[str]


def target_rows(config: PipelineConfig, source: ReplaySource) -> np.ndarray:
    """Indices of the ``[targets].channels`` in ``source``; one-line errors if absent."""
    channels = config.targets["channels"]
    names = list(source.ch_names)
    missing = [c for c in channels if c not in names]
    if missing:
        kinematic = [n for n, t in zip(names, source.ch_types, strict=True) if t == "misc"]
        if not kinematic:
            raise RecordingError(
                f"{source.name}: no kinematics channels for [targets] {channels}: this "
                "recording holds no 'misc' channels; record the cursor (e.g. 'bci simulate "
                "OUT.fif --paradigm cursor') or use [targets].classes")
        raise RecordingError(f"{source.name}: [targets] channel {missing[0]!r} is missing "
                             f"(kinematics channels: {', '.join(kinematic)}): name one of "
                             "those")
    return np.array([names.index(c) for c in channels])


def regression_windows(config: PipelineConfig, sources: Sequence[ReplaySource]
                       ) -> RegressionSet:
    """Cut training windows and their targets from each source, as the live path would."""
    if config.targets is None:
        raise ConfigError(f"{config.origin}: a regression pipeline needs [targets]")
    by_class = "classes" in config.targets
    if by_class:
        if config.tmin is None:
            raise ConfigError(f"{config.origin}: [targets].classes needs [epochs] tmin/tmax "
                              "(the imagery period of each trial)")
        train_config = replace(config, mode="markers")
    else:
        if config.mode != "sliding":
            raise ConfigError(f"{config.origin}: [targets].channels needs [online] mode = "
                              "\"sliding\" with a window and a step")
        train_config = config
    X, y, groups = [], [], []
    ch_names: list[str] | None = None
    sfreq = sources[0].sfreq
    for file_index, source in enumerate(sources):
        if source.sfreq != sfreq:
            raise RecordingError(f"{source.name}: sampled at {source.sfreq:g} Hz but the "
                                 f"first recording at {sfreq:g} Hz: train on one rate")
        rows = None if by_class else target_rows(config, source)
        pipeline = Pipeline(train_config, sfreq=source.sfreq, ch_names=source.ch_names,
                            ch_types=source.ch_types, windows_only=True)
        if ch_names is None:
            ch_names = list(pipeline.ch_names)
        elif list(pipeline.ch_names) != ch_names:
            raise RecordingError(f"{source.name}: its channels differ from the first "
                                 "recording's: pick the same channels with [signal].picks")
        for window in windows_offline(pipeline, source):
            if by_class:
                value = config.targets["classes"].get(window.label)
                if value is None:
                    continue
                target = [value]
            else:
                target = source.data[rows, window.start_index:window.stop_index].mean(axis=1)
            X.append(window.data)
            y.append(target)
            groups.append(file_index)
    if len(X) < 3:
        raise RecordingError("fewer than 3 training windows with targets: record longer, "
                             "or check [epochs].events against 'bci info FILE'")
    return RegressionSet(np.stack(X), np.asarray(y, dtype=float), np.array(groups),
                         ch_names, sfreq, target_names_of(config))


def r2_scores(y_true: np.ndarray, y_pred: np.ndarray, names: Sequence[str]) -> dict:
    """R² per target (by name) and overall (the mean over targets)."""
    from sklearn.metrics import r2_score

    per = r2_score(y_true, y_pred, multioutput="raw_values")
    return {"r2": float(np.mean(per)),
            "r2_per_target": {n: float(v) for n, v in zip(names, per, strict=True)}}


def cross_validate_regression(config: PipelineConfig, data: RegressionSet, n_folds: int,
                              make: Callable[[], object]) -> list[dict]:
    """R² over contiguous folds (time order kept, so a Kalman filter sees sequences)."""
    from sklearn.model_selection import KFold

    if n_folds < 2 or data.X.shape[0] < 2 * n_folds:
        return []
    scores = []
    for index, (train, test) in enumerate(KFold(n_splits=n_folds).split(data.X)):
        fitted = make().fit(data.X[train], data.y[train])
        scores.append({"fold": index + 1, "n_train": int(train.size),
                       "n_test": int(test.size),
                       **r2_scores(data.y[test], fitted.predict(data.X[test]),
                                   data.target_names)})
    return scores


def train_regression(config: PipelineConfig, sources: Sequence[ReplaySource], *,
                     n_folds: int = 5, files: list[dict] | None = None,
                     progress: Callable[[int, int, float], None] | None = None
                     ) -> tuple[Model, RegressionSet, list[dict]]:
    """Fit a regression pipeline; the model, its training set and cross-validated R²."""
    from bci.decoders import make_decoder
    from bci.decoders.continuous import is_regression

    data = regression_windows(config, sources)
    params = {k: v for k, v in config.decoder.items() if k != "kind"}

    def make() -> object:
        decoder = make_decoder(config.decoder["kind"], params, sfreq=data.sfreq,
                               classes=config.classes or None)
        if not is_regression(decoder):
            raise ConfigError(f"{config.origin}: [targets] needs a regression decoder "
                              f"(ridge, kalman, linear-normaliser), not "
                              f"{config.decoder['kind']!r}")
        return decoder.set_params(target_names=tuple(data.target_names))

    try:
        scores = cross_validate_regression(config, data, n_folds, make)
        for fold in scores:
            if progress is not None:
                progress(fold["fold"], len(scores), fold["r2"])
        decoder = make().fit(data.X, data.y)
    except np.linalg.LinAlgError as err:
        raise ConfigError(f"{config.origin}: [decoder] cannot be fitted ({err}): pick "
                          "channels that carry signal") from None
    except ValueError as err:
        if isinstance(err, ConfigError | RecordingError):
            raise
        raise ConfigError(f"{config.origin}: [decoder] {err}") from None
    info = {"training_files": files or [{"name": s.name} for s in sources],
            "n_windows": int(data.X.shape[0]), "window_samples": int(data.X.shape[-1]),
            "output": "continuous", "targets": list(data.target_names), "cv": scores,
            **r2_scores(data.y, decoder.predict(data.X), data.target_names)}
    model = Model(config=config, decoder=decoder, ch_names=data.ch_names, sfreq=data.sfreq,
                  classes=[], info=info)
    return model, data, scores


def decode_source(model: Model, source: ReplaySource) -> tuple[np.ndarray, np.ndarray,
                                                               list]:
    """Outputs of ``model`` over one recording, window by window as live, from reset.

    Returns ``(outputs (n_windows, n_targets), stop indices, windows' end times)``.
    """
    pipeline = build_pipeline(model, sfreq=source.sfreq, ch_names=source.ch_names,
                              ch_types=source.ch_types, stream_name=source.name)
    decisions = run_offline(pipeline, source)  # the pipeline resets the decoder first
    n = len(model.info.get("targets", [])) or 1
    outputs = np.array([d.scores for d in decisions]).reshape(-1, n)
    return (outputs, np.array([d.stop_index for d in decisions]),
            [d.window_end for d in decisions])


def evaluate_regression(model: Model, paths: Sequence[str | Path]) -> dict:
    """``bci evaluate`` of a regression model: R² per target and overall, per file too."""
    from bci.replay.files import sources_from_file

    names = list(model.info.get("targets", []))
    by_class = "classes" in (model.config.targets or {})
    files, truths, preds = [], [], []
    signal_seconds = elapsed = 0.0
    for path in paths:
        source = sources_from_file(path)[0]
        started = time.perf_counter()
        outputs, stops, ends = decode_source(model, source)
        took = time.perf_counter() - started
        entry = {"file": source.name, "n_decisions": int(len(outputs)),
                 "signal_seconds": source.n_times / source.sfreq, "elapsed_seconds": took}
        if by_class:  # a 1-D cursor over the cued trials (BCI2000's CursorTask)
            from bci.learn.cursor_trials import cued_trials, cursor_1d

            trials = cued_trials(source.markers, model.config.events,
                                 model.config.targets["classes"], source.sfreq)
            # times from sample indices, as the live loop has them (bci.cursor.live)
            entry["cursor_1d"] = cursor_1d((stops - 1) / source.sfreq, outputs[:, 0],
                                           trials, step=model.config.step)
        else:
            rows = target_rows(model.config, source)
            length = int(round(model.config.window * source.sfreq))
            truth = np.array([source.data[rows, max(s - length, 0):s].mean(axis=1)
                              for s in stops]).reshape(-1, len(names))
            entry.update(r2_scores(truth, outputs, names))
            truths.append(truth)
            preds.append(outputs)
        entry["decisions"] = [{"time": t, "outputs": [float(v) for v in o]}
                              for t, o in zip(ends, outputs, strict=True)]
        files.append(entry)
        signal_seconds += entry["signal_seconds"]
        elapsed += took
    result: dict = {"output": "continuous", "targets": names}
    if truths:
        result.update(r2_scores(np.concatenate(truths), np.concatenate(preds), names))
    if by_class:
        from bci.learn.cursor_trials import wolpaw_bits

        counts = {k: sum(f["cursor_1d"][k] for f in files)
                  for k in ("hits", "misses", "timeouts", "n_trials")}
        hit_times = [f["cursor_1d"]["time_to_hit_s"] * f["cursor_1d"]["hits"]
                     for f in files if f["cursor_1d"]["hits"]]
        rate = counts["hits"] / counts["n_trials"] if counts["n_trials"] else 0.0
        trial_s = [f["cursor_1d"]["mean_trial_s"] for f in files
                   if f["cursor_1d"]["mean_trial_s"]]
        bits = wolpaw_bits(2, rate)
        result["cursor_1d"] = {
            **counts, "hit_rate": rate,
            "time_to_hit_s": sum(hit_times) / counts["hits"] if counts["hits"] else None,
            "bits_per_trial": bits,
            "bps": bits / float(np.mean(trial_s)) if trial_s else None}
        result.update(hit_rate=rate, time_to_hit_s=result["cursor_1d"]["time_to_hit_s"],
                      bps=result["cursor_1d"]["bps"])
    n = sum(f["n_decisions"] for f in files)
    result.update(n_decisions=n, signal_seconds=signal_seconds, elapsed_seconds=elapsed,
                  decisions_per_second=n / signal_seconds if signal_seconds else 0.0,
                  speed_x_realtime=signal_seconds / elapsed if elapsed else float("inf"),
                  files=files)
    return result


__all__ = ["RegressionSet", "decode_source", "evaluate_regression",
           "r2_scores", "regression_windows", "target_rows", "train_regression"]
