"""Feedback over OSC (Open Sound Control), for game engines and Max/Pure Data.

Each feedback sample is sent as four UDP messages, one value each, so a patch can route
them by address with no unpacking::

    /bci/feedback  float  0-1, smoothed normalised feedback
    /bci/reward    int    0 or 1
    /bci/value     float  the raw feature (e.g. log10 band power)
    /bci/artifact  int    0 or 1

The prefix (``/bci``) can be changed. Uses python-osc (``pip install "bci[osc]"``).
"""

from __future__ import annotations

from bci.feedback.processor import FeedbackSample
from bci.stream.osc import OscAddress, OscSender, parse_osc_address

__all__ = ["FeedbackOscSender", "OscAddress", "OscSender", "parse_osc_address"]


class FeedbackOscSender(OscSender):
    """Sends each feedback sample as the four messages above."""

    def send(self, sample: FeedbackSample) -> None:
        """Send one feedback sample; count, never raise, socket errors."""
        self.send_all((self.message("feedback", float(sample.feedback)),
                       self.message("reward", int(sample.reward)),
                       self.message("value", float(sample.value)),
                       self.message("artifact", int(sample.is_artifact))))
