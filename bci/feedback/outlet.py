"""The feedback stream: what ``bci neurofeedback`` pushes over LSL."""

from __future__ import annotations

import numpy as np

from bci.feedback.processor import FeedbackSample
from bci.stream.description import StreamDescription
from bci.stream.outlet import Outlet

#: Channels of the feedback stream, in order.
FEEDBACK_CHANNELS = ("feedback", "reward", "value", "artifact", "window_end", "latency_ms")


class FeedbackOutlet:
    """One float64 sample per feedback sample: feedback, reward, value, artifact, ...

    Channels are :data:`FEEDBACK_CHANNELS`: ``feedback`` (0-1), ``reward`` (0 or 1),
    ``value`` (the raw feature), ``artifact`` (0 or 1), ``window_end`` (LSL time of the
    newest signal sample the feedback used) and ``latency_ms`` (push time -
    ``window_end``). Each sample is stamped with its push time. The nominal rate is the
    protocol's rate in signal time; a replay's speed factor is passed on in
    ``desc/bci/speed``, as ``bci replay`` announces it, so receivers know the stamps run
    that much faster.

    Parameters
    ----------
    name : str
        Stream name (``<input>-feedback`` by default on the command line).
    rate : float
        Feedback samples per second of signal.
    source_id : str
        LSL source id.
    metadata : dict
        More fields for ``desc/bci`` (protocol, settings, input stream...).
    """

    def __init__(self, name: str, *, rate: float, source_id: str = "",
                 metadata: dict | None = None) -> None:
        meta = {"output": "neurofeedback", "channels": list(FEEDBACK_CHANNELS),
                **(metadata or {})}
        self.description = StreamDescription(
            name=name, stype="Feedback", sfreq=float(rate), ch_names=FEEDBACK_CHANNELS,
            ch_types=tuple("misc" for _ in FEEDBACK_CHANNELS),
            units=("", "", "", "", "seconds", "milliseconds"), channel_format="double64",
            source_id=source_id, metadata=meta)
        self._outlet = Outlet(self.description)
        self._sample = np.zeros(len(FEEDBACK_CHANNELS))

    def push(self, sample: FeedbackSample, push_time: float) -> float:
        """Push one feedback sample stamped ``push_time``; return its latency in ms."""
        latency_ms = (push_time - sample.window_end) * 1e3
        row = self._sample
        row[0] = sample.feedback
        row[1] = 1.0 if sample.reward else 0.0
        row[2] = sample.value
        row[3] = 1.0 if sample.is_artifact else 0.0
        row[4] = sample.window_end
        row[5] = latency_ms
        self._outlet.push_sample(row, push_time)
        return latency_ms

    def have_consumers(self) -> bool:
        """Whether an inlet is connected."""
        return self._outlet.have_consumers()

    def close(self) -> None:
        """Withdraw the stream."""
        self._outlet.close()
