"""Post-processing: window decisions -> stable application outputs (EMG gestures).

:class:`GestureStabiliser` turns a stream of window decisions into stable gestures with
onset and offset events (the ``[postprocess]`` table); :func:`gesture_metrics` scores
them against labelled recordings; :class:`GestureRelay` sends the events on (LSL markers,
OSC) from a live session. See ``docs/emg-gestures.md``.
"""

from bci.postprocess.gestures import (
    KINDS,
    POSTPROCESS_DEFAULTS,
    GestureEvent,
    GestureStabiliser,
    stabilise,
)
from bci.postprocess.metrics import (
    METRIC_KEYS,
    gesture_metrics,
    pool_gesture_metrics,
    stable_from_events,
)
from bci.postprocess.outputs import (
    GestureMarkerOutlet,
    GestureOscSender,
    GestureRelay,
    gesture_marker,
    parse_gesture_marker,
)

__all__ = ["KINDS", "METRIC_KEYS", "POSTPROCESS_DEFAULTS", "GestureEvent",
           "GestureMarkerOutlet", "GestureOscSender", "GestureRelay", "GestureStabiliser",
           "gesture_marker", "gesture_metrics", "parse_gesture_marker",
           "pool_gesture_metrics", "stabilise", "stable_from_events"]
