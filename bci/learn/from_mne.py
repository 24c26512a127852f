"""Training and scoring from MNE objects in memory: the notebook route.

Thin wrappers over :func:`bci.learn.train_sources` and
:func:`bci.learn.evaluate_source`: a ``Raw`` is turned into the same replay source a
file would give, so a model trained here is the model ``bci train`` writes for that
file, and a score computed here is what ``bci evaluate`` prints (docs/python.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import mne

from bci.errors import ConfigError
from bci.learn.evaluation import evaluate_source, score
from bci.learn.training import TrainingSet, train_sources
from bci.pipeline.config import PipelineConfig, load_config
from bci.pipeline.model import Model
from bci.replay.source import ReplaySource

#: Why an ``Epochs`` object is refused (the causal filters need the continuous signal).
EPOCHS_ADVICE = ("bci trains on windows it cuts itself from the continuous signal, after "
                 "the causal filters that also run live; an Epochs object no longer has "
                 "that signal: pass the Raw your Epochs were cut from (its annotations "
                 "name the events; for events in a stim channel, add them with "
                 "raw.set_annotations(mne.annotations_from_events(...)))")


def _config(config: PipelineConfig | str | Path) -> PipelineConfig:
    return config if isinstance(config, PipelineConfig) else load_config(config)


def _raws(raw) -> list[mne.io.BaseRaw]:
    raws = [raw] if isinstance(raw, (mne.io.BaseRaw, mne.BaseEpochs)) else list(raw)
    for r in raws:
        if isinstance(r, mne.BaseEpochs):
            raise ConfigError(f"{type(r).__name__} given where a Raw is needed: "
                              + EPOCHS_ADVICE)
        if not isinstance(r, mne.io.BaseRaw):
            raise ConfigError(f"{type(r).__name__} given where an mne.io.Raw is needed: "
                              "read the recording with mne.io.read_raw_* or "
                              "bci.io.read_recording")
    if not raws:
        raise ConfigError("no recordings given: pass one mne.io.Raw or a list of them")
    return raws


def train_raw(config: PipelineConfig | str | Path,
              raw: mne.io.BaseRaw | Sequence[mne.io.BaseRaw], *, n_folds: int = 5,
              progress: Callable[[int, int, float], None] | None = None
              ) -> tuple[Model, TrainingSet, list[dict]]:
    """Fit a pipeline on calibration recordings held as MNE ``Raw`` objects.

    The recordings go through the pipeline's causal filters and window stage on the
    virtual clock, exactly as :func:`bci.learn.train` does with files.

    Parameters
    ----------
    config : PipelineConfig or path-like
        The pipeline, or the path of its TOML file (e.g.
        ``"docs/configs/motor-imagery.toml"``). Its ``[epochs].events`` name labels of
        the recordings' annotations (``raw.annotations.description``).
    raw : mne.io.BaseRaw or sequence of mne.io.BaseRaw
        One calibration recording or several, with the same channels and rate. Data in
        volts, as MNE holds them. ``mne.Epochs`` are refused, with the reason.
    n_folds : int
        Grouped, stratified cross-validation folds (1: none).
    progress : callable or None
        Called as ``progress(done, total, accuracy)`` after each fold.

    Returns
    -------
    model : Model
        The fitted pipeline; :func:`bci.pipeline.model.save_model` writes it for
        ``bci live`` and ``bci evaluate``.
    data : TrainingSet
        The windows it was fitted on: ``data.X`` is ``(n_epochs, n_channels, n_times)``
        as in MNE, ``data.y`` the class names, ``data.groups`` the cross-validation
        groups, for scikit-learn's own tools.
    scores : list of dict
        One per fold: ``accuracy``, ``balanced_accuracy``, ``n_train``, ``n_test``.

    Raises
    ------
    ConfigError
        Epochs (or anything else) instead of a Raw, or a config that cannot train.
    RecordingError
        Recordings whose labels, channels or rates do not fit the config.
    """
    raws = _raws(raw)
    sources = [ReplaySource.from_raw(r, _name(r, i)) for i, r in enumerate(raws)]
    return train_sources(_config(config), sources, n_folds=n_folds, progress=progress)


def evaluate_raw(model: Model, raw: mne.io.BaseRaw) -> dict:
    """Score a model pseudo-online on one held-out ``Raw``, as ``bci evaluate`` does.

    Parameters
    ----------
    model : Model
        From :func:`train_raw`, :func:`bci.learn.train` or
        :func:`bci.pipeline.model.load_model`.
    raw : mne.io.BaseRaw
        A held-out recording with the model's channels (or more) at its rate.

    Returns
    -------
    dict
        ``decisions`` (one dict per decision: ``time`` in seconds into the recording,
        ``predicted``, ``true``, ``scores``), ``scores`` (``accuracy``,
        ``balanced_accuracy``, ``confusion_matrix``, ``roc_auc`` for two classes),
        ``signal_seconds``, ``elapsed_seconds`` and the latency ``stats``.
    """
    if model.config.targets is not None:
        raise ConfigError("evaluate_raw scores classifiers; a regression model "
                          "([targets]) is scored by bci evaluate MODEL --data FILE")
    (raw,) = _raws(raw)
    result = evaluate_source(model, ReplaySource.from_raw(raw, _name(raw, 0)))
    result["scores"] = score(result["decisions"], model.classes)
    return result


def _name(raw: mne.io.BaseRaw, index: int) -> str:
    files = raw.filenames
    return Path(files[0]).stem if files and files[0] else f"raw{index}"


__all__ = ["EPOCHS_ADVICE", "evaluate_raw", "train_raw"]
