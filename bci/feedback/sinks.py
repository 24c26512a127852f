"""Where feedback samples go: the LSL feedback stream, OSC, the terminal — session sinks."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from bci.feedback.osc import FeedbackOscSender
from bci.feedback.outlet import FeedbackOutlet
from bci.feedback.processor import FeedbackSample
from bci.pipeline.step import SessionInfo, Step


def _samples(step: Step) -> tuple[FeedbackSample, ...]:
    return step.outputs.get("feedback", ())


class FeedbackSink:
    """Pushes each feedback sample on the feedback stream and records it in a run.

    Every sample of a step is stamped with the step's push time ``now`` (live) and its
    latency (``now - window_end``) goes into the run, the session's ``feedback_latency``
    stage and the ``latency_ms`` channel.

    Parameters
    ----------
    run : FeedbackRun
        Where samples, latencies and push times are kept (the session summary).
    outlet : FeedbackOutlet or None
        The feedback stream; None to only record (offline).
    """

    def __init__(self, run, outlet: FeedbackOutlet | None = None) -> None:
        self.run = run
        self.outlet = outlet
        self._stats = None

    def open(self, info: SessionInfo) -> None:
        """Remember the session's statistics."""
        self._stats = info.stats

    def write(self, step: Step) -> None:
        """Push and record the step's feedback samples."""
        samples = _samples(step)
        if not samples:
            return
        run, stats = self.run, self._stats
        run.samples.extend(samples)
        if step.now is None:
            return
        started = time.perf_counter_ns()
        for sample in samples:
            latency_ms = (self.outlet.push(sample, step.now) if self.outlet is not None
                          else (step.now - sample.window_end) * 1e3)
            run.latencies_ms.append(latency_ms)
            run.push_times.append(step.now)
            if stats is not None:
                stats.stage("feedback_latency").add(latency_ms)
        if stats is not None:
            stats.stage("push").add((time.perf_counter_ns() - started) / 1e6)
            stats.count("feedback_samples", len(samples))
            stats.count("artifact_samples", sum(s.is_artifact for s in samples))

    def close(self) -> None:
        """Withdraw the feedback stream."""
        if self.outlet is not None:
            self.outlet.close()


class FeedbackOscSink:
    """Sends each feedback sample over OSC (``/bci/feedback``, ``/bci/reward``, ...).

    Parameters
    ----------
    sender : FeedbackOscSender
    """

    def __init__(self, sender: FeedbackOscSender) -> None:
        self.sender = sender

    def open(self, info: SessionInfo) -> None:
        """Nothing to prepare."""

    def write(self, step: Step) -> None:
        """Send the step's feedback samples."""
        for sample in _samples(step):
            self.sender.send(sample)

    def close(self) -> None:
        """Close the socket."""
        self.sender.close()


class FeedbackPrinter:
    """Prints each feedback sample (``bci neurofeedback --print``).

    Parameters
    ----------
    sfreq : float
        Signal rate, to print sample indices as seconds of signal.
    out : text stream or None
        Where the lines go (stdout by default).
    """

    def __init__(self, sfreq: float, out: TextIO | None = None) -> None:
        self.sfreq = sfreq
        self.out = out

    def open(self, info: SessionInfo) -> None:
        """Nothing to prepare."""

    def write(self, step: Step) -> None:
        """Print the step's feedback samples."""
        for sample in _samples(step):
            latency = ((step.now - sample.window_end) * 1e3 if step.now is not None
                       else float("nan"))
            print_sample(sample, self.sfreq, latency, self.out)

    def close(self) -> None:
        """Nothing to release."""


def print_sample(sample: FeedbackSample, sfreq: float, latency_ms: float,
                 out: TextIO | None = None) -> None:
    """One line per feedback sample: time, feedback, reward, value, latency, artifact."""
    out = out or sys.stdout
    flag = sample.artifact or ""
    out.write(f"{sample.index / sfreq:10.2f} s  feedback {sample.feedback:5.3f}  "
              f"reward {int(sample.reward)}  value {sample.value:10.4g}  "
              f"{latency_ms:7.2f} ms  {flag}\n")
    out.flush()
