"""The gesture stabiliser as a post-decoder stage of the session loop."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bci.postprocess.gestures import GestureStabiliser

if TYPE_CHECKING:
    from bci.pipeline.stats import LatencyStats
    from bci.pipeline.step import Step


class GestureStage:
    """Fills in each decision's stable gesture and the onsets/offsets it caused.

    Live and offline runs feed it the same decisions in the same order, so the gesture
    events (in signal time, through ``stop_index``) are the same in both.

    Parameters
    ----------
    stabiliser : GestureStabiliser
        Built for the decoder's classes and the stream's rate.
    stats : LatencyStats or None
        Where ``gesture_events`` are counted.
    """

    name = "gestures"

    def __init__(self, stabiliser: GestureStabiliser, *,
                 stats: LatencyStats | None = None) -> None:
        self.stabiliser = stabiliser
        self.stats = stats

    @property
    def rest(self) -> str:
        """The class that means "no gesture"."""
        return self.stabiliser.rest

    def __call__(self, step: Step) -> Step:
        """The step with ``gesture`` and ``events`` set on every decision."""
        if not step.decisions:
            return step
        decisions = []
        for decision in step.decisions:
            events = self.stabiliser.update(decision)
            decisions.append(replace(decision, gesture=self.stabiliser.current,
                                     events=tuple(events)))
            if events and self.stats is not None:
                self.stats.count("gesture_events", len(events))
        return replace(step, decisions=tuple(decisions))

    def reset(self) -> None:
        """Back to rest, no votes held."""
        self.stabiliser.reset()
