"""A neurofeedback protocol: a training-free pipeline plus its ``[feedback]`` table.

A protocol is an ordinary pipeline TOML file (see ``docs/neurofeedback.md``) whose
decoder turns each window into one continuous value (``band-power`` with one band, or
``band-ratio``), with a ``[feedback]`` table saying how that value becomes feedback.
Every mistake is one :class:`~bci.errors.ConfigError` line naming the file, the key and
what to write instead.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from bci.errors import ConfigError
from bci.pipeline.config import PipelineConfig, load_config, parse_config

#: Decoder kinds whose output is one continuous value and that need no training.
FEEDBACK_DECODERS = ("band-power", "band-ratio")

#: Directions: reward a value above the baseline ("up") or below it ("down").
DIRECTIONS = ("up", "down")


@dataclass(frozen=True)
class FeedbackSettings:
    """The checked ``[feedback]`` table.

    Attributes
    ----------
    baseline : float
        Seconds of signal, after the first full window, whose values form the baseline
        distribution the feedback is normalised against.
    rate : float
        Hz of signal time: one feedback sample every ``1 / rate`` seconds of signal.
    smoothing : float
        Time constant (seconds of signal) of the exponential smoothing; 0 turns it off.
    threshold : float
        Normalised feedback (0-1) at or above which the reward can be earned.
    dwell : float
        Seconds of signal the feedback must stay at or above ``threshold`` before the
        reward flag is raised.
    direction : str
        ``"up"`` rewards values above the baseline (alpha, SMR), ``"down"`` values below
        it (theta/beta ratio).
    max_amplitude : float
        Volts peak-to-peak: a window where any channel exceeds it (after the protocol's
        filters) is an artifact.
    flat_std : float
        Volts: a window where any channel's raw signal has a standard deviation below
        it over a quarter of a second is a flat line (a loose or saturated electrode);
        0 turns the check off.
    min_baseline_windows : int
        Clean windows the baseline needs; it is extended past ``baseline`` seconds until
        it has them.
    """

    baseline: float = 30.0
    rate: float = 20.0
    smoothing: float = 0.5
    threshold: float = 0.7
    dwell: float = 0.5
    direction: str = "up"
    max_amplitude: float = 1e-3
    flat_std: float = 0.1e-6
    min_baseline_windows: int = 20

    def as_dict(self) -> dict:
        """The settings as a JSON-serialisable dict (for summaries and stream meta-data)."""
        return dataclasses.asdict(self)


_KEYS = tuple(f.name for f in dataclasses.fields(FeedbackSettings))


@dataclass(frozen=True)
class Protocol:
    """A parsed, checked neurofeedback protocol.

    Attributes
    ----------
    config : PipelineConfig
        The pipeline (picks, filters, sliding windows, training-free decoder). When the
        file gives no ``[online].step``, the step is ``1 / rate`` so every feedback
        sample carries a fresh window.
    feedback : FeedbackSettings
        The checked ``[feedback]`` table.
    """

    config: PipelineConfig
    feedback: FeedbackSettings

    @property
    def name(self) -> str:
        """The protocol's name (its file name when the TOML gives none)."""
        return self.config.name or Path(self.config.origin).stem

    @property
    def origin(self) -> str:
        """Where the protocol came from, for messages."""
        return self.config.origin


def load_protocol(path: str | Path) -> Protocol:
    """Read and check a protocol TOML file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Protocol

    Raises
    ------
    bci.errors.ConfigError
        When the file is missing or malformed, has no ``[feedback]`` table, or its
        decoder is not a training-free continuous one.
    """
    return protocol_from_config(load_config(path))


def parse_protocol(text: str, *, origin: str = "<protocol>") -> Protocol:
    """Parse and check protocol TOML text (see :func:`load_protocol`)."""
    return protocol_from_config(parse_config(text, origin=origin))


def protocol_from_config(config: PipelineConfig) -> Protocol:
    """Check that a pipeline config is a neurofeedback protocol; parse its ``[feedback]``.

    Parameters
    ----------
    config : PipelineConfig

    Returns
    -------
    Protocol

    Raises
    ------
    bci.errors.ConfigError
    """
    from bci.decoders import is_continuous, needs_training

    origin = config.origin

    def fail(message: str) -> ConfigError:
        return ConfigError(f"{origin}: {message}")

    if config.feedback is None:
        raise fail("no [feedback] table: a neurofeedback protocol needs one, e.g. "
                   "[feedback] baseline = 30.0, rate = 20.0, smoothing = 0.5, "
                   "threshold = 0.7, dwell = 0.5 (see docs/neurofeedback.md)")
    kind = config.decoder.get("kind")
    if kind not in FEEDBACK_DECODERS:
        if needs_training(kind):  # raises ConfigError itself for an unknown kind
            raise fail(f"decoder '{kind}' must be trained on labelled data: neurofeedback "
                       f"needs a training-free decoder, kind = {' or '.join(FEEDBACK_DECODERS)}")
        what = "a value" if is_continuous(kind) else "a class, not a value"
        raise fail(f"decoder '{kind}' outputs {what} neurofeedback can use: use kind = "
                   f"{' or '.join(FEEDBACK_DECODERS)}")
    if kind == "band-power":
        bands = config.decoder.get("bands")
        if isinstance(bands, dict) and len(bands) != 1:
            raise fail(f"[decoder].bands has {len(bands)} bands but feedback follows one "
                       "value: keep a single band (or use kind = \"band-ratio\")")
    if config.mode != "sliding":
        raise fail("neurofeedback needs [online].mode = \"sliding\" (a value every step), "
                   "not marker-locked windows")
    settings = _parse_feedback(config.feedback, fail)
    if not _step_given(config.text):
        # No step written: one fresh window per feedback sample.
        config = dataclasses.replace(config, step=1.0 / settings.rate)
    return Protocol(config=config, feedback=settings)


def _step_given(text: str) -> bool:
    online = tomllib.loads(text).get("online", {})
    return isinstance(online, dict) and "step" in online


def _parse_feedback(table: dict, fail) -> FeedbackSettings:
    unknown = set(table) - set(_KEYS)
    if unknown:
        raise fail(f"unknown key(s) {sorted(unknown)} in [feedback]: valid are "
                   f"{sorted(_KEYS)}")
    defaults = FeedbackSettings()

    def number(key: str, *, low: float, high: float = math.inf,
               low_inclusive: bool = True) -> float:
        value = table.get(key, getattr(defaults, key))
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value):
            raise fail(f"[feedback].{key} must be a number, got {value!r}")
        too_low = value < low if low_inclusive else value <= low
        if too_low or value > high:
            bound = ">=" if low_inclusive else ">"
            upper = f" and <= {high:g}" if math.isfinite(high) else ""
            raise fail(f"[feedback].{key} must be {bound} {low:g}{upper}, got {value}")
        return float(value)

    direction = table.get("direction", defaults.direction)
    if direction not in DIRECTIONS:
        raise fail(f"[feedback].direction must be \"up\" (reward high values) or \"down\" "
                   f"(reward low values), got {direction!r}")
    min_windows = table.get("min_baseline_windows", defaults.min_baseline_windows)
    if isinstance(min_windows, bool) or not isinstance(min_windows, int) or min_windows < 1:
        raise fail("[feedback].min_baseline_windows must be a positive integer, got "
                   f"{min_windows!r}")
    return FeedbackSettings(
        baseline=number("baseline", low=0.0, low_inclusive=False),
        rate=number("rate", low=0.0, low_inclusive=False),
        smoothing=number("smoothing", low=0.0),
        threshold=number("threshold", low=0.0, high=1.0),
        dwell=number("dwell", low=0.0),
        direction=direction,
        max_amplitude=number("max_amplitude", low=0.0, low_inclusive=False),
        flat_std=number("flat_std", low=0.0),
        min_baseline_windows=min_windows,
    )
