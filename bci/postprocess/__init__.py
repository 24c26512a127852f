"""Post-processing: window decisions -> stable application outputs (EMG gestures).

:class:`GestureStabiliser` turns a stream of window decisions into stable gestures with
onset and offset events (the ``[postprocess]`` table); :func:`gesture_metrics` scores
them against labelled recordings. See ``docs/emg-gestures.md``.
"""

from bci.postprocess.gestures import (
    KINDS,
    POSTPROCESS_DEFAULTS,
    GestureEvent,
    GestureStabiliser,
    stabilise,
)
from bci.postprocess.metrics import METRIC_KEYS, gesture_metrics, stable_from_events

__all__ = ["KINDS", "METRIC_KEYS", "POSTPROCESS_DEFAULTS", "GestureEvent",
           "GestureStabiliser", "gesture_metrics", "stabilise", "stable_from_events"]
