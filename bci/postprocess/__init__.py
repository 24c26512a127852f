"""Post-processing: window decisions -> stable application outputs (EMG gestures).

:class:`GestureStabiliser` turns a stream of window decisions into stable gestures with
onset and offset events (the ``[postprocess]`` table); :class:`GestureStage` runs it as a
post-decoder stage of the session loop; :func:`gesture_metrics` scores them against
labelled recordings; the events go out as LSL markers and OSC messages. See
``docs/emg-gestures.md``.
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
    gesture_marker,
    parse_gesture_marker,
)
from bci.postprocess.stage import GestureStage

__all__ = ["KINDS", "METRIC_KEYS", "POSTPROCESS_DEFAULTS", "GestureEvent",
           "GestureMarkerOutlet", "GestureOscSender", "GestureStabiliser", "GestureStage",
           "gesture_marker", "gesture_metrics", "parse_gesture_marker",
           "pool_gesture_metrics", "stabilise", "stable_from_events"]
