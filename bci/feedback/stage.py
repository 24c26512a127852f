"""Neurofeedback as a post-decoder stage of the session loop."""

from __future__ import annotations

from bci.feedback.processor import NeurofeedbackProcessor
from bci.pipeline.step import Step


class FeedbackStage:
    """Turns each step's decisions into the feedback samples now due (``outputs["feedback"]``).

    The pipeline's window check (:class:`~bci.feedback.artifacts.ArtifactDetector`) has
    put each window's artifact reason on its decision; the processor places the samples
    on a grid of signal time, so live and offline runs give the same samples.

    Parameters
    ----------
    processor : NeurofeedbackProcessor
    """

    name = "feedback"

    def __init__(self, processor: NeurofeedbackProcessor) -> None:
        self.processor = processor

    def __call__(self, step: Step) -> Step:
        """The step with the feedback samples due up to ``step.stop_index``."""
        if step.chunk is None and not step.decisions:
            return step  # markers or status alone: no new signal, nothing new is due
        samples = self.processor.update(
            step.stop_index, [(d, d.artifact) for d in step.decisions], step.gaps)
        return step.with_output(self.name, samples)

    def reset(self) -> None:
        """Start again: a new baseline is recorded before any feedback."""
        self.processor.reset()
