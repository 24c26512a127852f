"""Pipeline configuration: a small TOML file, parsed (never evaluated) and checked.

The shape is documented in ``docs/pipeline.md``. Every mistake is reported as one
:class:`~bci.errors.ConfigError` line naming the file, the key and what to write instead.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from bci.errors import ConfigError

_SECTIONS = {"name", "description", "signal", "filters", "epochs", "online", "decoder",
             "budget", "postprocess", "feedback", "adapt", "targets", "cursor"}
_SIGNAL_KEYS = {"picks"}
_EPOCH_KEYS = {"events", "tmin", "tmax", "window", "step"}
_ONLINE_KEYS = {"mode", "window", "step"}
_BUDGET_KEYS = {"chunk", "end_to_end", "decoder"}
_CURSOR_KEYS = {"click"}
_MODES = ("markers", "sliding")

#: Limits no recording needs to exceed, so that a typo cannot ask for terabytes: seconds
#: for any window, epoch limit or step, and milliseconds for any budget.
MAX_SECONDS = 600.0
MAX_BUDGET_MS = 60_000.0
#: Bytes of TOML read at most (a pipeline config is a page).
MAX_TEXT = 1_000_000


@dataclass(frozen=True)
class PipelineConfig:
    """A parsed, checked pipeline description.

    Attributes
    ----------
    text : str
        The TOML source (stored in model files so a model says how it was made).
    origin : str
        Where it came from (a path), for messages.
    picks : str or list of str
        A channel type (``"eeg"``) or channel names; ``"all"`` keeps every channel.
    filters : list of dict
        ``[[filters]]`` tables in order.
    events : dict of str to list of str
        Class name -> marker labels (may be empty for training-free sliding pipelines).
    tmin, tmax : float or None
        Marker-locked epoch limits in seconds.
    train_window, train_step : float or None
        Training windows inside labelled segments (EMG and other continuous labels).
    mode : str
        ``"markers"`` (one decision per event, at tmax) or ``"sliding"``.
    window, step : float or None
        Sliding-window length and step in seconds.
    decoder : dict
        ``kind`` plus its parameters.
    budget : dict of str to float
        Milliseconds: ``chunk`` (filters per chunk), ``end_to_end``, ``decoder``.
    postprocess, feedback : dict or None
        Optional application tables.
    adapt : dict or None
        ``[adapt]``: what follows the session (see :mod:`bci.adapt.settings`).
    targets : dict or None
        ``[targets]`` of a regression pipeline: ``{"channels": [...]}`` (kinematics
        channels of the recording) or ``{"classes": {class: value}}`` (a value per class
        during its trials, e.g. left -1, right +1); see :mod:`bci.pipeline.regression`.
    """

    text: str
    origin: str
    picks: str | list[str] = "all"
    filters: list[dict] = field(default_factory=list)
    events: dict[str, list[str]] = field(default_factory=dict)
    tmin: float | None = None
    tmax: float | None = None
    train_window: float | None = None
    train_step: float | None = None
    mode: str = "sliding"
    window: float | None = None
    step: float | None = None
    decoder: dict = field(default_factory=dict)
    budget: dict[str, float] = field(default_factory=dict)
    postprocess: dict | None = None
    feedback: dict | None = None
    name: str = ""
    adapt: dict | None = None  # [adapt], checked by bci.adapt.settings.check_adapt
    targets: dict | None = None
    cursor: dict | None = None  # [cursor]: {"click": gesture} for bci cursor

    @property
    def classes(self) -> list[str]:
        """Class names in a fixed order (the order of ``[epochs].events``)."""
        return list(self.events)


def load_config(path: str | Path) -> PipelineConfig:
    """Read and check a pipeline TOML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read the configuration ({err})") from None
    return parse_config(text, origin=str(path))


def parse_config(text: str, *, origin: str = "<config>") -> PipelineConfig:
    """Parse and check pipeline TOML text."""
    if len(text) > MAX_TEXT:
        raise ConfigError(f"{origin}: {len(text)} characters is far more than a pipeline "
                          f"config holds (at most {MAX_TEXT}): pass the right file")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{origin}: malformed TOML ({err}): fix the syntax") from None
    except RecursionError:
        raise ConfigError(f"{origin}: the TOML nests too deeply to be a pipeline config: "
                          "fix the file") from None

    def fail(message: str) -> ConfigError:
        return ConfigError(f"{origin}: {message}")

    unknown = set(doc) - _SECTIONS
    if unknown:
        raise fail(f"unknown section(s) {sorted(unknown)}: valid are {sorted(_SECTIONS)}")

    def table(key: str, allowed: set[str] | None) -> dict:
        value = doc.get(key, {})
        if not isinstance(value, dict):
            raise fail(f"[{key}] must be a table")
        if allowed is not None and set(value) - allowed:
            raise fail(f"unknown key(s) {sorted(set(value) - allowed)} in [{key}]: "
                       f"valid are {sorted(allowed)}")
        return value

    def number(section: str, key: str, value: object, *, positive: bool = False,
               limit: float = MAX_SECONDS) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(f"[{section}].{key} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise fail(f"[{section}].{key} must be a finite number, got {value}")
        if positive and value <= 0:
            raise fail(f"[{section}].{key} must be positive, got {value}")
        if abs(value) > limit:
            raise fail(f"[{section}].{key} = {value:g} is beyond the {limit:g} that any "
                       "recording needs: check the unit (seconds; milliseconds for budgets)")
        return float(value)

    signal = table("signal", _SIGNAL_KEYS)
    picks = signal.get("picks", "all")
    if not (isinstance(picks, str) or (isinstance(picks, list)
                                       and all(isinstance(p, str) for p in picks))):
        raise fail("[signal].picks must be a channel type such as \"eeg\" or a list of "
                   "channel names")

    filters = doc.get("filters", [])
    if not isinstance(filters, list) or not all(isinstance(f, dict) for f in filters):
        raise fail("filters must be written as [[filters]] tables")
    from bci.dsp.chain import FILTER_KINDS

    for index, spec in enumerate(filters, start=1):
        kind = spec.get("kind")
        if not isinstance(kind, str) or kind not in FILTER_KINDS:
            raise fail(f"[[filters]] #{index}: kind {kind!r} is not one of "
                       f"{', '.join(FILTER_KINDS)}")
        unknown_keys = sorted(set(spec) - {"kind"} - set(FILTER_KINDS[kind]))
        if unknown_keys:
            raise fail(f"[[filters]] #{index} (kind = {kind!r}): unknown key(s) "
                       f"{unknown_keys}; valid keys are {['kind', *FILTER_KINDS[kind]]}")

    epochs = table("epochs", _EPOCH_KEYS)
    events: dict[str, list[str]] = {}
    raw_events = epochs.get("events", {})
    if not isinstance(raw_events, dict):
        raise fail("[epochs].events must map class names to marker labels, e.g. "
                   "{ left = \"T1\", right = \"T2\" }")
    for name, labels in raw_events.items():
        values = labels if isinstance(labels, list) else [labels]
        if not values or not all(isinstance(v, str | int) and not isinstance(v, bool)
                                 for v in values):
            raise fail(f"[epochs].events.{name} must be a marker label or a list of them")
        events[str(name)] = [str(v) for v in values]
    tmin = epochs.get("tmin")
    tmax = epochs.get("tmax")
    if (tmin is None) != (tmax is None):
        raise fail("[epochs] needs both tmin and tmax (seconds after the event)")
    if tmin is not None:
        tmin, tmax = number("epochs", "tmin", tmin), number("epochs", "tmax", tmax)
        if tmax <= tmin:
            raise fail(f"[epochs].tmax ({tmax}) must be greater than tmin ({tmin})")
    train_window = epochs.get("window")
    train_step = epochs.get("step")
    if train_window is not None:
        train_window = number("epochs", "window", train_window, positive=True)
        train_step = number("epochs", "step", train_step if train_step is not None
                            else train_window, positive=True)

    online = table("online", _ONLINE_KEYS)
    window = online.get("window", train_window)
    step = online.get("step", train_step)
    default_mode = "markers" if tmin is not None and window is None else "sliding"
    mode = online.get("mode", default_mode)
    if mode not in _MODES:
        raise fail(f"[online].mode must be one of {list(_MODES)}, got {mode!r}")
    if mode == "markers":
        if tmin is None:
            raise fail("[online].mode = \"markers\" needs [epochs] tmin and tmax")
        if not events:
            raise fail("[online].mode = \"markers\" needs [epochs].events")
    else:
        if window is None:
            raise fail("[online].mode = \"sliding\" needs [online].window (seconds)")
        window = number("online", "window", window, positive=True)
        step = number("online", "step", step if step is not None else 0.1, positive=True)
        if step > window:
            raise fail(f"[online].step ({step:g} s) is longer than [online].window "
                       f"({window:g} s): samples between windows would never be decoded; "
                       "make the step at most the window")

    decoder = table("decoder", None)
    if "kind" not in decoder or not isinstance(decoder["kind"], str):
        raise fail("[decoder] needs a kind, e.g. kind = \"tangent-space-lr\"")
    from bci.decoders.registry import DECODER_KINDS, decoder_params

    if decoder["kind"] not in DECODER_KINDS:
        raise fail(f"[decoder] kind {decoder['kind']!r} is unknown: valid kinds are "
                   f"{', '.join(DECODER_KINDS)}")
    accepted = decoder_params(decoder["kind"])
    unknown_params = sorted(set(decoder) - {"kind"} - set(accepted))
    if unknown_params:
        raise fail(f"[decoder] kind {decoder['kind']!r} has no parameter(s) {unknown_params}: "
                   f"valid are {sorted(accepted) or 'none'}")

    budget = {k: number("budget", k, v, positive=True, limit=MAX_BUDGET_MS)
              for k, v in table("budget", _BUDGET_KEYS).items()}

    postprocess = doc.get("postprocess")
    feedback = doc.get("feedback")
    for key, value in (("postprocess", postprocess), ("feedback", feedback)):
        if value is not None and not isinstance(value, dict):
            raise fail(f"[{key}] must be a table")

    adapt = doc.get("adapt")
    if adapt is not None:
        from bci.adapt.settings import check_adapt

        try:
            check_adapt(adapt, decoder["kind"])
        except ValueError as err:
            raise fail(str(err)) from None
    targets = None
    if "targets" in doc:  # regression targets: bci.pipeline.regression checks them
        from bci.pipeline.targets import parse_targets

        targets = parse_targets(doc["targets"], events, fail)

    cursor = None
    if "cursor" in doc:
        cursor = table("cursor", _CURSOR_KEYS)
        click = cursor.get("click")
        if click is not None:
            if not isinstance(click, str) or click not in events:
                raise fail(f"[cursor] click = {click!r} must name one of the classes of "
                           f"[epochs].events ({', '.join(events) or 'none'})")
            if postprocess is None:
                raise fail(f"[cursor] click = {click!r} is a stable gesture's onset: add a "
                           "[postprocess] table that stabilises the gestures")
            rest = postprocess.get("rest")
            if click == rest:
                raise fail(f"[cursor] click = {click!r} is the [postprocess] rest class, "
                           "which never starts: name a gesture")

    return PipelineConfig(
        text=text, origin=origin, picks=picks, filters=[dict(f) for f in filters],
        events=events, tmin=tmin, tmax=tmax, train_window=train_window,
        train_step=train_step, mode=mode, window=window, step=step, decoder=dict(decoder),
        budget=budget, postprocess=postprocess, feedback=feedback,
        name=str(doc.get("name", "")), adapt=adapt, targets=targets,
        cursor=cursor)
