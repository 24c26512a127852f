"""A simulated headset that answers cues: the signal model of ``bci simulate``, streamed.

:func:`bci.datasets.simulate.simulate` writes a whole recording around a schedule it
draws itself. :class:`CueFollowingHeadset` produces the same model sample block by
sample block, in order, and takes its schedule from outside: each cue it is told about
(a marker label and its LSL time) starts the response that belongs to it:

- motor imagery: event-related desynchronisation of the mu/beta rhythm over the hand
  area opposite the cued hand (C4 for the left hand, C3 for the right);
- SSVEP: a steady-state response at the cued target's frequency (and its 2nd harmonic);
- P300: a visual evoked potential to every flash, plus a P300 to the attended target's;
- EMG: a contraction with the cued gesture's pattern around the forearm.

The stationary background (pink EEG, alpha, mu/beta, sensor and mains noise; or muscle
noise for EMG) is drawn in blocks of a few seconds joined by a power-complementary
cross-fade, so the variance is the model's at every sample and nothing repeats. All
parameters are those of :mod:`bci.datasets.simulate` (``docs/simulate.md``).

The object is synchronous with explicit state (``reset()``): it never reads a clock,
so the same calls give the same samples, bit for bit; :func:`bci.present.follow.follow_player`
puts it behind LSL outlets.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bci.errors import ConfigError

# The module, not the function that bci.datasets re-exports under the same name.
model = importlib.import_module("bci.datasets.simulate")

__all__ = ["CueFollowingHeadset", "Response", "default_responses", "responses_for"]

#: Seconds of each independently drawn background block, and of the cross-fade.
BLOCK_SECONDS = 4.0
CROSSFADE_SECONDS = 0.5
#: Every component of an evoked response is over by then (as in bci.datasets.simulate).
_ERP_SECONDS = 0.8


@dataclass(frozen=True)
class Response:
    """What one cue label makes the simulated subject do.

    Attributes
    ----------
    kind : str
        ``"erd"`` (motor imagery of ``hand``), ``"ssvep"`` (looking at a target
        flickering at ``frequency``), ``"flash"`` (a P300 stimulus; ``target`` says
        whether it is the attended one) or ``"gesture"`` (EMG ``gesture``).
    duration : float
        Seconds the response lasts after its cue (ERD, SSVEP, gesture).
    """

    kind: str
    hand: str = ""
    frequency: float = 0.0
    target: bool = False
    gesture: str = ""
    duration: float = 0.0

    def as_dict(self) -> dict:
        """JSON-serialisable form (what a cue stream's description carries)."""
        return {k: v for k, v in self.__dict__.items() if v not in ("", 0.0, False)} | {
            "kind": self.kind}

    @classmethod
    def from_dict(cls, d: Mapping) -> Response:
        """Inverse of :meth:`as_dict`."""
        return cls(kind=str(d["kind"]), hand=str(d.get("hand", "")),
                   frequency=float(d.get("frequency", 0.0)),
                   target=bool(d.get("target", False)), gesture=str(d.get("gesture", "")),
                   duration=float(d.get("duration", 0.0)))


def default_responses(paradigm: str) -> dict[str, Response]:
    """The labels of ``bci simulate PARADIGM`` and what each one makes the subject do."""
    if paradigm == "motor-imagery":
        return {"T1": Response("erd", hand="left", duration=model.MI_TASK),
                "T2": Response("erd", hand="right", duration=model.MI_TASK)}
    if paradigm == "ssvep":
        return {label: Response("ssvep", frequency=freq, duration=model.SSVEP_TRIAL)
                for label, freq in model.SSVEP_CLASSES.items() if freq is not None}
    if paradigm == "p300":
        return {"target": Response("flash", target=True),
                "nontarget": Response("flash", target=False)}
    if paradigm == "emg":
        return {g: Response("gesture", gesture=g, duration=model.EMG_GESTURE)
                for g in model.EMG_GESTURES}
    raise ConfigError(f"unknown paradigm {paradigm!r} to simulate: choose one of "
                      "motor-imagery, ssvep, p300, emg")


def responses_for(protocol) -> dict[str, Response]:
    """The responses to a protocol's cues (see :class:`bci.present.Protocol`).

    Motor-imagery cues name their hand by ``arrow`` (or a ``left``/``right`` in their
    text); EMG cues by a gesture of the model in their label or text.
    """
    timing, out = protocol.timing, {}
    if protocol.paradigm == "p300":
        return {protocol.markers["target"]: Response("flash", target=True),
                protocol.markers["nontarget"]: Response("flash", target=False)}
    for cue in protocol.cues:
        if protocol.paradigm == "motor-imagery":
            words = f"{cue.arrow} {cue.text} {cue.label}".lower()
            hand = "left" if "left" in words else "right" if "right" in words else ""
            if hand:
                out[cue.label] = Response("erd", hand=hand, duration=timing.cue)
        elif protocol.paradigm == "ssvep":
            out[cue.label] = Response("ssvep", frequency=cue.frequency,
                                      duration=timing.flicker)
        else:
            name = next((g for g in model.EMG_GESTURES
                         if g in (cue.label, cue.text.lower().replace(" ", "_"))), "")
            if name:
                out[cue.label] = Response("gesture", gesture=name, duration=timing.hold)
    return out


class _CrossfadedNoise:
    """An endless stationary noise: independent blocks, joined by cos/sin cross-fades."""

    def __init__(self, make: Callable[[int], np.ndarray], block: int, overlap: int) -> None:
        self.make, self.block, self.overlap = make, block, overlap
        ramp = np.linspace(0.0, np.pi / 2, overlap, endpoint=False) + np.pi / (4 * overlap)
        # cos^2 + sin^2 = 1: independent blocks keep the variance through the join.
        self.fade_out, self.fade_in = np.cos(ramp), np.sin(ramp)
        self.ready: np.ndarray | None = None
        self.tail: np.ndarray | None = None

    def take(self, n: int) -> np.ndarray:
        while self.ready is None or self.ready.shape[1] < n:
            new = self.make(self.block + self.overlap)
            if self.tail is not None:
                new[:, :self.overlap] = (self.tail * self.fade_out
                                         + new[:, :self.overlap] * self.fade_in)
            self.tail = new[:, self.block:].copy()
            head = new[:, :self.block]
            self.ready = head if self.ready is None else np.concatenate(
                [self.ready, head], axis=1)
        out, self.ready = self.ready[:, :n], self.ready[:, n:]
        return out


def _smooth_window(t: np.ndarray, start: float, stop: float, rise: float,
                   fall: float) -> np.ndarray:
    """0 -> 1 over ``[start, start + rise]`` (raised cosine), 1 to ``stop``, down over
    ``fall`` s; ``t`` and the limits in seconds."""
    up = np.clip((t - start) / rise, 0.0, 1.0) if rise > 0 else (t >= start) * 1.0
    down = np.clip((t - stop) / fall, 0.0, 1.0) if fall > 0 else (t >= stop) * 1.0
    return np.minimum(0.5 - 0.5 * np.cos(np.pi * up), 0.5 + 0.5 * np.cos(np.pi * down))


@dataclass
class _Active:
    response: Response
    onset: float  # seconds on the headset's sample clock
    params: tuple


class CueFollowingHeadset:
    """Streams the simulated signal of a subject who follows the cues it is given.

    Parameters
    ----------
    paradigm : str
        ``"motor-imagery"``, ``"ssvep"``, ``"p300"`` or ``"emg"``: which channels and
        rate (as ``bci simulate``).
    responses : mapping of str to Response or None
        Label -> response; default :func:`default_responses` (the labels of
        ``bci simulate``). Other labels are ignored.
    sfreq : float or None
        Sampling rate (default the paradigm's).
    ch_names : sequence of str or None
        Electrodes (default the paradigm's layout).
    seed : int
        Same seed, same calls: same samples.
    line_freq : float or None
        Mains frequency (None: no line noise).
    t0 : float
        LSL time of sample 0.
    """

    def __init__(self, paradigm: str, *, responses: Mapping[str, Response] | None = None,
                 sfreq: float | None = None, ch_names: Sequence[str] | None = None,
                 seed: int = 0, line_freq: float | None = 50.0, t0: float = 0.0) -> None:
        if paradigm not in ("motor-imagery", "ssvep", "p300", "emg"):
            raise ConfigError(f"unknown paradigm {paradigm!r} to simulate: choose one of "
                              "motor-imagery, ssvep, p300, emg")
        self.paradigm = paradigm
        self.responses = dict(responses) if responses is not None else default_responses(
            paradigm)
        spec = model._paradigm(paradigm)
        self.sfreq = model._check_sfreq(paradigm, spec, spec.sfreq if sfreq is None
                                        else sfreq)
        self.ch_names = tuple(model._channels(paradigm, spec, ch_names, None))
        self.ch_type = spec.ch_type
        self.seed = model._check_seed(seed)
        self.line_freq = model._check_line_freq(line_freq)
        self.t0 = float(t0)
        self._nyquist = 0.45 * self.sfreq
        self.reset()

    @property
    def ch_types(self) -> list[str]:
        """MNE channel type of each channel."""
        return [self.ch_type] * len(self.ch_names)

    def reset(self, t0: float | None = None) -> None:
        """Back to sample 0 (at LSL time ``t0``, default unchanged), no cues."""
        if t0 is not None:
            self.t0 = float(t0)
        self.n_samples = 0
        self.n_cues = 0
        self._active: list[_Active] = []
        ctx = model._Context(paradigm=self.paradigm, seed=self.seed, sfreq=self.sfreq,
                             n_times=1, ch_names=self.ch_names, line_freq=self.line_freq)
        self._trials = ctx.rng("trials")
        block = round(BLOCK_SECONDS * self.sfreq)
        overlap = round(CROSSFADE_SECONDS * self.sfreq)
        sf, names = self.sfreq, self.ch_names
        if self.ch_type == "emg":
            self._emg_setup(ctx, block, overlap)
        else:
            mixing = model._spatial_gain(names, names, model.BACKGROUND_SPREAD)
            mixing /= np.linalg.norm(mixing, axis=1, keepdims=True)

            def background(f: np.ndarray) -> np.ndarray:
                hp = f**2 / (f**2 + model.BACKGROUND_HIGHPASS**2)
                return model.BACKGROUND_LEVEL / (model.BACKGROUND_KNEE + f) * hp

            def mu_beta(f: np.ndarray) -> np.ndarray:
                mu = model._gaussian_peak(model.MU_FREQ, model.MU_WIDTH)(f) / model.MU_WIDTH
                beta = (model._gaussian_peak(model.BETA_FREQ, model.BETA_WIDTH)(f)
                        / model.BETA_WIDTH)
                return (model.MU_RMS**2 * mu
                        + model.BETA_RMS**2 * beta * (model.BETA_FREQ < self._nyquist))

            rng_bg, rng_alpha, rng_mu = ctx.rng("background"), ctx.rng("alpha"), ctx.rng(
                "mu")
            self._background = _CrossfadedNoise(
                lambda n: model._shaped_noise(rng_bg, len(names), n, sf, background,
                                              mixing=mixing,
                                              white_psd=model.SENSOR_NOISE_PSD),
                block, overlap)
            alpha_shape = model._gaussian_peak(model.ALPHA_FREQ, model.ALPHA_WIDTH)
            self._alpha = _CrossfadedNoise(
                lambda n: model._shaped_noise(rng_alpha, 2, n, sf, alpha_shape,
                                              unit_variance=True), block, overlap)
            self._rhythm = _CrossfadedNoise(
                lambda n: model._shaped_noise(rng_mu, 2, n, sf, mu_beta,
                                              unit_variance=True), block, overlap)
            self._rhythm_rms = math.hypot(model.MU_RMS, model.BETA_RMS
                                          if model.BETA_FREQ < self._nyquist else 0.0)
            self._alpha_gain = model._spatial_gain(names, ("O1", "O2"), model.ALPHA_SPREAD)
            self._mu_gain = model._spatial_gain(names, ("C3", "C4"), model.MU_SPREAD)
            self._ssvep_gain = model._spatial_gain(names, ("Oz",), model.SSVEP_SPREAD)[:, 0]
            self._p3_gain = model._spatial_gain(names, ("Pz",), model.P300_SPREAD)[:, 0]
            self._vep_gain = model._spatial_gain(names, ("PO7", "PO8"),
                                                 model.VEP_SPREAD).sum(axis=1)
            # The subject's SSVEP phase: fixed per frequency and harmonic for the seed.
            self._phases: dict[float, np.ndarray] = {}
        line = ctx.rng("line")
        amplitude = model.EMG_LINE_AMPLITUDE if self.ch_type == "emg" else \
            model.LINE_AMPLITUDE
        self._line_gain = amplitude * model._UV * line.uniform(0.5, 1.5, len(names))
        self._line_phase = line.uniform(0, 2 * np.pi) + line.normal(0.0, 0.2, len(names))

    def _emg_setup(self, ctx, block: int, overlap: int) -> None:
        n_ch, sf = len(self.ch_names), self.sfreq
        rng = ctx.rng("emg")
        lo, hi, order = model.EMG_BAND[0], min(model.EMG_BAND[1], self._nyquist), 4
        crosstalk = None
        if n_ch > 2:
            eye = np.eye(n_ch)
            crosstalk = eye + model.EMG_CROSSTALK * (np.roll(eye, 1, axis=1)
                                                     + np.roll(eye, -1, axis=1))
            crosstalk /= np.linalg.norm(crosstalk, axis=1, keepdims=True)

        def band(f: np.ndarray) -> np.ndarray:
            return 1.0 / ((1 + (lo / np.maximum(f, 1e-9)) ** (2 * order))
                          * (1 + (f / hi) ** (2 * order)))

        self._activity = _CrossfadedNoise(
            lambda n: model._shaped_noise(rng, n_ch, n, sf, band, unit_variance=True,
                                          mixing=crosstalk), block, overlap)
        force_shape = model._gaussian_peak(0.0, 1.0)
        self._force = _CrossfadedNoise(
            lambda n: model._shaped_noise(rng, 1, n, sf, force_shape, unit_variance=True),
            block, overlap)
        self._white = rng
        self._patterns = model._emg_patterns(n_ch)

    # -- cues --------------------------------------------------------------------------

    def cue(self, label: str, time: float) -> bool:
        """A cue with ``label`` was shown at LSL ``time``; True if it has a response.

        A response whose start lies before samples already produced keeps its timing:
        only the part still to come is added.
        """
        response = self.responses.get(label)
        if response is None:
            return False
        onset = time - self.t0
        rng = self._trials
        if response.kind == "erd":
            depth = (math.sqrt(rng.uniform(*model.ERD_POWER_CONTRA)),
                     math.sqrt(model.ERD_POWER_IPSI))
            params: tuple = depth
        elif response.kind == "ssvep":
            if response.frequency not in self._phases:
                self._phases[response.frequency] = rng.uniform(0, 2 * np.pi, 2)
            params = (rng.uniform(0.8, 1.2), rng.normal(0.0, 0.3, 2))
        elif response.kind == "flash":
            latency = model.P300_LATENCY + float(np.clip(
                rng.normal(0.0, model.P300_LATENCY_JITTER), -0.075, 0.075))
            params = (rng.uniform(0.6, 1.4), latency)
        else:
            params = (rng.uniform(0.8, 1.2),)
        self._active.append(_Active(response, onset, params))
        self.n_cues += 1
        return True

    # -- samples -----------------------------------------------------------------------

    def samples_until(self, time: float) -> int:
        """How many new samples are due by LSL ``time``."""
        return max(0, math.floor((time - self.t0) * self.sfreq) + 1 - self.n_samples)

    def read(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The next ``n`` samples: data (n_channels, n) in volts, and their LSL times."""
        first = self.n_samples
        t = (first + np.arange(n)) / self.sfreq
        if self.ch_type == "emg":
            data = self._emg(t, n)
        else:
            data = self._eeg(t, n)
        if self.line_freq is not None and self.line_freq < self._nyquist:
            wt = 2 * np.pi * self.line_freq * t
            data += self._line_gain[:, None] * np.sin(wt[None, :] + self._line_phase[:, None])
        self.n_samples += n
        # Responses over for good are forgotten (an ERP lasts 0.8 s, others their duration
        # plus a ramp down).
        if n:
            self._active = [a for a in self._active if a.onset + self._lasts(a) > t[-1]]
        return data, self.t0 + t

    @staticmethod
    def _lasts(a: _Active) -> float:
        """Seconds after its cue that a response still adds to the signal."""
        if a.response.kind == "flash":
            return _ERP_SECONDS
        return a.response.duration + 1.0  # the longest ramp down (ERD recovery) and more

    def _eeg(self, t: np.ndarray, n: int) -> np.ndarray:
        data = self._background.take(n).copy()
        data += self._alpha_gain @ (self._alpha.take(n) * model.ALPHA_RMS)
        envelope = np.ones((2, n))
        for a in self._active:
            r = a.response
            if r.kind == "erd":
                w = _smooth_window(t, a.onset + model.ERD_ONSET[0], a.onset + r.duration,
                                   model.ERD_ONSET[1] - model.ERD_ONSET[0],
                                   model.ERD_RECOVERY)
                contra = 1 if r.hand == "left" else 0  # row 0 is C3, row 1 is C4
                envelope[contra] *= 1.0 - (1.0 - a.params[0]) * w
                envelope[1 - contra] *= 1.0 - (1.0 - a.params[1]) * w
        data += self._mu_gain @ (self._rhythm.take(n) * self._rhythm_rms * envelope)
        for a in self._active:
            r = a.response
            if r.kind == "ssvep":
                data += self._ssvep_gain[:, None] * self._ssvep_wave(a, t)[None, :]
            elif r.kind == "flash" and t[0] < a.onset + _ERP_SECONDS and t[-1] >= a.onset:
                data += self._erp(a, t)
        return data * model._UV

    def _ssvep_wave(self, a: _Active, t: np.ndarray) -> np.ndarray:
        r, (amplitude, jitter) = a.response, a.params
        tau = t - a.onset - model.SSVEP_LATENCY
        wave = np.zeros_like(t)
        phases = self._phases[r.frequency]
        for k, weight in ((1, 1.0), (2, model.SSVEP_HARMONIC)):
            if k * r.frequency < self._nyquist:
                wave += weight * np.sin(2 * np.pi * k * r.frequency * tau + phases[k - 1]
                                        + jitter[k - 1])
        w = _smooth_window(t, a.onset + model.SSVEP_LATENCY, a.onset + r.duration
                           + model.SSVEP_LATENCY, model.SSVEP_RISE, 0.1)
        return model.SSVEP_AMPLITUDE * amplitude * wave * w

    def _erp(self, a: _Active, t: np.ndarray) -> np.ndarray:
        amplitude, latency = a.params
        tau = t - a.onset

        def wave(amp: float, lat: float, width: float) -> np.ndarray:
            return amp * np.exp(-0.5 * ((tau - lat) / width) ** 2) * (tau >= 0)

        out = self._vep_gain[:, None] * (wave(*model.VEP_P1) + wave(*model.VEP_N1))[None]
        if a.response.target:
            p3 = wave(model.P300_AMPLITUDE * amplitude, latency, model.P300_WIDTH)
            out = out + self._p3_gain[:, None] * p3[None, :]
        return out

    def _emg(self, t: np.ndarray, n: int) -> np.ndarray:
        activity = self._activity.take(n)
        force = 1.0 + model.EMG_FORCE_VARIATION * np.clip(self._force.take(n)[0], -2.5, 2.5)
        envelope = np.zeros((len(self.ch_names), n))
        for a in self._active:
            r = a.response
            w = _smooth_window(t, a.onset, a.onset + r.duration, model.EMG_RAMP,
                               model.EMG_RAMP)
            envelope += a.params[0] * self._patterns[r.gesture][:, None] * (w * force)[None]
        data = activity * envelope
        data += self._white.standard_normal(data.shape) * math.sqrt(
            model.EMG_NOISE_PSD * self.sfreq / 2)
        return data * model._UV
