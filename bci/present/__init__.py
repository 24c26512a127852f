"""Presenting an experiment to the subject, headless parts: protocols, schedules, frames.

The window itself lives in ``bci_apps.present`` (Qt); everything it needs to decide what
to draw and which marker to push at which flip is here, so that the same run can be
driven by a real display or by a virtual clock (:func:`calibrate_virtual`).
"""

from bci.present.calibrate import (
    DEFAULT_MARKERS,
    SIMULATED_STREAM,
    calibrate_virtual,
    cue_description,
    headset_description,
    next_command,
)
from bci.present.feedback import DecisionFeedback
from bci.present.luminance import flicker_frame, sampled_sinusoid
from bci.present.presenter import DROPPED_FRAME, Frame, FrameStats, Presenter, virtual_flips
from bci.present.protocol import PARADIGMS, Cue, Protocol, Timing, load_protocol, parse_protocol
from bci.present.schedule import Segment, Timeline, balanced_order, build_timeline
from bci.present.speller import spell

__all__ = ["DEFAULT_MARKERS", "DROPPED_FRAME", "PARADIGMS", "SIMULATED_STREAM", "Cue",
           "DecisionFeedback", "Frame", "FrameStats", "Presenter", "Protocol", "Segment",
           "Timeline", "Timing", "balanced_order", "build_timeline", "calibrate_virtual",
           "cue_description", "flicker_frame", "headset_description", "load_protocol",
           "next_command", "parse_protocol", "sampled_sinusoid", "spell", "virtual_flips"]
