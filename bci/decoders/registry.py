"""Build decoders by name from a pipeline's ``[decoder]`` table.

>>> from bci.decoders import make_decoder
>>> decoder = make_decoder("cca", {"frequencies": {"13Hz": 13.0, "17Hz": 17.0}},
...                        sfreq=256.0, classes=["13Hz", "17Hz"])

Every kind's parameters are checked here, so a bad config fails when it is loaded with a
one-line :class:`~bci.errors.ConfigError` naming the valid choices, not halfway through a
calibration. TOML arrays arrive as lists; they are turned into tuples before reaching the
estimators, whose constructor arguments are then stored untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.base import BaseEstimator, clone

from bci.decoders.emg import EMG_FEATURES, make_emg_lda
from bci.decoders.erp import make_xdawn_lda, make_xdawn_ts_lr
from bci.decoders.filterbank import design_filter_bank
from bci.decoders.motor_imagery import (
    FBCSP_BANDS,
    make_csp_lda,
    make_fbcsp,
    make_mdm,
    make_tangent_space_lr,
)
from bci.decoders.spectral import BandPower, BandRatio
from bci.decoders.ssvep import CCAClassifier, FBCCAClassifier, TRCAClassifier
from bci.errors import ConfigError

#: Covariance estimators pyRiemann accepts by name.
COVARIANCE_ESTIMATORS = ("corr", "cov", "hub", "lwf", "mcd", "oas", "sch", "scm", "stu", "tyl")

#: Every type a saved decoder of any kind may hold that ``skops.io`` does not trust by
#: default: pass it as ``skops.io.load(path, trusted=TRUSTED_TYPES)``. A test dumps every
#: kind, fitted, and checks that ``skops.io.get_untrusted_types`` stays within this list.
#: Types that decoders saved by an earlier bci hold and today's no longer do: still
#: trusted, so that yesterday's model files load.
LEGACY_TRUSTED_TYPES: tuple[str, ...] = (
    "pyriemann.estimation.Covariances",  # before bci.decoders.covariance (batched OAS)
)

TRUSTED_TYPES: tuple[str, ...] = (
    "bci.adapt.recenter.Recentering",
    "bci.adapt.rolling.RollingRefit",
    "bci.adapt.running_mean.RunningRiemannianMean",
    "bci.decoders.covariance.Covariances",
    "bci.decoders.emg.EMGFeatures",
    "bci.decoders.kalman.KalmanDecoder",
    "bci.decoders.motor_imagery.FilterBankCSP",
    "bci.decoders.normaliser.LinearNormaliser",
    "bci.decoders.ridge.RidgeDecoder",
    "bci.decoders.spectral.BandPower",
    "bci.decoders.spectral.BandRatio",
    "bci.decoders.ssvep.CCAClassifier",
    "bci.decoders.ssvep.FBCCAClassifier",
    "bci.decoders.ssvep.TRCAClassifier",
    "mne.decoding.transformer.Vectorizer",
    "pyriemann.classification.MDM",
    "pyriemann.estimation.XdawnCovariances",
    "pyriemann.spatialfilters.CSP",
    "pyriemann.spatialfilters.Xdawn",
    "pyriemann.tangentspace.TangentSpace",
    *LEGACY_TRUSTED_TYPES,
)


def _tuples(value: Any) -> Any:
    """TOML lists -> tuples, recursively (inside mappings too); other values unchanged."""
    if isinstance(value, list | tuple):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, Mapping):
        return {k: _tuples(v) for k, v in value.items()}
    return value


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


def _estimator(value: Any) -> str:
    if value not in COVARIANCE_ESTIMATORS:
        raise ValueError(
            f"estimator {value!r} is not a covariance estimator: choose one of "
            f"{', '.join(COVARIANCE_ESTIMATORS)}"
        )
    return value


def _match_classes(frequencies: Any, classes: Sequence[str] | None) -> None:
    """The stimulus frequencies must name exactly the classes of ``[epochs].events``."""
    if classes is None or not isinstance(frequencies, Mapping):
        return
    if set(map(str, frequencies)) != set(map(str, classes)):
        raise ValueError(
            f"frequencies name classes {sorted(map(str, frequencies))} but the events define "
            f"{sorted(map(str, classes))}: use the same class names in both"
        )


def _check_by_fitting(decoder: BaseEstimator) -> BaseEstimator:
    """Training-free decoders check their parameters in ``fit``; run it on a clone."""
    clone(decoder).fit()
    return decoder


def _band_power(p: dict, sfreq: float, classes: Sequence[str] | None) -> BaseEstimator:
    _flag("log", p["log"])
    _flag("relative", p["relative"])
    return _check_by_fitting(
        BandPower(sfreq=sfreq, bands=p["bands"], log=p["log"], relative=p["relative"])
    )


def _band_ratio(p: dict, sfreq: float, classes: Sequence[str] | None) -> BaseEstimator:
    _flag("log", p["log"])
    return _check_by_fitting(
        BandRatio(
            sfreq=sfreq, numerator=p["numerator"], denominator=p["denominator"], log=p["log"]
        )
    )


def _cca(p: dict, sfreq: float, classes: Sequence[str] | None) -> BaseEstimator:
    _positive_int("harmonics", p["harmonics"])
    _match_classes(p["frequencies"], classes)
    return _check_by_fitting(
        CCAClassifier(sfreq=sfreq, frequencies=p["frequencies"], harmonics=p["harmonics"])
    )


def _fbcca(p: dict, sfreq: float, classes: Sequence[str] | None) -> BaseEstimator:
    _positive_int("harmonics", p["harmonics"])
    _positive_int("n_bands", p["n_bands"])
    _match_classes(p["frequencies"], classes)
    return _check_by_fitting(
        FBCCAClassifier(
            sfreq=sfreq,
            frequencies=p["frequencies"],
            harmonics=p["harmonics"],
            n_bands=p["n_bands"],
        )
    )


def _trca(p: dict, sfreq: float, classes: Sequence[str] | None) -> BaseEstimator:
    _flag("ensemble", p["ensemble"])
    if p["frequencies"] is not None:
        # reuse CCA's checks of the mapping (positive, below Nyquist)
        CCAClassifier(sfreq=sfreq, frequencies=p["frequencies"], harmonics=1).fit()
        _match_classes(p["frequencies"], classes)
    return TRCAClassifier(frequencies=p["frequencies"], ensemble=p["ensemble"])


def _csp_lda(p: dict, sfreq: float, classes: Sequence[str] | None) -> BaseEstimator:
    return make_csp_lda(
        n_components=_positive_int("n_components", p["n_components"]),
        estimator=_estimator(p["estimator"]),
    )


def _fbcsp(p: dict, sfreq: float, classes: Sequence[str] | None) -> BaseEstimator:
    bands = p["bands"]
    if not isinstance(bands, tuple) or not bands:
        raise ValueError(f"bands must be a list of [low, high] pairs in Hz, got {bands!r}")
    try:
        design_filter_bank(bands, sfreq)
    except (TypeError, ValueError) as err:
        raise ValueError(f"bands: {err}") from None
    return make_fbcsp(
        sfreq=sfreq,
        bands=bands,
        n_components=_positive_int("n_components", p["n_components"]),
        estimator=_estimator(p["estimator"]),
    )


def _tangent_space_lr(p: dict, sfreq: float, classes: Sequence[str] | None) -> BaseEstimator:
    return make_tangent_space_lr(estimator=_estimator(p["estimator"]))


def _mdm(p: dict, sfreq: float, classes: Sequence[str] | None) -> BaseEstimator:
    return make_mdm(estimator=_estimator(p["estimator"]))


def _xdawn_lda(p: dict, sfreq: float, classes: Sequence[str] | None) -> BaseEstimator:
    return make_xdawn_lda(n_filters=_positive_int("n_filters", p["n_filters"]))


def _xdawn_ts_lr(p: dict, sfreq: float, classes: Sequence[str] | None) -> BaseEstimator:
    return make_xdawn_ts_lr(
        n_filters=_positive_int("n_filters", p["n_filters"]),
        estimator=_estimator(p["estimator"]),
    )


def _emg_lda(p: dict, sfreq: float, classes: Sequence[str] | None) -> BaseEstimator:
    features = p["features"]
    if isinstance(features, str):
        features = (features,)
    unknown = [f for f in features if f not in EMG_FEATURES]
    if unknown or not features:
        raise ValueError(
            f"unknown EMG features {unknown or list(features)}: choose from "
            f"{', '.join(EMG_FEATURES)}"
        )
    threshold = p["threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold < 0:
        raise ValueError(f"threshold must be a number of volts >= 0, got {threshold!r}")
    return make_emg_lda(features=tuple(features), log=_flag("log", p["log"]), threshold=threshold)


@dataclass(frozen=True)
class _Kind:
    description: str
    trained: bool
    continuous: bool
    defaults: Mapping[str, Any]
    build: Callable[[dict, float, Sequence[str] | None], BaseEstimator]


_REQUIRED = object()  # marks a parameter without a default

_KINDS: dict[str, _Kind] = {
    "band-power": _Kind(
        "power in frequency bands per channel (log10 V²); continuous, no training",
        False,
        True,
        {"bands": {"alpha": (8.0, 12.0)}, "log": True, "relative": False},
        _band_power,
    ),
    "band-ratio": _Kind(
        "ratio of the power in two bands (e.g. theta/beta); continuous, no training",
        False,
        True,
        {"numerator": (4.0, 8.0), "denominator": (13.0, 30.0), "log": False},
        _band_ratio,
    ),
    "cca": _Kind(
        "SSVEP: canonical correlation with sine/cosine references per frequency; no training",
        False,
        False,
        {"frequencies": _REQUIRED, "harmonics": 2},
        _cca,
    ),
    "fbcca": _Kind(
        "SSVEP: filter-bank CCA (Chen et al. 2015); no training",
        False,
        False,
        {"frequencies": _REQUIRED, "harmonics": 5, "n_bands": 5},
        _fbcca,
    ),
    "trca": _Kind(
        "SSVEP: ensemble task-related component analysis; needs phase-locked trials",
        True,
        False,
        {"frequencies": None, "ensemble": True},
        _trca,
    ),
    "csp-lda": _Kind(
        "motor imagery: common spatial patterns + linear discriminant analysis",
        True,
        False,
        {"n_components": 4, "estimator": "oas"},
        _csp_lda,
    ),
    "fbcsp": _Kind(
        "motor imagery: causal filter bank + CSP per band + shrinkage LDA",
        True,
        False,
        {"bands": FBCSP_BANDS, "n_components": 4, "estimator": "oas"},
        _fbcsp,
    ),
    "tangent-space-lr": _Kind(
        "motor imagery: covariances + Riemannian tangent space + logistic regression",
        True,
        False,
        {"estimator": "oas"},
        _tangent_space_lr,
    ),
    "mdm": _Kind(
        "motor imagery: minimum distance to the Riemannian class means",
        True,
        False,
        {"estimator": "oas"},
        _mdm,
    ),
    "xdawn-lda": _Kind(
        "ERP/P300: xDAWN spatial filters + shrinkage LDA on the filtered time courses",
        True,
        False,
        {"n_filters": 2},
        _xdawn_lda,
    ),
    "xdawn-ts-lr": _Kind(
        "ERP/P300: xDAWN covariances + tangent space + logistic regression",
        True,
        False,
        {"n_filters": 2, "estimator": "oas"},
        _xdawn_ts_lr,
    ),
    "emg-lda": _Kind(
        "EMG gestures: time-domain features per channel (rms, mav, wl, zc, ssc) + LDA",
        True,
        False,
        {"features": EMG_FEATURES, "log": True, "threshold": 1e-5},
        _emg_lda,
    ),
}

# -- regression decoders (continuous control: bci.decoders.ridge, kalman, normaliser) ----

def _regression_features(p: dict) -> str:
    from bci.decoders.continuous import FEATURES

    if p["features"] not in FEATURES:
        raise ValueError(f"features must be one of {', '.join(FEATURES)}, got "
                         f"{p['features']!r}")
    return p["features"]


def _ridge(p: dict, sfreq: float, classes: Sequence[str] | None) -> BaseEstimator:
    from bci.decoders.ridge import RidgeDecoder

    alphas = p["alphas"]
    if (not isinstance(alphas, tuple) or not alphas or not all(
            isinstance(a, int | float) and not isinstance(a, bool) and a > 0 for a in alphas)):
        raise ValueError(f"alphas must be a list of positive penalties, got {alphas!r}")
    return RidgeDecoder(sfreq=sfreq, features=_regression_features(p),
                        alphas=tuple(float(a) for a in alphas))


def _kalman(p: dict, sfreq: float, classes: Sequence[str] | None) -> BaseEstimator:
    from bci.decoders.kalman import KalmanDecoder

    return KalmanDecoder(sfreq=sfreq, features=_regression_features(p),
                         steady_state=_flag("steady_state", p["steady_state"]))


def _linear_normaliser(p: dict, sfreq: float, classes: Sequence[str] | None
                       ) -> BaseEstimator:
    from bci.decoders.normaliser import LinearNormaliser

    inner = p["inner"]
    if inner not in _KINDS or not _KINDS[inner].trained or _KINDS[inner].continuous:
        raise ValueError(f"inner must be a trained two-class decoder kind such as "
                         f"'csp-lda' or 'tangent-space-lr', got {inner!r}")
    estimator = _KINDS[inner].build(
        {k: _tuples(v) for k, v in _KINDS[inner].defaults.items()}, sfreq, classes)
    return LinearNormaliser(estimator=estimator,
                            buffer=_positive_int("buffer", p["buffer"]),
                            adaptive=_flag("adaptive", p["adaptive"]))


_KINDS.update({
    "ridge": _Kind(
        "continuous control: multi-output ridge regression on binned rates (or log "
        "power), regularisation chosen by cross-validation",
        True, True, {"features": "rate", "alphas": (1e-2, 1e-1, 1.0, 10.0, 1e2, 1e3, 1e4)},
        _ridge),
    "kalman": _Kind(
        "continuous control: velocity Kalman filter (Wu et al. 2006) on binned rates, "
        "steady-state gain, ReFIT refit",
        True, True, {"features": "rate", "steady_state": True}, _kalman),
    "linear-normaliser": _Kind(
        "continuous control: a two-class decoder's output, adaptive offset and gain "
        "(BCI2000's normaliser), as a 1-D velocity",
        True, True, {"inner": "csp-lda", "buffer": 200, "adaptive": True},
        _linear_normaliser),
})

#: Decoder kind -> one-line description.
DECODER_KINDS: dict[str, str] = {kind: spec.description for kind, spec in _KINDS.items()}


def _kind(kind: str) -> _Kind:
    try:
        return _KINDS[kind]
    except (KeyError, TypeError):
        raise ConfigError(
            f"unknown decoder kind {kind!r} in [decoder]: valid kinds are {', '.join(_KINDS)}"
        ) from None


def needs_training(kind: str) -> bool:
    """Whether a decoder kind learns from labelled calibration data.

    Parameters
    ----------
    kind : str
        A key of :data:`DECODER_KINDS`.

    Returns
    -------
    bool

    Raises
    ------
    bci.errors.ConfigError
        If the kind is unknown.
    """
    return _kind(kind).trained


def is_continuous(kind: str) -> bool:
    """Whether a decoder kind outputs a continuous value rather than a class.

    Continuous decoders have no ``classes_``; their ``decision_function`` (and
    ``predict``) return the value, see :mod:`bci.decoders.spectral`.

    Parameters
    ----------
    kind : str
        A key of :data:`DECODER_KINDS`.

    Returns
    -------
    bool

    Raises
    ------
    bci.errors.ConfigError
        If the kind is unknown.
    """
    return _kind(kind).continuous


def decoder_params(kind: str) -> dict[str, Any]:
    """The parameters a kind accepts, with their defaults (``...`` when required).

    Parameters
    ----------
    kind : str
        A key of :data:`DECODER_KINDS`.

    Returns
    -------
    dict
    """
    return {
        name: (... if default is _REQUIRED else default)
        for name, default in _kind(kind).defaults.items()
    }


def make_decoder(
    kind: str,
    params: Mapping[str, Any] | None,
    *,
    sfreq: float,
    classes: Sequence[str] | None,
) -> BaseEstimator:
    """Build an unfitted decoder from a ``[decoder]`` table.

    Parameters
    ----------
    kind : str
        A key of :data:`DECODER_KINDS`.
    params : mapping | None
        The table's parameters other than ``kind``; missing ones take their defaults.
    sfreq : float
        Sampling rate of the signal the decoder will see, in Hz.
    classes : list of str | None
        Class names from ``[epochs].events``, if any; SSVEP ``frequencies`` must name
        exactly these.

    Returns
    -------
    decoder : sklearn estimator
        Call ``fit(X, y)`` (``fit(X)`` or ``fit()`` for training-free kinds) before use.

    Raises
    ------
    bci.errors.ConfigError
        If the kind or a parameter is unknown, a required one is missing, or a value is
        invalid.
    """
    spec = _kind(kind)
    params = dict(params or {})
    params.pop("kind", None)  # tolerate the whole [decoder] table being passed
    unknown = sorted(set(params) - set(spec.defaults))
    if unknown:
        raise ConfigError(
            f"unknown parameter {unknown[0]!r} for decoder {kind!r}: valid parameters are "
            f"{', '.join(spec.defaults) or 'none'}"
        )
    missing = [n for n, d in spec.defaults.items() if d is _REQUIRED and n not in params]
    if missing:
        raise ConfigError(f"decoder {kind!r} needs parameter {missing[0]!r} in [decoder]")
    try:
        sfreq = float(sfreq)
    except (TypeError, ValueError):
        raise ConfigError(f"sfreq must be a number of Hz, got {sfreq!r}") from None
    if not sfreq > 0:
        raise ConfigError(f"sfreq must be positive, got {sfreq!r}")
    # _tuples also copies mappings, so no decoder shares a default dict with another
    merged = {name: _tuples(value) for name, value in {**spec.defaults, **params}.items()}
    if classes is not None and not spec.continuous and len(classes) < 2:
        raise ConfigError(
            f"decoder {kind!r} needs at least two classes in [epochs].events, got {list(classes)}"
        )
    try:
        return spec.build(merged, sfreq, None if classes is None else list(classes))
    except (TypeError, ValueError) as err:
        raise ConfigError(f"[decoder] kind = {kind!r}: {err}") from None
