"""Presentation protocols: a TOML file that says what the subject sees, checked up front.

A protocol names the pipeline config it calibrates (``config = "../configs/x.toml"``,
relative to the protocol file) and the config's event labels for its cues, so that the
markers a session writes are exactly the labels ``bci train`` looks for. Every check
that can fail runs here, before the first trial: a mislabelled cue costs one line, not a
wasted twenty-minute session.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

from bci.errors import ConfigError
from bci.pipeline.config import PipelineConfig, load_config

__all__ = ["PARADIGMS", "Cue", "Protocol", "Timing", "load_protocol", "parse_protocol"]

#: Paradigms a protocol can present.
PARADIGMS: tuple[str, ...] = ("motor-imagery", "ssvep", "p300", "emg")

_TIMING_KEYS = {
    "motor-imagery": {"lead", "fixation", "cue", "rest", "tail"},
    "ssvep": {"lead", "cue", "flicker", "rest", "tail"},
    "p300": {"lead", "cue", "flash", "isi", "rest", "tail"},
    "emg": {"lead", "cue", "hold", "rest", "tail"},
}
_TIMING_DEFAULTS = {
    "motor-imagery": {"lead": 2.0, "fixation": 1.0, "cue": 4.0, "rest": (1.5, 2.5),
                      "tail": 1.0},
    "ssvep": {"lead": 2.0, "cue": 1.0, "flicker": 4.0, "rest": (1.0, 1.5), "tail": 1.0},
    "p300": {"lead": 2.0, "cue": 2.0, "flash": 0.1, "isi": 0.1, "rest": (1.0, 1.0),
             "tail": 1.0},
    "emg": {"lead": 2.0, "cue": 1.0, "hold": 1.5, "rest": (1.0, 1.5), "tail": 1.0},
}


@dataclass(frozen=True)
class Timing:
    """Durations in seconds; ``rest`` is drawn uniformly from ``(low, high)`` per trial.

    ``lead`` is the blank screen before the first trial (for the recording to settle),
    ``tail`` the blank after the last one (so the last epoch is whole in the file).
    """

    lead: float = 2.0
    tail: float = 1.0
    fixation: float = 1.0
    cue: float = 1.0
    rest: tuple[float, float] = (1.0, 1.0)
    flicker: float = 4.0
    flash: float = 0.1
    isi: float = 0.1
    hold: float = 1.5


@dataclass(frozen=True)
class Cue:
    """One class as the subject is shown it.

    Attributes
    ----------
    label : str
        The marker pushed when the class's period begins: an event label of the config.
    text : str
        What the screen shows (a word, or an arrow glyph for motor imagery).
    arrow : str
        ``"left"``, ``"right"``, ``"up"``, ``"down"`` or ``""``: an arrow is drawn.
    frequency : float
        SSVEP only: flicker frequency in Hz.
    phase : float
        SSVEP only: flicker phase in radians (joint frequency-phase coding).
    """

    label: str
    text: str = ""
    arrow: str = ""
    frequency: float = 0.0
    phase: float = 0.0


@dataclass(frozen=True)
class Protocol:
    """A parsed, checked protocol.

    Attributes
    ----------
    paradigm : str
        One of :data:`PARADIGMS`.
    origin : str
        The file it came from, for messages.
    config : PipelineConfig or None
        The pipeline it calibrates (its event labels were checked against the cues).
    config_path : Path or None
    trials : int
        Trials (motor imagery, SSVEP, EMG) or attended targets (P300).
    cues : tuple of Cue
        Classes (targets for SSVEP, gestures for EMG).
    timing : Timing
    markers : dict of str to str
        Labels of the markers that are not classes: ``fixation``, ``rest``, ``cue``
        (target shown), ``target``/``nontarget`` (P300 flashes).
    p300_mode : str
        ``"matrix"`` (row/column speller) or ``"oddball"`` (single stimulus).
    matrix : tuple of str
        Rows of the speller matrix, one character per cell.
    repetitions : int
        P300: times each row and column (or sequences of oddball stimuli) flash per target.
    oddball_stimuli, target_ratio : int, float
        Oddball: stimuli per sequence and the share of them that are targets.
    rest_label : str
        EMG: the label of the rest periods (a class of EMG configs).
    """

    paradigm: str
    origin: str
    config: PipelineConfig | None
    config_path: Path | None
    trials: int
    cues: tuple[Cue, ...]
    timing: Timing
    markers: dict[str, str] = field(default_factory=dict)
    p300_mode: str = "matrix"
    matrix: tuple[str, ...] = ()
    repetitions: int = 5
    oddball_stimuli: int = 30
    target_ratio: float = 0.2
    rest_label: str = "rest"
    text: str = ""

    @property
    def labels(self) -> list[str]:
        """Class labels in cue order."""
        return [c.label for c in self.cues]

    def with_trials(self, trials: int | None) -> Protocol:
        """This protocol with another trial count (``--trials``); None keeps it."""
        if trials is None:
            return self
        from dataclasses import replace

        return replace(self, trials=_check_trials(trials, f"{self.origin}: --trials"))

    def check_refresh(self, refresh: float) -> None:
        """Refuse flicker the display cannot show: above half its refresh rate.

        Raises
        ------
        bci.errors.ConfigError
            Naming the target, its frequency and the refresh rate.
        """
        for cue in self.cues:
            if cue.frequency > refresh / 2:
                raise ConfigError(
                    f"{self.origin}: target {cue.label!r} flickers at {cue.frequency:g} Hz,"
                    f" above half the {refresh:g} Hz refresh rate ({refresh / 2:g} Hz): "
                    "choose a lower frequency or a faster display")
        if self.paradigm == "p300" and self.timing.flash < 1.0 / refresh:
            raise ConfigError(f"{self.origin}: a {self.timing.flash * 1000:g} ms flash is "
                              f"shorter than one frame at {refresh:g} Hz: lengthen "
                              "[timing].flash")


def load_protocol(path: str | Path) -> Protocol:
    """Read and check a protocol TOML file (and the pipeline config it names).

    Raises
    ------
    bci.errors.ConfigError
        One line naming the problem: a missing file, an unknown paradigm, zero trials,
        cue labels that are not events of the config, bad timings.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such protocol file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read the protocol ({err})") from None
    return parse_protocol(text, origin=str(path), base=path.parent)


def _check_trials(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where} must be a whole number of trials, not {value!r}")
    if value < 1:
        raise ConfigError(f"{where} is {value}: give at least one trial")
    return value


def parse_protocol(text: str, *, origin: str = "<protocol>", base: Path | None = None
                   ) -> Protocol:
    """Parse and check protocol TOML text; ``base`` resolves the ``config`` path."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{origin}: not valid TOML ({err})") from None

    def fail(message: str) -> ConfigError:
        return ConfigError(f"{origin}: {message}")

    paradigm = doc.get("paradigm")
    if paradigm not in PARADIGMS:
        raise fail(f"unknown paradigm {paradigm!r}: choose one of {', '.join(PARADIGMS)}")
    known = {"paradigm", "config", "trials", "name", "timing", "cues", "markers", "p300",
             "emg"}
    extra = sorted(set(doc) - known)
    if extra:
        raise fail(f"unknown key {extra[0]!r}: the keys are {', '.join(sorted(known))}")

    config, config_path = None, None
    if "config" in doc:
        if not isinstance(doc["config"], str):
            raise fail("config must be the path of a pipeline TOML file")
        config_path = Path(doc["config"])
        if base is not None and not config_path.is_absolute():
            config_path = base / config_path
        try:
            config = load_config(config_path)
        except ConfigError as err:
            raise fail(f"its config: {err}") from None

    trials = _check_trials(doc.get("trials", 20), "trials")
    timing = _parse_timing(doc.get("timing", {}), paradigm, fail)
    cues = _parse_cues(doc.get("cues"), paradigm, fail)
    markers = {"fixation": "fixation", "rest": "rest", "cue": "cue", "target": "target",
               "nontarget": "nontarget"}
    given = doc.get("markers", {})
    if not isinstance(given, dict) or any(not isinstance(v, str) or not v
                                          for v in given.values()):
        raise fail("[markers] maps event names to non-empty marker labels")
    unknown = sorted(set(given) - set(markers))
    if unknown:
        raise fail(f"[markers] has unknown event {unknown[0]!r}: the events are "
                   f"{', '.join(markers)}")
    markers.update(given)

    extra_args: dict = {}
    if paradigm == "p300":
        extra_args = _parse_p300(doc.get("p300", {}), fail)
    elif paradigm == "emg":
        emg = doc.get("emg", {})
        extra_args = {"rest_label": str(emg.get("rest_label", markers["rest"]))}
        markers["rest"] = extra_args["rest_label"]

    protocol = Protocol(paradigm=paradigm, origin=origin, config=config,
                        config_path=config_path, trials=trials, cues=cues, timing=timing,
                        markers=markers, text=text, **extra_args)
    if config is not None:
        _check_against_config(protocol, config, fail)
    return protocol


def _number(value: object, key: str, fail) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value) or value < 0:
        raise fail(f"[timing].{key} must be a number of seconds >= 0, not {value!r}")
    return float(value)


def _parse_timing(table: object, paradigm: str, fail) -> Timing:
    if not isinstance(table, dict):
        raise fail("[timing] must be a table of durations in seconds")
    allowed = _TIMING_KEYS[paradigm]
    extra = sorted(set(table) - allowed)
    if extra:
        raise fail(f"[timing].{extra[0]} is not a {paradigm} timing: use "
                   f"{', '.join(sorted(allowed))}")
    values = dict(_TIMING_DEFAULTS[paradigm])
    values.update(table)
    out: dict = {}
    for key, value in values.items():
        if key == "rest":
            pair = value if isinstance(value, list | tuple) else [value, value]
            if len(pair) != 2:
                raise fail("[timing].rest is seconds, or [low, high] seconds drawn per trial")
            low, high = (_number(v, "rest", fail) for v in pair)
            if high < low:
                raise fail(f"[timing].rest = [{low:g}, {high:g}]: the low end comes first")
            out["rest"] = (low, high)
        else:
            out[key] = _number(value, key, fail)
    for key in ("cue", "flicker", "hold", "flash"):
        if key in allowed and out.get(key, 1.0) <= 0:
            raise fail(f"[timing].{key} must be longer than 0 s")
    return Timing(**out)


def _parse_cues(items: object, paradigm: str, fail) -> tuple[Cue, ...]:
    if paradigm == "p300":
        if items is not None:
            raise fail("a p300 protocol has no [[cues]]: its labels are [markers].target "
                       "and [markers].nontarget")
        return ()
    if not isinstance(items, list) or not items:
        raise fail("give the classes as [[cues]] tables, each with a label (an event "
                   "label of the config)")
    cues = []
    for k, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("label"), str) or not \
                item["label"]:
            raise fail(f"cue {k + 1} needs a label (an event label of the config)")
        extra = sorted(set(item) - {"label", "text", "arrow", "frequency", "phase"})
        if extra:
            raise fail(f"cue {item['label']!r} has unknown key {extra[0]!r}")
        arrow = item.get("arrow", "")
        if arrow not in ("", "left", "right", "up", "down"):
            raise fail(f"cue {item['label']!r}: arrow is left, right, up or down, "
                       f"not {arrow!r}")
        frequency = item.get("frequency", 0.0)
        if paradigm == "ssvep":
            if isinstance(frequency, bool) or not isinstance(frequency, int | float) or \
                    not 0 < frequency < math.inf:
                raise fail(f"target {item['label']!r} needs a flicker frequency > 0 Hz")
        elif "frequency" in item:
            raise fail(f"cue {item['label']!r}: frequency is for ssvep targets only")
        cues.append(Cue(label=item["label"], text=str(item.get("text", item["label"])),
                        arrow=arrow, frequency=float(frequency),
                        phase=float(item.get("phase", 0.0))))
    labels = [c.label for c in cues]
    if len(set(labels)) != len(labels):
        raise fail(f"cue labels repeat ({', '.join(labels)}): give each class its own")
    return tuple(cues)


def _parse_p300(table: object, fail) -> dict:
    if not isinstance(table, dict):
        raise fail("[p300] must be a table")
    mode = table.get("mode", "matrix")
    if mode not in ("matrix", "oddball"):
        raise fail(f"[p300].mode is 'matrix' or 'oddball', not {mode!r}")
    matrix = table.get("matrix", ["ABCDEF", "GHIJKL", "MNOPQR", "STUVWX", "YZ1234",
                                  "56789_"])
    if mode == "matrix" and (not isinstance(matrix, list) or not matrix or any(
            not isinstance(r, str) or len(r) != len(matrix[0]) for r in matrix)):
        raise fail("[p300].matrix is a list of rows of equal length, one character a cell")
    repetitions = table.get("repetitions", 5)
    if isinstance(repetitions, bool) or not isinstance(repetitions, int) or repetitions < 1:
        raise fail(f"[p300].repetitions must be a whole number >= 1, not {repetitions!r}")
    stimuli = table.get("stimuli", 30)
    ratio = table.get("target_ratio", 0.2)
    if mode == "oddball":
        if isinstance(stimuli, bool) or not isinstance(stimuli, int) or stimuli < 2:
            raise fail(f"[p300].stimuli must be a whole number >= 2, not {stimuli!r}")
        if not isinstance(ratio, int | float) or not 0 < ratio < 1 or round(
                ratio * stimuli) < 1:
            raise fail(f"[p300].target_ratio must be in (0, 1) and leave at least one "
                       f"target in {stimuli} stimuli, not {ratio!r}")
    return {"p300_mode": mode, "matrix": tuple(matrix), "repetitions": repetitions,
            "oddball_stimuli": int(stimuli), "target_ratio": float(ratio)}


def _check_against_config(protocol: Protocol, config: PipelineConfig, fail) -> None:
    """Every class label the protocol will push must be an event label of the config."""
    events = {label for labels in config.events.values() for label in labels}
    if protocol.paradigm == "p300":
        needed = [protocol.markers["target"], protocol.markers["nontarget"]]
    else:
        needed = protocol.labels
    missing = [label for label in needed if label not in events]
    if missing:
        raise fail(f"cue label {missing[0]!r} is not an event label of "
                   f"{config.origin} (its events: {', '.join(sorted(events)) or 'none'}): "
                   "rename the cue or add it to the config's [epochs].events")
