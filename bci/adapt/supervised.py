"""Supervised updates of a decoder's classifier from the session's labelled trials.

After each decision whose true class is known (a calibration with feedback, a speller
with known text), the trial's features (through the decoder's steps before the
classifier, as they were when it was decided) update the classifier: by ``partial_fit``
where the classifier has one (a model trained with ``[adapt] supervised`` has a
:class:`~bci.adapt.rolling.RollingRefit`, whose ``partial_fit`` refits on the calibration
and session trials, newest last), else by refitting a fresh copy of it on the session's
last ``window`` labelled trials once each class has ``min_per_class`` of them. The decoder
object is changed in place, so the pipeline that holds it decides with the update from
the next window on.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from bci.adapt.recenter import Recentering
from bci.adapt.settings import DEFAULT_SUPERVISED_WINDOW
from bci.errors import ModelError


class SupervisedUpdates:
    """Update the last step of a fitted scikit-learn pipeline from labelled trials.

    Parameters
    ----------
    decoder : sklearn.pipeline.Pipeline
        The fitted decoder the session runs (updated in place).
    classes : sequence of str
        The model's classes; a label outside them is refused.
    window : int or None
        Labelled trials a session-only refit uses (the newest); None: 40.
    min_per_class : int
        Labelled trials of each class before the first refit.
    """

    def __init__(self, decoder: Pipeline, classes: Sequence[str], window: int | None = None,
                 min_per_class: int = 5) -> None:
        if not isinstance(decoder, Pipeline) or len(decoder.steps) < 2:
            raise ModelError("supervised updates need a decoder made of feature steps and "
                             "a classifier: use a trained kind such as tangent-space-lr")
        self.decoder = decoder
        self.classes = [str(c) for c in classes]
        self.window = int(window) if window is not None else DEFAULT_SUPERVISED_WINDOW
        self.min_per_class = int(min_per_class)
        self._original = copy.deepcopy(decoder.steps[-1][1])
        self.reset()

    @property
    def incremental(self) -> bool:
        """Whether the classifier learns by ``partial_fit`` (else: rolling refits)."""
        return hasattr(self._original, "partial_fit")

    def reset(self) -> None:
        """Back to the classifier the session started with, no trials held."""
        name = self.decoder.steps[-1][0]
        self.decoder.steps[-1] = (name, copy.deepcopy(self._original))
        self._features: NDArray[np.float64] | None = None
        self._labels: list[str] = []
        self.n_updates = 0
        self.n_trials = 0

    def features(self, window: ArrayLike) -> NDArray[np.float64]:
        """Features of one window as the classifier sees them, changing no state.

        Parameters
        ----------
        window : array-like, shape (n_channels, n_times)

        Returns
        -------
        ndarray, shape (1, ...)
            What the last step takes: features, or covariances for MDM.
        """
        X = np.asarray(window, dtype=float)[np.newaxis]
        for _, step in self.decoder.steps[:-1]:
            # the re-centering already took this window into its mean when it was decided
            X = step.apply(X) if isinstance(step, Recentering) else step.transform(X)
        return np.asarray(X, dtype=float)  # (1, n_features), or (1, n, n) before MDM

    def update(self, window: ArrayLike, label: str) -> bool:
        """Learn from one labelled trial (after it was decided).

        Parameters
        ----------
        window : array-like, shape (n_channels, n_times)
            The window the decision used.
        label : str
            Its true class.

        Returns
        -------
        bool
            Whether the classifier changed.

        Raises
        ------
        bci.errors.ModelError
            If ``label`` is not one of the model's classes.
        """
        label = str(label)
        if label not in self.classes:
            raise ModelError(f"supervised update with label {label!r}, which is not among the "
                             f"model's classes {self.classes}: map the markers to those "
                             "classes in [epochs].events, or retrain with this class")
        features = self.features(window)
        self.n_trials += 1
        name, classifier = self.decoder.steps[-1]
        if self.incremental:
            classifier.partial_fit(features, [label], classes=self.classes)
            self.n_updates += 1
            return True
        self._features = (features if self._features is None
                          else np.concatenate([self._features, features])[-self.window:])
        self._labels = [*self._labels, label][-self.window:]
        counts = [self._labels.count(c) for c in self.classes]
        if min(counts) < self.min_per_class:
            return False
        self.decoder.steps[-1] = (name, clone(self._original).fit(self._features,
                                                                  np.array(self._labels)))
        self.n_updates += 1
        return True

    def describe(self) -> dict:
        """JSON-serialisable summary of the state."""
        counts = {c: self._labels.count(c) for c in self.classes}
        if self.incremental:
            status = f"partial_fit on {self.n_trials} trials"
        elif self.n_updates:
            status = f"refit on the last {len(self._labels)} trials"
        else:
            status = (f"collecting trials ({counts}; {self.min_per_class} of each before "
                      "the first refit): un-adapted")
        return {"kind": "supervised", "status": status, "incremental": self.incremental,
                "n_trials": self.n_trials, "n_updates": self.n_updates,
                "window": self.window, "held": counts}
