"""The post-decoder stages a pipeline config asks for, built in one place.

``bci live``, ``bci evaluate`` and the demo all call :func:`pipeline_stages`, so a
``[postprocess]`` table means the same thing live and offline.
"""

from __future__ import annotations

from bci.errors import ConfigError
from bci.pipeline.pipeline import Pipeline
from bci.pipeline.step import Stage


def pipeline_stages(pipeline: Pipeline) -> list[Stage]:
    """The stages of ``pipeline.config``: today the ``[postprocess]`` gesture stabiliser.

    Raises
    ------
    ConfigError
        ``[postprocess]`` on a decoder without classes.
    """
    config = pipeline.config
    stages: list[Stage] = []
    if config.postprocess is not None and pipeline.decoder is not None:
        from bci.postprocess import GestureStabiliser, GestureStage

        if pipeline.classes is None:
            raise ConfigError(f"{config.origin}: [postprocess] needs a decoder with "
                              f"classes, and '{config.decoder['kind']}' gives a "
                              "continuous output: remove [postprocess]")
        stabiliser = GestureStabiliser.from_config(config.postprocess, pipeline.classes,
                                                   pipeline.sfreq, origin=config.origin)
        stages.append(GestureStage(stabiliser, stats=pipeline.stats))
    return stages


def gesture_rest(stages: list[Stage]) -> str | None:
    """The rest class of the gesture stage among ``stages``, if there is one."""
    for stage in stages:
        rest = getattr(stage, "rest", None)
        if rest is not None:
            return rest
    return None
