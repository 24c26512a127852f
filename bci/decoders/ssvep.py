"""SSVEP decoders: CCA and filter-bank CCA (training-free) and TRCA (trained).

All three score each candidate class per epoch and predict the best one.
``decision_function(X)`` returns those scores, ``(n_epochs, n_classes)``, one column per
entry of ``classes_`` **even for two classes**: each column is a similarity of the epoch
to that class (a canonical correlation for CCA, a weighted sum of squared correlations
for FBCCA, a Pearson correlation with the class template for TRCA), not a margin, so
neither the binary ``(n_epochs,)`` convention of scikit-learn nor ``predict_proba``
(they are not probabilities) would be honest.

Canonical correlations are computed in closed form with numpy, batched over epochs and
classes: the references are orthonormalised once per call by QR, the data are whitened
through the eigen-decomposition of their channel covariance (which, unlike a QR of the
data, ignores the null directions of rank-deficient data such as average-referenced
EEG or a flat channel), and the first canonical correlation is the largest singular value
of the whitened cross-product. ``sklearn.cross_decomposition.CCA`` fitted in a loop gives
the same numbers about 25 times slower.

References
----------
Lin Z. et al. (2006), Frequency recognition based on canonical correlation analysis for
SSVEP-based BCIs. IEEE Trans Biomed Eng 53(12).
Chen X. et al. (2015), Filter bank canonical correlation analysis for implementing a
high-speed SSVEP-based BCI. J Neural Eng 12(4).
Nakanishi M. et al. (2018), Enhancing detection of SSVEPs for a high-speed brain speller
using task-related component analysis. IEEE Trans Biomed Eng 65(1).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from bci.decoders.base import check_epochs, check_labels
from bci.decoders.filterbank import causal_filter, design_bandpass, steady_state

# Eigenvalues of the channel covariance below this fraction of the largest are treated as
# null directions (singular values below ~3e-6 of the largest): numerical noise, not signal.
_RANK_TOL = 1e-11


def _check_frequencies(
    frequencies: Mapping[str, float] | None, sfreq: float | None, harmonics: int
) -> tuple[np.ndarray, NDArray[np.float64]]:
    """Return ``(classes, freqs)`` sorted by class name, or raise a one-line ValueError."""
    if not isinstance(frequencies, Mapping) or not frequencies:
        raise ValueError(
            "frequencies must be a non-empty mapping class -> stimulus frequency in Hz, "
            f"got {frequencies!r}"
        )
    classes = np.array(sorted(frequencies))
    try:
        freqs = np.array([float(frequencies[c]) for c in classes], dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"frequencies must be numbers in Hz, got {dict(frequencies)!r}") from None
    if not np.all(np.isfinite(freqs) & (freqs > 0)):
        raise ValueError(f"frequencies must be positive, got {dict(frequencies)!r}")
    if sfreq is not None:
        nyquist = float(sfreq) / 2.0
        top = freqs.max() * harmonics
        if top >= nyquist:
            raise ValueError(
                f"harmonic {harmonics} of {freqs.max()} Hz is {top} Hz, at or above the "
                f"Nyquist frequency {nyquist} Hz: lower harmonics or raise the sampling rate"
            )
    return classes, freqs


def _check_harmonics(harmonics: int) -> int:
    if isinstance(harmonics, bool) or int(harmonics) != harmonics or harmonics < 1:
        raise ValueError(f"harmonics must be a positive integer, got {harmonics!r}")
    return int(harmonics)


def sinusoid_references(
    freqs: NDArray[np.float64], harmonics: int, sfreq: float, n_times: int
) -> NDArray[np.float64]:
    """Orthonormal bases of the sine/cosine references, one per frequency.

    Parameters
    ----------
    freqs : ndarray, shape (n_freqs,)
        Stimulus frequencies in Hz.
    harmonics : int
        Number of harmonics (1 = the fundamental only).
    sfreq : float
        Sampling rate in Hz.
    n_times : int
        Samples per epoch.

    Returns
    -------
    basis : ndarray, shape (n_freqs, n_times, 2 * harmonics)
        Orthonormal columns spanning the centred references of each frequency.
    """
    t = np.arange(n_times) / sfreq
    h = np.arange(1, harmonics + 1)
    phase = 2.0 * np.pi * freqs[:, None, None] * h[None, None, :] * t[None, :, None]
    refs = np.concatenate([np.sin(phase), np.cos(phase)], axis=-1)
    refs -= refs.mean(axis=1, keepdims=True)
    basis, _ = np.linalg.qr(refs)
    return basis


def canonical_correlations(
    X: NDArray[np.float64], basis: NDArray[np.float64]
) -> NDArray[np.float64]:
    """First canonical correlation between each epoch and each reference basis.

    Parameters
    ----------
    X : ndarray, shape (n_epochs, n_channels, n_times)
        Epochs (not necessarily centred).
    basis : ndarray, shape (n_refs, n_times, n_components)
        Orthonormal bases of centred references (see :func:`sinusoid_references`).

    Returns
    -------
    rho : ndarray, shape (n_epochs, n_refs)
        Values in [0, 1]; 0 for an epoch without variance.
    """
    Xc = X - X.mean(axis=-1, keepdims=True)
    cov = Xc @ Xc.transpose(0, 2, 1)
    evals, evecs = np.linalg.eigh(cov)
    keep = evals > _RANK_TOL * evals[:, -1:]
    scale = np.zeros_like(evals)
    np.divide(1.0, np.sqrt(evals, where=keep, out=np.ones_like(evals)), out=scale, where=keep)
    whitener_t = (evecs * scale[:, np.newaxis, :]).transpose(0, 2, 1)  # (E, C, C)
    cross = Xc[:, np.newaxis] @ basis[np.newaxis]  # (E, K, C, n_components)
    whitened = whitener_t[:, np.newaxis] @ cross
    rho = np.linalg.svd(whitened, compute_uv=False)[..., 0]
    return np.clip(rho, 0.0, 1.0)


class CCAClassifier(ClassifierMixin, BaseEstimator):
    """SSVEP detection by canonical correlation with sine/cosine references; training-free.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    frequencies : mapping of str to float
        Class name -> stimulus frequency in Hz, e.g. ``{"13Hz": 13.0, "17Hz": 17.0}``
        (any sortable labels work as keys; a TOML config gives strings).
    harmonics : int
        Harmonics in the references (1 = the fundamental only).

    Attributes
    ----------
    classes_ : ndarray of str, shape (n_classes,)
        Class names, sorted.
    freqs_ : ndarray, shape (n_classes,)
        Stimulus frequency of each entry of ``classes_``.
    n_channels_ : int | None
        The channel count of the ``X`` given to ``fit``, or ``None`` if fitted without data.
    """

    def __init__(self, sfreq: float, frequencies: Mapping[str, float], harmonics: int = 2) -> None:
        self.sfreq = sfreq
        self.frequencies = frequencies
        self.harmonics = harmonics

    def fit(self, X: ArrayLike | None = None, y: ArrayLike | None = None) -> CCAClassifier:
        """Check the parameters; no learning happens (``y`` is ignored).

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times) | None
            Optional example epochs; when given, later input must have as many channels.
        y : array-like | None
            Ignored: the classes come from ``frequencies``.

        Returns
        -------
        self : CCAClassifier
        """
        harmonics = _check_harmonics(self.harmonics)
        self.classes_, self.freqs_ = _check_frequencies(self.frequencies, self.sfreq, harmonics)
        self.n_channels_ = None if X is None else check_epochs(X).shape[1]
        return self

    def _correlations(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        basis = sinusoid_references(self.freqs_, self.harmonics, self.sfreq, X.shape[-1])
        return canonical_correlations(X, basis)

    def decision_function(self, X: ArrayLike) -> NDArray[np.float64]:
        """Canonical correlation of each epoch with each class's references.

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times)
            Epochs in volts.

        Returns
        -------
        rho : ndarray, shape (n_epochs, n_classes)
            Columns follow ``classes_``.
        """
        check_is_fitted(self, "classes_")
        X = check_epochs(X, n_channels=self.n_channels_, min_times=2 * self.harmonics + 1)
        return self._correlations(X)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The class whose references correlate best with each epoch.

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times)
            Epochs in volts.

        Returns
        -------
        y : ndarray, shape (n_epochs,)
        """
        scores = self.decision_function(X)  # checks fitted state before classes_ is read
        return self.classes_[np.argmax(scores, axis=1)]


class FBCCAClassifier(CCAClassifier):
    """Filter-bank CCA: CCA in several causal sub-bands, combined with decaying weights.

    Sub-band ``n`` (1-based) passes ``[n * f_min - 2, h_freq]`` Hz, ``f_min`` being the
    lowest stimulus frequency, so the ``n``-th band keeps the ``n``-th and higher
    harmonics (Chen et al. 2015 use 8n-88 Hz for 8-15.8 Hz stimuli). The score of a class
    is ``sum_n (n ** -a + b) * rho_n ** 2``. Each sub-band is a causal Butterworth
    band-pass run forward over the window, as the live path would.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    frequencies : mapping of str to float
        Class name -> stimulus frequency in Hz.
    harmonics : int
        Harmonics in the references. Five by default (Chen et al.): sub-band ``n`` is
        there for the ``n``-th harmonic, so fewer harmonics than bands leaves the upper
        bands with nothing to correlate with (on the exoskeleton recordings, 2 harmonics
        with 5 bands drop one session from 0.958 to 0.833).
    n_bands : int
        Number of sub-bands.
    h_freq : float | None
        Upper edge of every sub-band in Hz; ``None`` means ``min(90, 0.8 * Nyquist)``.
    a, b : float
        Sub-band weights ``n ** -a + b`` (Chen et al.'s 1.25 and 0.25).
    order : int
        Butterworth order per edge of each sub-band.

    Attributes
    ----------
    classes_, freqs_, n_channels_
        As in :class:`CCAClassifier`.
    bands_ : ndarray, shape (n_bands, 2)
        Sub-band edges in Hz.
    weights_ : ndarray, shape (n_bands,)
        Sub-band weights.
    sos_ : ndarray, shape (n_bands, n_sections, 6)
        Sub-band filters.
    zi_ : ndarray, shape (n_bands, n_sections, 2)
        Their steady states for a unit step (see :func:`~bci.decoders.filterbank.steady_state`).
    """

    def __init__(
        self,
        sfreq: float,
        frequencies: Mapping[str, float],
        harmonics: int = 5,
        n_bands: int = 5,
        h_freq: float | None = None,
        a: float = 1.25,
        b: float = 0.25,
        order: int = 4,
    ) -> None:
        super().__init__(sfreq=sfreq, frequencies=frequencies, harmonics=harmonics)
        self.n_bands = n_bands
        self.h_freq = h_freq
        self.a = a
        self.b = b
        self.order = order

    def fit(self, X: ArrayLike | None = None, y: ArrayLike | None = None) -> FBCCAClassifier:
        """Check the parameters and design the sub-band filters (``y`` is ignored).

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times) | None
            Optional example epochs; when given, later input must have as many channels.
        y : array-like | None
            Ignored: the classes come from ``frequencies``.

        Returns
        -------
        self : FBCCAClassifier
        """
        super().fit(X, y)
        if isinstance(self.n_bands, bool) or int(self.n_bands) != self.n_bands or self.n_bands < 1:
            raise ValueError(f"n_bands must be a positive integer, got {self.n_bands!r}")
        nyquist = float(self.sfreq) / 2.0
        h_freq = min(90.0, 0.8 * nyquist) if self.h_freq is None else float(self.h_freq)
        f_min = float(self.freqs_.min())
        lows = np.array([max(n * f_min - 2.0, 1.0) for n in range(1, int(self.n_bands) + 1)])
        if lows[-1] >= h_freq:
            raise ValueError(
                f"sub-band {int(self.n_bands)} would start at {lows[-1]} Hz, above its upper "
                f"edge {h_freq} Hz: use fewer bands (n_bands) or a higher h_freq"
            )
        self.bands_ = np.column_stack([lows, np.full_like(lows, h_freq)])
        self.sos_ = np.stack(
            [design_bandpass(lo, hi, float(self.sfreq), self.order) for lo, hi in self.bands_]
        )
        self.zi_ = np.stack([steady_state(sos) for sos in self.sos_])
        n = np.arange(1, int(self.n_bands) + 1, dtype=np.float64)
        self.weights_ = n ** -float(self.a) + float(self.b)
        return self

    def _correlations(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        basis = sinusoid_references(self.freqs_, self.harmonics, self.sfreq, X.shape[-1])
        score = np.zeros((len(X), len(self.classes_)))
        for sos, zi, weight in zip(self.sos_, self.zi_, self.weights_, strict=True):
            score += weight * canonical_correlations(causal_filter(sos, X, zi), basis) ** 2
        return score

    def decision_function(self, X: ArrayLike) -> NDArray[np.float64]:
        """Weighted sum over sub-bands of squared canonical correlations, per class.

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times)
            Epochs in volts.

        Returns
        -------
        score : ndarray, shape (n_epochs, n_classes)
            Columns follow ``classes_``; between 0 and ``weights_.sum()``.
        """
        return super().decision_function(X)


class TRCAClassifier(ClassifierMixin, BaseEstimator):
    """Task-related component analysis (ensemble TRCA), trained on labelled epochs.

    For each class, TRCA finds the spatial filter that makes its training trials most
    reproducible, and keeps the class's average trial as a template. A new epoch is
    projected with the filters of all classes (the "ensemble") and scored by its Pearson
    correlation with each projected template. Epochs must have the training length.

    Parameters
    ----------
    frequencies : mapping of str to float | None
        Optional class name -> stimulus frequency in Hz. TRCA learns from the data and does
        not use the frequencies; when given, ``fit`` checks that the labels are exactly its
        classes, so a mislabelled calibration fails early.
    ensemble : bool
        Project with the filters of all classes (ensemble TRCA) rather than with each
        class's own filter.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
        Class labels, sorted.
    filters_ : ndarray, shape (n_channels, n_classes)
        One spatial filter per class (columns).
    templates_ : ndarray, shape (n_classes, n_channels, n_times)
        Average centred training trial per class.
    n_channels_, n_times_ : int
        The epoch shape seen in ``fit``.
    """

    def __init__(
        self, frequencies: Mapping[str, float] | None = None, ensemble: bool = True
    ) -> None:
        self.frequencies = frequencies
        self.ensemble = ensemble

    def fit(self, X: ArrayLike, y: ArrayLike) -> TRCAClassifier:
        """Learn one spatial filter and template per class.

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times)
            Training epochs in volts, at least two per class.
        y : array-like, shape (n_epochs,)
            Class labels.

        Returns
        -------
        self : TRCAClassifier
        """
        X = check_epochs(X, min_times=2)
        y = check_labels(y, len(X))
        classes = np.unique(y)
        if self.frequencies is not None:
            _check_frequencies(self.frequencies, None, 1)
            if set(map(str, classes)) != set(map(str, self.frequencies)):
                raise ValueError(
                    f"training labels {sorted(map(str, classes))} differ from the classes of "
                    f"frequencies {sorted(map(str, self.frequencies))}: fix the labels or the "
                    "frequencies"
                )
        if len(classes) < 2:
            raise ValueError(
                f"TRCA needs at least two classes, got {len(classes)} class: {classes.tolist()}"
            )
        Xc = X - X.mean(axis=-1, keepdims=True)
        n_channels, n_times = X.shape[1:]
        filters = np.empty((n_channels, len(classes)))
        templates = np.empty((len(classes), n_channels, n_times))
        for k, label in enumerate(classes):
            trials = Xc[y == label]
            if len(trials) < 2:
                raise ValueError(
                    f"TRCA needs at least two training epochs of class {label!r}, got "
                    f"{len(trials)}: record more trials"
                )
            total = trials.sum(axis=0)
            self_cov = np.einsum("nct,ndt->cd", trials, trials)
            # sum over pairs i != j of X_i X_j^T: the covariance between trials
            between = total @ total.T - self_cov
            # a tiny ridge keeps the problem definite for rank-deficient (re-referenced) data
            ridge = max(1e-9 * np.trace(self_cov) / n_channels, np.finfo(np.float64).tiny)
            _, vecs = scipy.linalg.eigh(between, self_cov + ridge * np.eye(n_channels))
            filters[:, k] = vecs[:, -1]
            templates[k] = trials.mean(axis=0)
        self.classes_ = classes
        self.filters_ = filters
        self.templates_ = templates
        self.n_channels_ = n_channels
        self.n_times_ = n_times
        return self

    def decision_function(self, X: ArrayLike) -> NDArray[np.float64]:
        """Correlation of each epoch with each class template, after spatial filtering.

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times)
            Epochs in volts, as long as the training epochs.

        Returns
        -------
        rho : ndarray, shape (n_epochs, n_classes)
            Pearson correlations in [-1, 1]; columns follow ``classes_``.
        """
        check_is_fitted(self, "filters_")
        X = check_epochs(X, n_channels=self.n_channels_, n_times=self.n_times_)
        if self.ensemble:
            # every class uses all filters: (E, T, K) against (K_class, T, K)
            proj = np.einsum("ect,ck->etk", X, self.filters_).reshape(len(X), -1)
            tmpl = np.einsum("jct,ck->jtk", self.templates_, self.filters_)
            return _pearson(proj[:, np.newaxis, :], tmpl.reshape(len(self.classes_), -1))
        proj = np.einsum("ect,ck->ekt", X, self.filters_)  # class k uses its own filter
        tmpl = np.einsum("kct,ck->kt", self.templates_, self.filters_)
        return _pearson(proj, tmpl)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The class whose template correlates best with each epoch.

        Parameters
        ----------
        X : array-like, shape (n_epochs, n_channels, n_times)
            Epochs in volts, as long as the training epochs.

        Returns
        -------
        y : ndarray, shape (n_epochs,)
        """
        scores = self.decision_function(X)  # checks fitted state before classes_ is read
        return self.classes_[np.argmax(scores, axis=1)]


def _pearson(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Pearson correlation along the last axis, broadcasting ``a`` (E, K|1, F) with ``b`` (K, F).

    A vector without variance correlates 0 with anything, rather than NaN.
    """
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    num = (a * b).sum(axis=-1)
    den = np.sqrt((a * a).sum(axis=-1) * (b * b).sum(axis=-1))
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)
