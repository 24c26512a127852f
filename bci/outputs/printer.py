"""Printing decisions as they come (``bci live --print``)."""

from __future__ import annotations

import sys
from typing import TextIO

from bci.pipeline.step import SessionInfo, Step


class DecisionPrinter:
    """Writes one line per decision: window end, class (or value), truth, latency.

    Parameters
    ----------
    out : text stream
        Where the lines go (stdout by default).
    """

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out

    def open(self, info: SessionInfo) -> None:
        """Nothing to prepare."""

    def write(self, step: Step) -> None:
        """Print the step's decisions."""
        out = self.out or sys.stdout
        for decision in step.decisions:
            shown = (decision.label if decision.label is not None
                     else f"{decision.value:.4g}")
            truth = f"  (true: {decision.true_label})" if decision.true_label else ""
            latency = ((step.now - decision.window_end) * 1e3 if step.now is not None
                       else float("nan"))
            out.write(f"{decision.window_end:12.3f}  {shown:>12}{truth}  {latency:6.2f} ms\n")
        if step.decisions:
            out.flush()

    def close(self) -> None:
        """Nothing to release."""
