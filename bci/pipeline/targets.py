"""The ``[targets]`` table of a regression pipeline (checked with the rest of the config).

``channels = ["cursor_vx", "cursor_vy"]`` names kinematics channels of the recording;
``classes = { left = -1.0, right = 1.0 }`` gives a value per class during its trials.
Training and evaluation of such pipelines are in :mod:`bci.learn.regression`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bci.pipeline.config import PipelineConfig


def parse_targets(table: object, events: Mapping[str, list[str]],
                  fail: Callable[[str], Exception]) -> dict:
    """Check a ``[targets]`` table; ``fail(message)`` makes the config error to raise."""
    if not isinstance(table, dict):
        raise fail("[targets] must be a table")
    unknown = sorted(set(table) - {"channels", "classes"})
    if unknown:
        raise fail(f"unknown key(s) {unknown} in [targets]: valid are ['channels', 'classes']")
    if ("channels" in table) == ("classes" in table):
        raise fail("[targets] needs either channels = [\"cursor_vx\", ...] (kinematics "
                   "channels) or classes = { left = -1.0, right = 1.0 }")
    if "channels" in table:
        channels = table["channels"]
        if (not isinstance(channels, list) or not channels
                or not all(isinstance(c, str) for c in channels)
                or len(set(channels)) != len(channels)):
            raise fail("[targets].channels must be a list of distinct channel names, e.g. "
                       "[\"cursor_vx\", \"cursor_vy\"]")
        return {"channels": list(channels)}
    classes = table["classes"]
    if not isinstance(classes, dict) or not classes or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in classes.values()):
        raise fail("[targets].classes must map class names to numbers, e.g. "
                   "{ left = -1.0, right = 1.0 }")
    missing = sorted(set(classes) - set(events))
    if missing:
        raise fail(f"[targets].classes names {missing}, which [epochs].events does not "
                   "define: use the same class names in both")
    return {"classes": {str(k): float(v) for k, v in classes.items()}}


def target_names_of(config: PipelineConfig) -> list[str]:
    """Output names: the target channels, or ``velocity`` for class-valued targets."""
    assert config.targets is not None
    return list(config.targets.get("channels", ["velocity"]))


__all__ = ["parse_targets", "target_names_of"]
