"""Decoders that follow the session: re-centering, output normalisation, supervised updates.

- :class:`~bci.adapt.recenter.Recentering`: an unsupervised step inside a covariance
  decoder (after its covariance step) that re-centres each window's covariance on a
  running Riemannian mean of the session (Zanini et al. 2018);
- :class:`~bci.adapt.normalise.OutputNormaliser`: adaptive offset and gain of a
  continuous output over the last seconds or decisions (BCI2000's Normalizer);
- :class:`~bci.adapt.supervised.SupervisedUpdates`: updates the decoder's classifier from
  each labelled trial (``partial_fit`` where it exists, else a refit on a rolling window).

Each has explicit state, ``reset()`` and a JSON-serialisable ``describe()``, and is fed in
stream order, so an offline run equals the live run on a replay of the same file.
"""

from bci.adapt.model import adapted_model, describe_adaptation, reset_adaptation, with_adaptation
from bci.adapt.normalise import OutputNormaliser
from bci.adapt.recenter import Recentering, covariance_step
from bci.adapt.running_mean import RunningRiemannianMean
from bci.adapt.settings import AdaptSettings, check_adapt
from bci.adapt.supervised import SupervisedUpdates

__all__ = ["AdaptSettings", "OutputNormaliser", "Recentering", "RunningRiemannianMean",
           "SupervisedUpdates", "adapted_model", "check_adapt", "covariance_step",
           "describe_adaptation", "reset_adaptation", "with_adaptation"]
