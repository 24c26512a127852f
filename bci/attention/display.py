"""The training display's state, headless: blocks and rests, the game object, rewards.

:class:`TrainingDisplay` is fed the feedback samples in order (synchronous, explicit
state, :meth:`reset`) and says what the subject's screen shows: the phase (``block``,
``rest``, ``paused`` for an artifact, ``baseline``, ``done``), the object's position
(it moves on only while the feedback is at or above the threshold, cleanly), the
feedback level for a thermometer, and the rewards earned. The Qt window
(``bci_apps.nf_display``) only draws it. Phases follow *signal* time (sample index over
the rate), so a replay at any speed shows the same course.

A display protocol (``--display FILE.toml``, ``docs/protocols/display-training.toml``)::

    [display]
    blocks = 6          # blocks of feedback ...
    block = 180.0       # ... of this many seconds each
    rest = 30.0         # seconds of rest between blocks (the screen says "rest")
    object = "rocket"   # "rocket" (moves while above threshold) or "thermometer"
    speed = 0.05        # share of the track per second above threshold
    sound = false       # a beep at each reward
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

from bci.errors import ConfigError

__all__ = ["DisplaySettings", "TrainingDisplay", "load_display_settings"]


@dataclass(frozen=True)
class DisplaySettings:
    """Blocks, rests and the object (see the module docstring)."""

    blocks: int = 6
    block: float = 180.0
    rest: float = 30.0
    object: str = "rocket"
    speed: float = 0.05
    sound: bool = False


def load_display_settings(path: str | Path | None) -> DisplaySettings:
    """The ``[display]`` table of ``path`` (defaults for None), checked (one line)."""
    if path is None:
        return DisplaySettings()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"--display {path}: no such file: give a display protocol "
                          "(docs/protocols/display-training.toml)") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"--display {path}: cannot read it ({err})") from None
    table = data.get("display", {})
    fields = DisplaySettings.__dataclass_fields__
    bad = set(table) - set(fields)
    if bad or set(data) - {"display"}:
        name = sorted(bad or set(data) - {"display"})[0]
        raise ConfigError(f"--display {path}: unknown key '{name}': [display] takes "
                          f"{', '.join(fields)}")
    settings = DisplaySettings(**table)
    if not isinstance(settings.blocks, int) or isinstance(settings.blocks, bool) or \
            settings.blocks < 1:
        raise ConfigError(f"--display {path}: blocks = {settings.blocks!r}: give a whole "
                          "number >= 1")
    for key in ("block", "rest", "speed"):
        v = getattr(settings, key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
                or v < 0 or (v == 0 and key != "rest"):
            raise ConfigError(f"--display {path}: {key} = {v!r}: give a positive number")
    if settings.object not in ("rocket", "thermometer"):
        raise ConfigError(f"--display {path}: object = {settings.object!r}: use 'rocket' "
                          "or 'thermometer'")
    if not isinstance(settings.sound, bool):
        raise ConfigError(f"--display {path}: sound = {settings.sound!r}: true or false")
    return settings


@dataclass
class _Block:
    n: int = 0
    feedback_sum: float = 0.0
    rewarded: int = 0
    clean: int = 0


@dataclass
class TrainingDisplay:
    """What the training screen shows, from the feedback samples (module docstring).

    Parameters
    ----------
    settings : DisplaySettings
    threshold : float
        The protocol's feedback threshold (0-1).
    sfreq : float
        Signal rate (sample index -> seconds).
    rate : float
        Feedback samples per second.
    """

    settings: DisplaySettings
    threshold: float
    sfreq: float
    rate: float
    phase: str = field(init=False, default="baseline")
    block: int = field(init=False, default=0)
    position: float = field(init=False, default=0.0)
    level: float = field(init=False, default=0.0)
    rewards: int = field(init=False, default=0)
    new_reward: bool = field(init=False, default=False)
    laps: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Before the first sample."""
        self.phase, self.block, self.position, self.level = "baseline", 0, 0.0, 0.0
        self.rewards, self.new_reward, self.laps = 0, False, 0
        self._start: int | None = None
        self._rewarding = False
        self._blocks: list[_Block] = [_Block() for _ in range(self.settings.blocks)]

    def _phase_at(self, t: float) -> tuple[str, int]:
        s = self.settings
        period = s.block + s.rest
        k = int(t // period)
        if t >= s.blocks * s.block + (s.blocks - 1) * s.rest:  # no rest after the last
            return "done", s.blocks - 1
        return ("block" if t - k * period < s.block else "rest"), k

    def update(self, sample) -> None:
        """Take one feedback sample (a :class:`bci.feedback.processor.FeedbackSample`)."""
        # No sample comes while the baseline records: the screen says "baseline" until
        # the first one, and block 1 starts with it.
        self.new_reward = False
        if self._start is None:
            self._start = sample.index
        t = (sample.index - self._start) / self.sfreq
        phase, self.block = self._phase_at(t)
        if phase != "block":
            self.phase = phase
            self._rewarding = False
            return
        if sample.artifact is not None:
            self.phase = "paused"  # shown as paused, never as poor performance
            return
        self.phase = "block"
        self.level = float(sample.feedback)
        b = self._blocks[self.block]
        b.clean += 1
        b.feedback_sum += sample.feedback
        if sample.feedback >= self.threshold:
            self.position += self.settings.speed / self.rate
            if self.position >= 1.0:
                self.position -= 1.0
                self.laps += 1
        if sample.reward:
            b.rewarded += 1
            if not self._rewarding:
                self.rewards += 1
                self.new_reward = True
        self._rewarding = bool(sample.reward)

    def block_summaries(self) -> list[dict]:
        """Per block: mean feedback and reward rate over its clean samples."""
        return [{"block": k + 1, "clean_samples": b.clean,
                 "mean_feedback": b.feedback_sum / b.clean if b.clean else None,
                 "fraction_rewarded": b.rewarded / b.clean if b.clean else None}
                for k, b in enumerate(self._blocks) if b.clean]
