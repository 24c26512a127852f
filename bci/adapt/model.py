"""Adaptation and model files: switch it on for a model, reset it, describe it, save it.

A model trained with ``[adapt] recenter`` holds a :class:`~bci.adapt.recenter.Recentering`
step already (see :func:`adaptive_estimator`); :func:`with_adaptation` adds one to a model
trained without it, taking the training mean from its tangent space (exact) or its MDM
class means. :func:`adapted_model` turns the decoder a session ran into a model file the
next session starts from.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import numpy as np
from pyriemann.geometry.mean import mean_riemann
from sklearn.pipeline import Pipeline

from bci.adapt.recenter import Recentering, covariance_step, insert_recentering, recentering_of
from bci.adapt.rolling import RollingRefit
from bci.adapt.settings import AdaptSettings, check_adapt
from bci.errors import ConfigError, ModelError


def settings_of(config: Any) -> AdaptSettings:
    """The checked ``[adapt]`` settings of a pipeline config (all off without the table)."""
    table = getattr(config, "adapt", None)
    try:
        return check_adapt(table, config.decoder.get("kind"))
    except ValueError as err:
        raise ConfigError(f"{config.origin}: {err}") from None


def make_recentering(settings: AdaptSettings) -> Recentering:
    """The unfitted re-centering step the settings describe."""
    return Recentering(forgetting=settings.forgetting, window=settings.window,
                       warmup=settings.warmup)


def adaptive_estimator(estimator: object, config: Any) -> object:
    """The unfitted decoder of a config with its adaptive parts, if ``[adapt]`` asks.

    ``recenter``: a re-centering step after the covariance step, so the fitted model
    re-centres wherever it runs (``bci live``, ``bci evaluate``) with no other wiring.
    ``supervised``: the classifier wrapped in a :class:`~bci.adapt.rolling.RollingRefit`,
    which keeps the calibration trials' features, so the session's updates start from
    the calibration instead of from nothing. :func:`bci.learn.training.make_estimator`
    calls it.

    Parameters
    ----------
    estimator : estimator
        The unfitted decoder.
    config : PipelineConfig

    Returns
    -------
    estimator
    """
    settings = settings_of(config)
    if settings.recenter:
        if covariance_step(estimator) is None:
            raise ConfigError(f"{config.origin}: [adapt].recenter needs a decoder with a "
                              f"covariance stage, and {config.decoder.get('kind')!r} has none")
        estimator = insert_recentering(estimator, make_recentering(settings))
    if settings.supervised and isinstance(estimator, Pipeline):
        name, classifier = estimator.steps[-1]
        estimator = Pipeline([*estimator.steps[:-1],
                              (name, RollingRefit(classifier, settings.supervised_window))])
    return estimator


def _training_mean(decoder: Pipeline, model_info: dict, classes: list[str]) -> np.ndarray:
    after = decoder.steps[covariance_step(decoder) + 1][1]
    if hasattr(after, "reference_"):  # TangentSpace: the training mean itself
        return np.asarray(after.reference_, dtype=float)
    if hasattr(after, "covmeans_"):  # MDM: the mean of the class means, weighed by counts
        counts = model_info.get("class_counts", {})
        weights = np.array([float(counts.get(c, 1.0)) for c in classes])
        return mean_riemann(np.asarray(after.covmeans_), sample_weight=weights / weights.sum())
    raise ModelError(f"this model's {type(after).__name__} keeps no training mean to "
                     "re-centre on: retrain it with [adapt] recenter = \"unsupervised\"")


def with_adaptation(model: Any, settings: AdaptSettings | None = None) -> Any:
    """A copy of ``model`` whose decoder re-centres (the model itself is not changed).

    Parameters
    ----------
    model : bci.pipeline.model.Model
    settings : AdaptSettings or None
        Default: the model's own ``[adapt]`` table.

    Returns
    -------
    Model
        With a fresh session state (:func:`reset_adaptation` was called).

    Raises
    ------
    bci.errors.ConfigError, bci.errors.ModelError
        Re-centering asked of a decoder with no covariance stage, or of a model that
        keeps no training mean.
    """
    settings = settings if settings is not None else settings_of(model.config)
    decoder = copy.deepcopy(model.decoder)
    existing = recentering_of(decoder)
    if settings.recenter and existing is None:
        if covariance_step(decoder) is None:
            raise ConfigError(f"{model.config.origin}: [adapt].recenter needs a decoder with "
                              f"a covariance stage, and {model.config.decoder.get('kind')!r} "
                              "has none: remove recenter")
        recentering = make_recentering(settings).fit_reference(
            _training_mean(decoder, model.info, list(model.classes)))
        decoder = insert_recentering(decoder, recentering)
    elif existing is not None and not settings.recenter:
        decoder = without_adaptation(replace(model, decoder=decoder)).decoder
    elif existing is not None:
        existing.set_params(forgetting=settings.forgetting, window=settings.window,
                            warmup=settings.warmup)
        existing.tracker_ = type(existing.tracker_)(settings.forgetting, settings.window)
    reset_adaptation(decoder)
    return replace(model, decoder=decoder)


def without_adaptation(model: Any) -> Any:
    """A copy of ``model`` with no re-centering step: exactly the trained decoder."""
    decoder = model.decoder
    if isinstance(decoder, Pipeline) and recentering_of(decoder) is not None:
        decoder = Pipeline([(n, s) for n, s in decoder.steps if not isinstance(s, Recentering)])
    return replace(model, decoder=copy.deepcopy(decoder))


def reset_adaptation(decoder: object, stages: Iterable[Any] = ()) -> None:
    """Start a new session: reset the decoder's re-centering and the adaptive stages."""
    recentering = recentering_of(decoder)
    if recentering is not None:
        recentering.reset()
    for stage in stages:
        stage.reset()


def describe_adaptation(decoder: object, stages: Iterable[Any] = ()) -> dict:
    """JSON-serialisable state of every adaptation, keyed by kind.

    For the decision stream's description (at start) and ``--stats`` (at the end).
    """
    out: dict = {}
    recentering = recentering_of(decoder)
    if recentering is not None:
        out["recenter"] = recentering.describe()
    for stage in stages:
        describe = getattr(stage, "describe", None)  # other stages (gestures) say nothing
        if describe is not None:
            state = describe()
            out[state["kind"]] = state
    return out


def adapted_model(model: Any, decoder: object | None = None, *, session: str | None = None,
                  stages: Iterable[Any] = ()) -> Any:
    """The model the next session starts from: this session's adapted decoder.

    The re-centering's running mean becomes the next session's starting mean (standing
    for ``warmup`` windows, so the next session is adapted from its first window and
    still moves to its own mean quickly); supervised updates are in the decoder already.

    Parameters
    ----------
    model : bci.pipeline.model.Model
        The model the session was started with.
    decoder : estimator or None
        The decoder the session ran (with its state); default ``model.decoder``.
    session : str or None
        The session's name (a file, a stream), recorded in ``info["adaptation"]``.
    stages : iterable
        The session's adaptive stages, whose state is recorded too.

    Returns
    -------
    Model
        Save it with :func:`bci.pipeline.model.save_model`.
    """
    decoder = copy.deepcopy(decoder if decoder is not None else model.decoder)
    recentering = recentering_of(decoder)
    state = describe_adaptation(decoder, stages)
    if recentering is not None and recentering.tracker_.mean is not None:
        recentering.start_mean_ = recentering.tracker_.mean.copy()
        recentering.start_count_ = max(int(recentering.warmup), 1)
        recentering.reset()
    info = {**model.info, "adaptation": {"session": session, "state": state}}
    return replace(model, decoder=decoder, info=info)
