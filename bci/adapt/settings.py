"""The ``[adapt]`` table of a pipeline: what adapts to the session, and how.

.. code-block:: toml

    [adapt]
    recenter = "unsupervised"   # covariance decoders: re-centre on the session's mean
    forgetting = 0.95           # ... with this forgetting factor (1: remember every window;
                                # or: window = 40, the exact mean of the last 40 windows)
    warmup = 5                  # windows before re-centering starts (un-adapted until then)
    normalise = { window = 30.0 }   # continuous outputs: offset and gain over 30 s
    # normalise = { trials = 20 }   # ... or over the last 20 decisions
    supervised = true           # update the classifier from each labelled trial
    # supervised = { window = 40 }   # refit on the newest 40 labelled trials

Every mistake is one line naming the key and what to write instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Decoder kinds with a covariance step that ``recenter`` can follow (a test checks this
#: against the decoders the registry builds).
RECENTRABLE_KINDS = ("csp-lda", "tangent-space-lr", "mdm", "xdawn-ts-lr")

#: Trained kinds that are not a pipeline of feature steps and a classifier.
_NOT_SUPERVISABLE = ("trca",)
_KEYS = ("recenter", "forgetting", "window", "warmup", "normalise", "supervised")
_RECENTER = ("unsupervised", "none")

#: Defaults: a forgetting factor of 0.95 remembers about 20 windows; 5 windows of warm-up.
DEFAULT_FORGETTING = 0.95
DEFAULT_WARMUP = 5
#: Session-only refits (a model trained without ``supervised``) hold this many trials.
DEFAULT_SUPERVISED_WINDOW = 40
DEFAULT_MIN_PER_CLASS = 5


@dataclass(frozen=True)
class AdaptSettings:
    """A checked ``[adapt]`` table.

    Attributes
    ----------
    recenter : bool
        Unsupervised re-centering of covariances.
    forgetting : float or None
        Forgetting factor of the running mean (None with ``window``).
    window : int or None
        Or: running mean over the last ``window`` windows.
    warmup : int
        Windows before re-centering starts.
    normalise_seconds, normalise_trials : float or int or None
        Output normalisation over the last seconds, or the last decisions.
    supervised : bool
        Supervised updates from labelled trials.
    supervised_window : int or None
        Labelled trials a refit uses (the newest; calibration trials first). None: all
        of them.
    min_per_class : int
        Labelled trials of every class before the first refit.
    """

    recenter: bool = False
    forgetting: float | None = DEFAULT_FORGETTING
    window: int | None = None
    warmup: int = DEFAULT_WARMUP
    normalise_seconds: float | None = None
    normalise_trials: int | None = None
    supervised: bool = False
    supervised_window: int | None = None
    min_per_class: int = DEFAULT_MIN_PER_CLASS

    @property
    def normalise(self) -> bool:
        """Whether continuous outputs are normalised."""
        return self.normalise_seconds is not None or self.normalise_trials is not None

    def describe(self) -> dict:
        """JSON-serialisable form (for model files and reports)."""
        return {"recenter": self.recenter, "forgetting": self.forgetting,
                "window": self.window, "warmup": self.warmup,
                "normalise_seconds": self.normalise_seconds,
                "normalise_trials": self.normalise_trials, "supervised": self.supervised,
                "supervised_window": self.supervised_window,
                "min_per_class": self.min_per_class}


def _count(key: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{key} must be a whole number >= {minimum}, got {value!r}")
    return value


def check_adapt(table: Mapping[str, Any] | None, kind: str | None = None, *,
                continuous: bool | None = None) -> AdaptSettings:
    """Check an ``[adapt]`` table against the decoder it adapts.

    Parameters
    ----------
    table : mapping or None
        The ``[adapt]`` table (None: nothing adapts).
    kind : str or None
        The ``[decoder]`` kind; ``recenter`` needs a covariance decoder.
    continuous : bool or None
        Whether the decoder's output is continuous (``normalise`` needs one); looked up
        from ``kind`` in the registry when None.

    Returns
    -------
    AdaptSettings

    Raises
    ------
    ValueError
        One line naming the key and what to write instead.
    """
    if table is None:
        return AdaptSettings()
    if not isinstance(table, Mapping):
        raise ValueError("[adapt] must be a table")
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise ValueError(f"unknown key(s) {unknown} in [adapt]: valid are {list(_KEYS)}")
    recenter = table.get("recenter", "none")
    if recenter not in _RECENTER:
        raise ValueError(f"[adapt].recenter must be one of {list(_RECENTER)}, got {recenter!r}")
    recenter = recenter == "unsupervised"
    if recenter and kind is not None and kind not in RECENTRABLE_KINDS:
        raise ValueError(f"[adapt].recenter needs a decoder with a covariance stage, and "
                         f"{kind!r} has none: use one of {', '.join(RECENTRABLE_KINDS)} or "
                         "remove recenter")
    if not recenter and any(k in table for k in ("forgetting", "window", "warmup")):
        raise ValueError("[adapt] forgetting, window and warmup belong to recenter = "
                         "\"unsupervised\": add it or remove them")
    if "forgetting" in table and "window" in table:
        raise ValueError("[adapt] takes a forgetting factor or a window, not both")
    forgetting: float | None = DEFAULT_FORGETTING
    window = None
    if "window" in table:
        window, forgetting = _count("[adapt].window", table["window"], 1), None
    if "forgetting" in table:
        value = table["forgetting"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            raise ValueError(f"[adapt].forgetting must be a number in (0, 1] (0.95 remembers "
                             f"about 20 windows, 1 all of them), got {value!r}")
        forgetting = float(value)
    warmup = _count("[adapt].warmup", table.get("warmup", DEFAULT_WARMUP), 0)

    seconds = trials = None
    if "normalise" in table:
        spec = table["normalise"]
        if not isinstance(spec, Mapping) or len(spec) != 1 or not set(spec) <= {"window",
                                                                                  "trials"}:
            raise ValueError("[adapt].normalise must be { window = SECONDS } or "
                             "{ trials = N }")
        if continuous is None and kind is not None:
            from bci.decoders.registry import is_continuous

            continuous = is_continuous(kind)
        if continuous is False:
            raise ValueError(f"[adapt].normalise adapts continuous outputs, and {kind!r} "
                             "outputs classes: remove normalise")
        if "window" in spec:
            value = spec["window"]
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"[adapt].normalise.window must be a positive number of "
                                 f"seconds, got {value!r}")
            seconds = float(value)
        else:
            trials = _count("[adapt].normalise.trials", spec["trials"], 2)

    supervised_spec = table.get("supervised", False)
    supervised_window, min_per_class = None, DEFAULT_MIN_PER_CLASS
    if isinstance(supervised_spec, Mapping):
        extra = sorted(set(supervised_spec) - {"window", "min_per_class"})
        if extra:
            raise ValueError(f"unknown key(s) {extra} in [adapt].supervised: valid are "
                             "['min_per_class', 'window']")
        if "window" in supervised_spec:
            supervised_window = _count("[adapt].supervised.window",
                                       supervised_spec["window"], 2)
        min_per_class = _count("[adapt].supervised.min_per_class",
                               supervised_spec.get("min_per_class", min_per_class), 1)
        supervised = True
    elif isinstance(supervised_spec, bool):
        supervised = supervised_spec
    else:
        raise ValueError(f"[adapt].supervised must be true, false or {{ window = N }}, got "
                         f"{supervised_spec!r}")
    if supervised and kind is not None:
        from bci.decoders.registry import is_continuous, needs_training

        if not needs_training(kind) or is_continuous(kind) or kind in _NOT_SUPERVISABLE:
            raise ValueError(f"[adapt].supervised updates a trained classifier, and {kind!r} "
                             "is not one: remove supervised")
    return AdaptSettings(recenter=recenter, forgetting=forgetting if recenter else None,
                         window=window, warmup=warmup, normalise_seconds=seconds,
                         normalise_trials=trials, supervised=supervised,
                         supervised_window=supervised_window, min_per_class=min_per_class)


def check_warmup(settings: AdaptSettings, n_windows: int, session: str) -> None:
    """Refuse a warm-up longer than the session, in one line.

    Parameters
    ----------
    settings : AdaptSettings
    n_windows : int
        Windows (decisions) the session holds.
    session : str
        Its name, for the message.

    Raises
    ------
    bci.errors.ConfigError
    """
    from bci.errors import ConfigError

    if settings.recenter and settings.warmup > n_windows:
        raise ConfigError(f"[adapt].warmup is {settings.warmup} windows but {session} has only "
                          f"{n_windows}: the decoder would never adapt; lower warmup below "
                          f"{n_windows}")
