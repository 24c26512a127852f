"""A synthetic headset: EEG and EMG recordings with markers, from a documented model.

Every paradigm the toolkit decodes has a generator here, so that pipelines, replay and
the monitor can be exercised without hardware or downloads, and so that a decoder can
be checked against an effect whose size is known. The model, with its equations and
parameters, is described in ``docs/simulate.md``; the constants below are the
parameters it names.

All signals are built in the frequency domain (white noise, shaped by a spectrum, then
one inverse FFT per component) and placed on the scalp by smooth spatial kernels over
the standard 10-20 electrode positions. Only trials are looped over, never samples, so
ten minutes of 64 channels take well under two seconds.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import mne
import numpy as np
import scipy.fft

from bci.errors import ConfigError

__all__ = ["MODEL_VERSION", "PARADIGMS", "simulate", "write_simulation"]

#: Bumped whenever the signal model changes, so regenerated samples are recognisable.
MODEL_VERSION = 1

#: The paradigms :func:`simulate` knows, in the order the docs present them.
PARADIGMS: tuple[str, ...] = ("motor-imagery", "ssvep", "p300", "emg", "rest", "cursor")

_UV = 1e-6  # the model's parameters are in microvolts; MNE wants volts

# -- channel sets ------------------------------------------------------------------------

#: The 64 positions of the 10-10 cap PhysioNet's eegmmidb used (BCI2000), the pool that
#: ``n_channels`` draws from.
CAP_64: tuple[str, ...] = (
    "FC5", "FC3", "FC1", "FCz", "FC2", "FC4", "FC6",
    "C5", "C3", "C1", "Cz", "C2", "C4", "C6",
    "CP5", "CP3", "CP1", "CPz", "CP2", "CP4", "CP6",
    "Fp1", "Fpz", "Fp2", "AF7", "AF3", "AFz", "AF4", "AF8",
    "F7", "F5", "F3", "F1", "Fz", "F2", "F4", "F6", "F8",
    "FT7", "FT8", "T7", "T8", "T9", "T10", "TP7", "TP8",
    "P7", "P5", "P3", "P1", "Pz", "P2", "P4", "P6", "P8",
    "PO7", "PO3", "POz", "PO4", "PO8", "O1", "Oz", "O2", "Iz",
)


@dataclass(frozen=True)
class _Paradigm:
    """Defaults of one paradigm: what a typical headset for it records."""

    sfreq: float
    duration: float
    ch_names: tuple[str, ...]
    ch_type: str
    focus: tuple[str, ...]  # where its effect is largest: n_channels picks around these
    min_sfreq: float


_PARADIGM_DEFAULTS: dict[str, _Paradigm] = {
    "motor-imagery": _Paradigm(
        sfreq=160.0, duration=240.0, ch_type="eeg", focus=("C3", "C4"), min_sfreq=64.0,
        ch_names=("FC3", "FC1", "FCz", "FC2", "FC4", "C5", "C3", "C1", "Cz", "C2", "C4",
                  "C6", "CP3", "CP1", "CP2", "CP4")),
    "ssvep": _Paradigm(
        sfreq=256.0, duration=120.0, ch_type="eeg", focus=("Oz",), min_sfreq=64.0,
        # Kalunga et al. (2016)'s g.Mobilab+ layout, in its order.
        ch_names=("Oz", "O1", "O2", "PO3", "POz", "PO7", "PO8", "PO4")),
    "p300": _Paradigm(
        sfreq=256.0, duration=120.0, ch_type="eeg", focus=("Pz",), min_sfreq=64.0,
        # Krusienski et al. (2006)'s eight P300-speller channels.
        ch_names=("Fz", "Cz", "Pz", "Oz", "P3", "P4", "PO7", "PO8")),
    "emg": _Paradigm(
        sfreq=1000.0, duration=120.0, ch_type="emg", focus=(), min_sfreq=200.0,
        ch_names=tuple(f"EMG{k}" for k in range(1, 9))),
    "rest": _Paradigm(
        sfreq=160.0, duration=120.0, ch_type="eeg", focus=("O1", "O2"), min_sfreq=64.0,
        ch_names=("Fz", "C3", "Cz", "C4", "Pz", "O1", "Oz", "O2")),
}

# -- model parameters (see docs/simulate.md) -------------------------------------------

# Background: 1/f ("pink") spectrum above a knee at 2 Hz, flat below it, with a
# first-order high-pass at 0.5 Hz; mixed across channels by a Gaussian kernel of the
# inter-electrode distance (volume conduction).
BACKGROUND_LEVEL = 24.0  # µV²: PSD = level / (knee + f) -> 2 µV²/Hz at 10 Hz
BACKGROUND_KNEE = 2.0  # Hz
BACKGROUND_HIGHPASS = 0.5  # Hz
BACKGROUND_SPREAD = 0.035  # m, width λ of the mixing kernel
SENSOR_NOISE_PSD = 0.01  # µV²/Hz, white, independent per channel (amplifier noise)
LINE_AMPLITUDE = 2.0  # µV peak at 50 Hz, scaled per channel by U(0.5, 1.5)

# Posterior alpha: two sources under O1 and O2.
ALPHA_FREQ = 10.0  # Hz
ALPHA_WIDTH = 0.8  # Hz, standard deviation of the Gaussian spectral peak
ALPHA_RMS = 4.0  # µV at the source electrode, eyes open
ALPHA_EYES_CLOSED_GAIN = 4.0  # amplitude factor with the eyes closed (power x16)
ALPHA_SPREAD = 0.04  # m

# Sensorimotor mu and beta: two sources under C3 and C4.
MU_FREQ, MU_WIDTH, MU_RMS = 10.5, 1.0, 5.0  # Hz, Hz, µV
BETA_FREQ, BETA_WIDTH, BETA_RMS = 22.0, 2.0, 2.5  # Hz, Hz, µV
MU_SPREAD = 0.03  # m
# Power left in the rhythm during imagery of the contralateral hand, drawn per trial:
ERD_POWER_CONTRA = (0.25, 0.45)
ERD_POWER_IPSI = 0.85
ERD_ONSET = (0.3, 0.8)  # s after the cue: desynchronisation ramps in over this interval
ERD_RECOVERY = 0.5  # s after the end of the trial
MI_TASK = 4.0  # s, a T1/T2 trial (PhysioNet: 4.1 s)
MI_REST = 1.0  # s, the T0 rest before every task trial

# SSVEP: responses at the stimulus frequency and its second harmonic over Oz.
SSVEP_CLASSES: dict[str, float | None] = {"13Hz": 13.0, "17Hz": 17.0, "21Hz": 21.0,
                                          "rest": None}
SSVEP_AMPLITUDE = 2.5  # µV peak of the fundamental at Oz
SSVEP_HARMONIC = 0.4  # amplitude of the 2nd harmonic relative to the fundamental
SSVEP_LATENCY = 0.1  # s, visual pathway delay
SSVEP_RISE = 0.2  # s
SSVEP_SPREAD = 0.04  # m
SSVEP_TRIAL = 4.0  # s
SSVEP_GAP = 1.0  # s between trials (cue), not annotated
SSVEP_ALPHA = 0.5  # alpha amplitude factor while looking at a flickering target

# P300 oddball.
P300_AMPLITUDE = 5.0  # µV peak at Pz, scaled per target by U(0.6, 1.4)
P300_LATENCY = 0.3  # s, jittered per target by N(0, 25 ms)
P300_LATENCY_JITTER = 0.025  # s
P300_WIDTH = 0.07  # s, standard deviation of the Gaussian wave
P300_SPREAD = 0.06  # m
P300_SOA = (0.25, 0.35)  # s, stimulus onset asynchrony, uniform
P300_BLOCK = 6  # one target in every 6 stimuli (1:5)
P300_LEAD = 1.0  # s before the first stimulus
VEP_P1 = (1.5, 0.10, 0.02)  # µV, s, s: positive at 100 ms, to every stimulus
VEP_N1 = (-2.5, 0.17, 0.025)  # negative at 170 ms
VEP_SPREAD = 0.04  # m, around PO7 and PO8

# Resting state.
REST_BLOCK = 10.0  # s, alternating eyes_open / eyes_closed, starting open
REST_ALPHA_RISE = 0.5  # s for alpha to appear after the eyes close
REST_ALPHA_FALL = 0.3  # s for alpha to block after they open

# EMG: 8 electrodes around the forearm, channel c at angle 2πc/n.
EMG_BAND = (20.0, 450.0)  # Hz, 4th-order Butterworth magnitude
EMG_NOISE_PSD = 0.01  # µV²/Hz white floor -> 2.2 µV RMS at 1000 Hz
EMG_LINE_AMPLITUDE = 3.0  # µV peak
EMG_CROSSTALK = 0.25  # weight of each neighbouring electrode
#: gesture -> (RMS at the preferred angle in µV, preferred angle in rad, concentration κ)
EMG_GESTURES: dict[str, tuple[float, float, float]] = {
    "fist": (70.0, 0.0, 0.4),  # every muscle: nearly uniform around the arm
    "wrist_flexion": (100.0, 0.0, 2.5),  # flexors on the palmar side
    "wrist_extension": (100.0, math.pi, 2.5),  # extensors on the dorsal side
    "radial_deviation": (70.0, math.pi / 2, 2.0),
    "ulnar_deviation": (70.0, 3 * math.pi / 2, 2.0),
}
EMG_GESTURE = 1.5  # s of each gesture
EMG_REST = 1.0  # s of rest before each gesture
EMG_RAMP = 0.15  # s, onset and offset of a contraction
EMG_FORCE_VARIATION = 0.15  # relative, slow (< 2 Hz) fluctuation of force

# Independent random streams per component, so that changing one leaves the others.
_STREAMS = {"schedule": 1, "background": 2, "line": 4, "alpha": 5, "mu": 6, "trials": 7,
            "emg": 8}
# Beyond this many values (channels x samples) a simulation would need gigabytes.
_MAX_VALUES = 200_000_000


# -- public API --------------------------------------------------------------------------

def simulate(paradigm: str, *, duration: float | None = None, sfreq: float | None = None,
             seed: int = 0, ch_names: Sequence[str] | None = None,
             n_channels: int | None = None, line_freq: float | None = 50.0,
             ) -> mne.io.RawArray:
    """Simulate a recording of one BCI paradigm, with its events as annotations.

    Parameters
    ----------
    paradigm : str
        One of :data:`PARADIGMS`: ``"motor-imagery"`` (annotations ``T0`` rest, ``T1``
        left hand, ``T2`` right hand, as in PhysioNet eegmmidb), ``"ssvep"`` (``13Hz``,
        ``17Hz``, ``21Hz``, ``rest``), ``"p300"`` (``target``, ``nontarget``, duration
        0), ``"emg"`` (``rest``, ``fist``, ``wrist_flexion``, ``wrist_extension``,
        ``radial_deviation``, ``ulnar_deviation``) or ``"rest"`` (``eyes_open``,
        ``eyes_closed``).
    duration : float | None
        Seconds of signal. Default: 240 s for motor imagery, 120 s otherwise.
    sfreq : float | None
        Sampling rate in Hz. Default: 160 (motor imagery, rest), 256 (SSVEP, P300) or
        1000 (EMG). Model components above 0.45 ``sfreq`` are left out.
    seed : int
        Seed of the random generator: the same seed (and arguments) gives the same
        samples, bit for bit.
    ch_names : sequence of str | None
        Electrodes to record. For EEG, names of the standard 10-20 montage (any case);
        for EMG, any names, placed evenly around the forearm. Default: the paradigm's
        usual layout (see ``docs/simulate.md``).
    n_channels : int | None
        Instead of ``ch_names``: this many channels, the paradigm's usual layout first,
        then the nearest positions of a 64-channel 10-10 cap (EEG, at most 64), or
        ``EMG1`` ... ``EMGn`` around the forearm.
    line_freq : float | None
        Mains frequency in Hz (50 in Europe, 60 in the Americas); None for no line
        noise.

    Returns
    -------
    raw : mne.io.RawArray
        Signals in volts, channel types ``eeg`` (with the montage set) or ``emg``,
        events in ``raw.annotations``, ``meas_date`` None (so written files are
        byte-identical for the same arguments).

    Raises
    ------
    bci.errors.ConfigError
        For an unknown paradigm, a duration too short for one trial, an unusable
        sampling rate, unknown electrode names or a bad seed.
    """
    if paradigm == "cursor":  # an intracortical array: its own model, bci.datasets.cursor
        from bci.datasets.cursor import simulate_cursor

        return simulate_cursor(duration=duration, sfreq=sfreq, seed=seed,
                               n_channels=n_channels)
    spec = _paradigm(paradigm)
    duration = _check_duration(paradigm, spec.duration if duration is None else duration)
    sfreq = _check_sfreq(paradigm, spec, spec.sfreq if sfreq is None else sfreq)
    seed = _check_seed(seed)
    line_freq = _check_line_freq(line_freq)
    names = _channels(paradigm, spec, ch_names, n_channels)
    n_times = round(duration * sfreq)
    if n_times * len(names) > _MAX_VALUES:
        raise ConfigError(f"{duration:g} s of {len(names)} channels at {sfreq:g} Hz is too "
                          f"large to simulate in memory: give a shorter duration or fewer "
                          f"channels")

    ctx = _Context(paradigm=paradigm, seed=seed, sfreq=sfreq, n_times=n_times,
                   ch_names=names, line_freq=line_freq)
    if spec.ch_type == "emg":
        data, annotations = _simulate_emg(ctx)
    else:
        data, annotations = _simulate_eeg(ctx)

    info = mne.create_info(list(names), sfreq, spec.ch_type, verbose=False)
    if line_freq is not None:
        info["line_freq"] = float(line_freq)
    info["description"] = (f"bci simulate: paradigm={paradigm} seed={seed} "
                           f"model=v{MODEL_VERSION} (see docs/simulate.md)")
    raw = mne.io.RawArray(data, info, verbose=False)
    if spec.ch_type == "eeg":
        raw.set_montage(_montage(), verbose=False)
    raw.set_annotations(annotations, verbose=False)
    return raw


def write_simulation(path: str | Path, paradigm: str, *, duration: float | None = None,
                     seed: int = 0, sfreq: float | None = None,
                     ch_names: Sequence[str] | None = None, n_channels: int | None = None,
                     line_freq: float | None = 50.0) -> Path:
    """Simulate a recording and write it as a FIF file (float32), replacing any old one.

    Parameters
    ----------
    path : str | Path
        Output file; must end in ``.fif`` (or ``.fif.gz``). Missing folders are made.
    paradigm, duration, seed, sfreq, ch_names, n_channels, line_freq
        As for :func:`simulate`.

    Returns
    -------
    path : Path
        The file written. The same arguments give the same bytes.
    """
    path = Path(path)
    if not path.name.endswith((".fif", ".fif.gz")):
        raise ConfigError(f"cannot write {str(path)!r}: simulations are FIF files, "
                          f"name the output '*.fif' (e.g. 'sim-{paradigm}_raw.fif')")
    raw = simulate(paradigm, duration=duration, sfreq=sfreq, seed=seed, ch_names=ch_names,
                   n_channels=n_channels, line_freq=line_freq)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            # 'OUT.fif' is what the user asked for; MNE's '_raw.fif' advice is noise here.
            warnings.filterwarnings("ignore", message=".*does not conform to MNE naming",
                                    category=RuntimeWarning)
            raw.save(path, fmt="single", overwrite=True, verbose=False)
    except OSError as err:
        raise ConfigError(f"cannot write {str(path)!r}: {err.strerror or err}: choose a "
                          f"writable location") from None
    return path


# -- argument checks ---------------------------------------------------------------------

def _paradigm(paradigm: object) -> _Paradigm:
    if not isinstance(paradigm, str) or paradigm not in _PARADIGM_DEFAULTS:
        raise ConfigError(f"unknown paradigm {paradigm!r}: choose one of "
                          f"{', '.join(PARADIGMS)}")
    return _PARADIGM_DEFAULTS[paradigm]


def _min_duration(paradigm: str) -> float:
    """The shortest recording that holds one trial of the paradigm."""
    return {"motor-imagery": MI_REST + MI_TASK, "ssvep": SSVEP_GAP + SSVEP_TRIAL,
            "p300": P300_LEAD + P300_SOA[1] * P300_BLOCK, "emg": EMG_REST + EMG_GESTURE,
            "rest": 1.0}[paradigm]


def _check_duration(paradigm: str, duration: float) -> float:
    try:
        duration = float(duration)
    except (TypeError, ValueError):
        raise ConfigError(f"duration must be a number of seconds, not {duration!r}") from None
    if not math.isfinite(duration):
        raise ConfigError(f"duration must be a finite number of seconds, not {duration}")
    shortest = _min_duration(paradigm)
    if duration < shortest:
        raise ConfigError(f"duration {duration:g} s is too short for a {paradigm} "
                          f"simulation: give at least {shortest:g} s")
    return duration


def _check_sfreq(paradigm: str, spec: _Paradigm, sfreq: float) -> float:
    try:
        sfreq = float(sfreq)
    except (TypeError, ValueError):
        raise ConfigError(f"sfreq must be a rate in Hz, not {sfreq!r}") from None
    if not math.isfinite(sfreq) or not spec.min_sfreq <= sfreq <= 100_000:
        raise ConfigError(f"sfreq {sfreq:g} Hz is unusable for a {paradigm} simulation: "
                          f"give {spec.min_sfreq:g} to 100000 Hz")
    return sfreq


def _check_line_freq(line_freq: float | None) -> float | None:
    if line_freq is None:
        return None
    try:
        value = float(line_freq)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"line_freq must be the mains frequency in Hz (50 or 60) or None, "
                          f"not {line_freq!r}")
    return value


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, not {seed!r}")
    return int(seed)


@lru_cache(maxsize=1)
def _montage() -> mne.channels.DigMontage:
    """The standard 10-20 montage (MNE >= 1.13 calls it 'colin27_1020')."""
    name = ("colin27_1020" if "colin27_1020" in mne.channels.get_builtin_montages()
            else "standard_1020")
    return mne.channels.make_standard_montage(name)


@lru_cache(maxsize=1)
def _positions() -> dict[str, np.ndarray]:
    """Electrode name -> 3-D position in metres (head coordinates)."""
    return {k: np.asarray(v, dtype=float)
            for k, v in _montage().get_positions()["ch_pos"].items()}


def _channels(paradigm: str, spec: _Paradigm, ch_names: Sequence[str] | None,
              n_channels: int | None) -> tuple[str, ...]:
    if ch_names is not None and n_channels is not None:
        raise ConfigError("give ch_names or n_channels, not both")
    if ch_names is not None:
        if isinstance(ch_names, str) or len(ch_names) == 0:
            raise ConfigError(f"ch_names must be a non-empty list of names, not {ch_names!r}")
        names = tuple(str(n) for n in ch_names)
        if len(set(names)) != len(names):
            raise ConfigError(f"ch_names has duplicates: {list(names)}")
        if spec.ch_type == "emg":
            return names
        canonical = {k.lower(): k for k in _positions()}
        unknown = [n for n in names if n.lower() not in canonical]
        if unknown:
            raise ConfigError(f"unknown electrode(s) {unknown} for a simulated EEG headset: "
                              f"use names of the standard 10-20 montage (e.g. C3, Cz, Oz)")
        return tuple(canonical[n.lower()] for n in names)
    if n_channels is None:
        return spec.ch_names
    if isinstance(n_channels, bool) or not isinstance(n_channels, int | np.integer):
        raise ConfigError(f"n_channels must be an integer, not {n_channels!r}")
    n_channels = int(n_channels)
    if spec.ch_type == "emg":
        if not 1 <= n_channels <= 256:
            raise ConfigError(f"n_channels must be 1-256 for EMG, not {n_channels}")
        return tuple(f"EMG{k}" for k in range(1, n_channels + 1))
    pool = spec.ch_names + tuple(c for c in CAP_64 if c not in spec.ch_names)
    if not 1 <= n_channels <= len(pool):
        raise ConfigError(f"n_channels must be 1-{len(pool)} for simulated EEG, not "
                          f"{n_channels}: for other layouts pass ch_names")
    pos = _positions()
    focus = np.array([pos[f] for f in spec.focus])

    def rank(item: tuple[int, str]) -> tuple[bool, float, int]:
        index, name = item
        distance = float(np.min(np.linalg.norm(focus - pos[name], axis=1)))
        return (name not in spec.ch_names, distance, index)

    chosen = sorted(sorted(enumerate(pool), key=rank)[:n_channels])
    return tuple(name for _, name in chosen)


# -- signal building blocks --------------------------------------------------------------

@dataclass(frozen=True)
class _Context:
    paradigm: str
    seed: int
    sfreq: float
    n_times: int
    ch_names: tuple[str, ...]
    line_freq: float | None

    def rng(self, stream: str) -> np.random.Generator:
        """An independent generator per model component, all fixed by the seed."""
        return np.random.default_rng([self.seed, _STREAMS[stream]])

    @property
    def nyquist_limit(self) -> float:
        """Components above this are left out: they would alias or sit on the edge."""
        return 0.45 * self.sfreq


def _shaped_noise(rng: np.random.Generator, n_signals: int, n_times: int, sfreq: float,
                  psd: Callable[[np.ndarray], np.ndarray], *, unit_variance: bool = False,
                  mixing: np.ndarray | None = None,
                  white_psd: float = 0.0) -> np.ndarray:
    """Gaussian noise with a given one-sided power spectral density.

    The spectrum is drawn directly: each rFFT bin gets independent Gaussian real and
    imaginary parts scaled so that the periodogram's expectation is ``psd(f)``, then one
    inverse FFT gives the signal. That is the same process as filtering white noise, at
    half the cost (no forward transform).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n_signals, n_times : int
        Shape of the result before ``mixing``.
    sfreq : float
        Sampling rate in Hz.
    psd : callable
        Frequencies (Hz) -> one-sided PSD (unit²/Hz), or a spectral shape with
        ``unit_variance``, scaled so that each signal has variance 1.
    unit_variance : bool
        Treat ``psd`` as a shape.
    mixing : ndarray, shape (n_out, n_signals) | None
        Linear spatial mixing, applied to the spectrum (the same map, one transform).
    white_psd : float
        PSD of independent white noise added to every output after mixing.
    """
    n_fft = scipy.fft.next_fast_len(n_times, real=True)
    n_bins = n_fft // 2 + 1
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sfreq)
    density = np.asarray(psd(freqs), dtype=float)
    if unit_variance:
        total = density.sum() * sfreq / n_fft
        density = density / total if total > 0 else density
    # E|X_k|^2 = psd * sfreq * n_fft / 2 makes the periodogram 2|X_k|^2/(sfreq n_fft) = psd;
    # real and imaginary parts share that variance equally.
    scale = sfreq * n_fft / 4.0
    gain = np.sqrt(density * scale)

    def draw(n: int) -> np.ndarray:
        # (n, n_bins, 2) reals viewed as (n, n_bins) complex: no copy.
        return rng.standard_normal((n, n_bins, 2)).view(np.complex128)[..., 0]

    spectrum = draw(n_signals)
    spectrum *= gain
    if mixing is not None:
        # A real matrix acts on real and imaginary parts alike: mix the float view.
        flat = spectrum.view(np.float64)
        spectrum = (mixing @ flat).view(np.complex128)
    if white_psd > 0:
        spectrum += draw(spectrum.shape[0]) * math.sqrt(white_psd * scale)
    return scipy.fft.irfft(spectrum, n=n_fft, axis=-1)[:, :n_times]


def _gaussian_peak(freq: float, width: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda f: np.exp(-0.5 * ((f - freq) / width) ** 2)


def _spatial_gain(ch_names: Sequence[str], sources: Sequence[str],
                  spread: float) -> np.ndarray:
    """Gain from sources under the named electrodes to each channel, shape (n_ch, n_src).

    A Gaussian kernel of the distance: 1 at the source electrode, falling with width
    ``spread`` metres, a stand-in for volume conduction through the skull.
    """
    pos = _positions()
    ch = np.array([pos[c] for c in ch_names])
    src = np.array([pos[s] for s in sources])
    dist = np.linalg.norm(ch[:, None, :] - src[None, :, :], axis=-1)
    return np.exp(-0.5 * (dist / spread) ** 2)


def _ramp(n: int, sfreq: float, start: float, rise: float) -> np.ndarray:
    """Raised-cosine step from 0 to 1 over ``[start, start + rise]`` s, ``n`` samples."""
    t = np.arange(n) / sfreq
    x = np.clip((t - start) / rise, 0.0, 1.0) if rise > 0 else (t >= start).astype(float)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def _window(n_times: int, sfreq: float, onset: float, stop: float, rise_start: float,
            rise: float, fall: float) -> tuple[slice, np.ndarray]:
    """A smooth 0 -> 1 -> 0 window: up over ``[onset + rise_start, + rise]``, holding to
    ``stop``, down over ``fall`` s. Returns the samples it covers and its values there.
    """
    first = min(n_times, max(0, round(onset * sfreq)))
    last = min(n_times, round((stop + fall) * sfreq))
    n = max(0, last - first)
    t0 = first / sfreq
    up = _ramp(n, sfreq, onset - t0 + rise_start, rise)
    down = 1.0 - _ramp(n, sfreq, stop - t0, fall)
    return slice(first, first + n), np.minimum(up, down)


def _annotations(events: list[tuple[int, int, str]], sfreq: float) -> mne.Annotations:
    """Annotations from (first sample, n samples, label), on exact sample times."""
    onset = [first / sfreq for first, _, _ in events]
    duration = [n / sfreq for _, n, _ in events]
    return mne.Annotations(onset, duration, [label for _, _, label in events])


def _line_noise(ctx: _Context, n_channels: int, amplitude: float) -> np.ndarray | None:
    """Mains interference (volts), or None when off or above the modelled band."""
    if ctx.line_freq is None or ctx.line_freq >= ctx.nyquist_limit:
        return None
    rng = ctx.rng("line")
    gain = amplitude * _UV * rng.uniform(0.5, 1.5, n_channels)
    # One phase for the mains, a little spread per channel (different lead impedances).
    phase = rng.uniform(0, 2 * np.pi) + rng.normal(0.0, 0.2, n_channels)
    # g sin(wt + p) = g cos(p) sin(wt) + g sin(p) cos(wt): two sinusoids, one matmul.
    wt = 2 * np.pi * ctx.line_freq * np.arange(ctx.n_times) / ctx.sfreq
    weights = np.column_stack([gain * np.cos(phase), gain * np.sin(phase)])
    return weights @ np.vstack([np.sin(wt), np.cos(wt)])


# -- EEG ---------------------------------------------------------------------------------

def _simulate_eeg(ctx: _Context) -> tuple[np.ndarray, mne.Annotations]:
    names, sfreq, n_times = ctx.ch_names, ctx.sfreq, ctx.n_times
    n_ch = len(names)

    # Background: independent pink sources under each electrode, smeared by a smooth
    # kernel whose rows are normalised so every channel keeps the same power.
    def background(f: np.ndarray) -> np.ndarray:
        highpass = f**2 / (f**2 + BACKGROUND_HIGHPASS**2)
        return BACKGROUND_LEVEL / (BACKGROUND_KNEE + f) * highpass

    mixing = _spatial_gain(names, names, BACKGROUND_SPREAD)
    mixing /= np.linalg.norm(mixing, axis=1, keepdims=True)
    data = _shaped_noise(ctx.rng("background"), n_ch, n_times, sfreq, background,
                         mixing=mixing, white_psd=SENSOR_NOISE_PSD)

    # Posterior alpha, waxing and waning as narrow-band noise.
    alpha_env = np.ones(n_times)
    events = _schedule(ctx)
    for first, n, label in events:
        if ctx.paradigm == "rest" and label == "eyes_closed":
            sl, w = _window(n_times, sfreq, first / sfreq, (first + n) / sfreq,
                            0.0, REST_ALPHA_RISE, REST_ALPHA_FALL)
            alpha_env[sl] += (ALPHA_EYES_CLOSED_GAIN - 1.0) * w
        elif ctx.paradigm == "ssvep" and SSVEP_CLASSES.get(label) is not None:
            # Attending a flickering target blocks part of the posterior alpha.
            sl, w = _window(n_times, sfreq, first / sfreq, (first + n) / sfreq,
                            0.0, REST_ALPHA_FALL, REST_ALPHA_RISE)
            alpha_env[sl] -= (1.0 - SSVEP_ALPHA) * w
    alpha = _shaped_noise(ctx.rng("alpha"), 2, n_times, sfreq,
                          _gaussian_peak(ALPHA_FREQ, ALPHA_WIDTH), unit_variance=True)
    alpha *= ALPHA_RMS * alpha_env
    data += _spatial_gain(names, ("O1", "O2"), ALPHA_SPREAD) @ alpha

    # Sensorimotor mu + beta under C3 and C4 (always there; desynchronised in imagery).
    def mu_beta(f: np.ndarray) -> np.ndarray:
        mu = _gaussian_peak(MU_FREQ, MU_WIDTH)(f) / MU_WIDTH
        beta = _gaussian_peak(BETA_FREQ, BETA_WIDTH)(f) / BETA_WIDTH
        # Each peak normalised to unit area, then weighted by its power.
        return MU_RMS**2 * mu + BETA_RMS**2 * beta * (BETA_FREQ < ctx.nyquist_limit)

    rhythm = _shaped_noise(ctx.rng("mu"), 2, n_times, sfreq, mu_beta, unit_variance=True)
    rhythm *= math.hypot(MU_RMS, BETA_RMS if BETA_FREQ < ctx.nyquist_limit else 0.0)
    trials = ctx.rng("trials")
    if ctx.paradigm == "motor-imagery":
        rhythm *= _erd_envelope(ctx, events, trials)
    data += _spatial_gain(names, ("C3", "C4"), MU_SPREAD) @ rhythm

    if ctx.paradigm == "ssvep":
        _add_ssvep(ctx, data, events, trials)
    elif ctx.paradigm == "p300":
        _add_erps(ctx, data, events, trials)

    data *= _UV
    line = _line_noise(ctx, n_ch, LINE_AMPLITUDE)
    if line is not None:
        data += line
    return data, _annotations(events, sfreq)


def _erd_envelope(ctx: _Context, events: list[tuple[int, int, str]],
                  rng: np.random.Generator) -> np.ndarray:
    """Amplitude of the C3 and C4 rhythms, shape (2, n_times): 1, dipping in imagery.

    Imagining the left hand (T1) desynchronises the right hemisphere (C4), the right
    hand (T2) the left (C3); the ipsilateral side dips a little.
    """
    envelope = np.ones((2, ctx.n_times))
    for first, n, label in events:
        if label not in ("T1", "T2"):
            continue
        contra = 1 if label == "T1" else 0  # row 0 is C3, row 1 is C4
        depth = np.sqrt([rng.uniform(*ERD_POWER_CONTRA), ERD_POWER_IPSI])
        sl, w = _window(ctx.n_times, ctx.sfreq, first / ctx.sfreq, (first + n) / ctx.sfreq,
                        ERD_ONSET[0], ERD_ONSET[1] - ERD_ONSET[0], ERD_RECOVERY)
        envelope[contra, sl] *= 1.0 - (1.0 - depth[0]) * w
        envelope[1 - contra, sl] *= 1.0 - (1.0 - depth[1]) * w
    return envelope


def _add_ssvep(ctx: _Context, data: np.ndarray, events: list[tuple[int, int, str]],
               rng: np.random.Generator) -> None:
    """Add the steady-state responses (µV) of every stimulation trial to ``data``."""
    gain = _spatial_gain(ctx.ch_names, ("Oz",), SSVEP_SPREAD)[:, 0]
    # The response phase is a property of the subject's visual system: fixed per
    # frequency and harmonic for a seed, jittered a little per trial.
    phases = {label: rng.uniform(0, 2 * np.pi, 2) for label in SSVEP_CLASSES}
    for first, n, label in events:
        freq = SSVEP_CLASSES[label]
        amplitude = rng.uniform(0.8, 1.2)
        jitter = rng.normal(0.0, 0.3, 2)
        if freq is None:
            continue
        t = np.arange(n) / ctx.sfreq - SSVEP_LATENCY
        wave = np.zeros(n)
        for k, weight in ((1, 1.0), (2, SSVEP_HARMONIC)):
            if k * freq < ctx.nyquist_limit:
                wave += weight * np.sin(2 * np.pi * k * freq * t + phases[label][k - 1]
                                        + jitter[k - 1])
        wave *= SSVEP_AMPLITUDE * amplitude * _ramp(n, ctx.sfreq, SSVEP_LATENCY, SSVEP_RISE)
        data[:, first:first + n] += gain[:, None] * wave[None, :]


def _add_erps(ctx: _Context, data: np.ndarray, events: list[tuple[int, int, str]],
              rng: np.random.Generator) -> None:
    """Add the visual evoked potential to every stimulus and the P300 to targets (µV)."""
    sfreq = ctx.sfreq
    p3_gain = _spatial_gain(ctx.ch_names, ("Pz",), P300_SPREAD)[:, 0]
    vep_gain = _spatial_gain(ctx.ch_names, ("PO7", "PO8"), VEP_SPREAD).sum(axis=1)
    n_win = round(0.8 * sfreq)  # every component is over by 800 ms
    t = np.arange(n_win) / sfreq

    def wave(amp: float, latency: float, width: float) -> np.ndarray:
        return amp * np.exp(-0.5 * ((t - latency) / width) ** 2)

    vep = wave(*VEP_P1) + wave(*VEP_N1)
    for first, _, label in events:
        amplitude = rng.uniform(0.6, 1.4)
        latency = P300_LATENCY + float(np.clip(rng.normal(0.0, P300_LATENCY_JITTER),
                                               -0.075, 0.075))
        n = min(n_win, ctx.n_times - first)
        response = vep_gain[:, None] * vep[None, :n]
        if label == "target":
            p3 = wave(P300_AMPLITUDE * amplitude, latency, P300_WIDTH)
            response = response + p3_gain[:, None] * p3[None, :n]
        data[:, first:first + n] += response


# -- EMG ---------------------------------------------------------------------------------

def _emg_patterns(n_channels: int) -> dict[str, np.ndarray]:
    """Gesture -> RMS per channel (µV): a von Mises bump around the forearm."""
    angle = 2 * np.pi * np.arange(n_channels) / n_channels
    patterns = {"rest": np.zeros(n_channels)}
    for gesture, (rms, preferred, kappa) in EMG_GESTURES.items():
        patterns[gesture] = rms * np.exp(kappa * (np.cos(angle - preferred) - 1.0))
    return patterns


def _simulate_emg(ctx: _Context) -> tuple[np.ndarray, mne.Annotations]:
    n_ch, sfreq, n_times = len(ctx.ch_names), ctx.sfreq, ctx.n_times
    rng = ctx.rng("emg")
    events = _schedule(ctx)
    patterns = _emg_patterns(n_ch)

    # Muscle activity: band-limited noise, each electrode also picking up its neighbours.
    lo, hi = EMG_BAND[0], min(EMG_BAND[1], ctx.nyquist_limit)
    order = 4
    crosstalk = None
    if n_ch > 2:
        crosstalk = (np.eye(n_ch) + EMG_CROSSTALK * (np.roll(np.eye(n_ch), 1, axis=1)
                                                     + np.roll(np.eye(n_ch), -1, axis=1)))
        crosstalk /= np.linalg.norm(crosstalk, axis=1, keepdims=True)
    activity = _shaped_noise(
        rng, n_ch, n_times, sfreq,
        lambda f: 1.0 / ((1 + (lo / np.maximum(f, 1e-9)) ** (2 * order))
                         * (1 + (f / hi) ** (2 * order))),
        unit_variance=True, mixing=crosstalk)

    # Slow force fluctuation (< 2 Hz) shared by the muscles of one contraction.
    force = _shaped_noise(rng, 1, n_times, sfreq, _gaussian_peak(0.0, 1.0),
                          unit_variance=True)[0]
    force = 1.0 + EMG_FORCE_VARIATION * np.clip(force, -2.5, 2.5)
    envelope = np.zeros((n_ch, n_times))
    for first, n, label in events:
        level = rng.uniform(0.8, 1.2)
        if label == "rest":
            continue
        sl, w = _window(n_times, sfreq, first / sfreq, (first + n) / sfreq, 0.0,
                        EMG_RAMP, EMG_RAMP)
        envelope[:, sl] += level * patterns[label][:, None] * (w * force[sl])[None, :]
    data = activity * envelope
    data += rng.standard_normal((n_ch, n_times)) * math.sqrt(EMG_NOISE_PSD * sfreq / 2)
    data *= _UV
    line = _line_noise(ctx, n_ch, EMG_LINE_AMPLITUDE)
    if line is not None:
        data += line
    return data, _annotations(events, sfreq)


# -- trial schedules ---------------------------------------------------------------------

def _schedule(ctx: _Context) -> list[tuple[int, int, str]]:
    """The paradigm's events as (first sample, n samples, label), in time order.

    Classes come in shuffled blocks holding each class once, so every stretch of the
    recording is nearly balanced: train on the first part, test on the rest.
    """
    rng = ctx.rng("schedule")
    sfreq, n_times = ctx.sfreq, ctx.n_times
    events: list[tuple[int, int, str]] = []

    def add(start: float, length: float, label: str) -> None:
        first = round(start * sfreq)
        events.append((first, min(round(length * sfreq), n_times - first), label))

    duration = n_times / sfreq
    if ctx.paradigm == "motor-imagery":
        t, block = 0.0, []
        while t + MI_REST + MI_TASK <= duration:
            if not block:
                block = list(rng.permutation(["T1", "T2"]))
            add(t, MI_REST, "T0")
            add(t + MI_REST, MI_TASK, str(block.pop()))
            t += MI_REST + MI_TASK
        if duration - t >= 0.5:  # end at rest, as PhysioNet's runs do
            add(t, min(MI_REST, duration - t), "T0")
    elif ctx.paradigm == "ssvep":
        t, block = SSVEP_GAP, []  # a cue before the first trial too
        while t + SSVEP_TRIAL <= duration:
            if not block:
                block = list(rng.permutation(list(SSVEP_CLASSES)))
            add(t, SSVEP_TRIAL, str(block.pop()))
            t += SSVEP_TRIAL + SSVEP_GAP
    elif ctx.paradigm == "emg":
        t, block = 0.0, []
        while t + EMG_REST + EMG_GESTURE <= duration:
            if not block:
                block = list(rng.permutation(list(EMG_GESTURES)))
            add(t, EMG_REST, "rest")
            add(t + EMG_REST, EMG_GESTURE, str(block.pop()))
            t += EMG_REST + EMG_GESTURE
        if duration - t >= 0.5:  # end at rest, as a session does
            add(t, duration - t, "rest")
    elif ctx.paradigm == "p300":
        t, previous = P300_LEAD, -1  # leave room for a pre-stimulus baseline
        while True:
            # One target per block of 6, never two in a row across blocks.
            target = int(rng.integers(P300_BLOCK))
            if previous == P300_BLOCK - 1 and target == 0:
                target = int(rng.integers(1, P300_BLOCK))
            previous = target
            soas = rng.uniform(*P300_SOA, P300_BLOCK)
            if t + soas.sum() > duration:
                break
            for k in range(P300_BLOCK):
                add(t, 0.0, "target" if k == target else "nontarget")
                t += soas[k]
    else:  # rest
        t, k = 0.0, 0
        while t < duration - 0.5:
            add(t, min(REST_BLOCK, duration - t), ("eyes_open", "eyes_closed")[k % 2])
            t, k = t + REST_BLOCK, k + 1
    return events
