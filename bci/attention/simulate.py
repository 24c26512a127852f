"""A simulated CPT responder and a simulated resting/task EEG, both seeded.

With both, ``bci assess --simulate`` runs with no person and no headset. The responder
keeps its own list of what it did (:attr:`SimulatedResponder.events`), so scoring can be
checked against an account of the responses that does not go through the scorer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from bci.attention.cpt import Stimulus

__all__ = ["FollowingEEG", "ResponderEvent", "SimulatedEEG", "SimulatedResponder"]


@dataclass(frozen=True)
class ResponderEvent:
    """What the responder did for one stimulus.

    ``kind`` is ``"hit"``, ``"omission"``, ``"commission"``, ``"correct_rejection"``;
    ``rt`` is the press delay in seconds (None when it did not press); ``anticipatory``
    lists extra presses it made less than 100 ms after the onset.
    """

    index: int
    kind: str
    rt: float | None
    anticipatory: tuple[float, ...] = ()


class SimulatedResponder:
    """Presses a key for go letters and sometimes for no-go ones.

    Parameters
    ----------
    omission_rate : float
        Probability of not pressing for a go letter.
    commission_rate : float
        Probability of pressing for a no-go letter.
    rt_mean, rt_sd : float
        Seconds: press delays are drawn from a lognormal with this mean and SD, then
        clipped to ``[0.15, max_rt]``.
    anticipatory_rate : float
        Probability, per stimulus, of an extra press 20-90 ms after the onset.
    max_rt : float
        The longest delay (keep it below the shortest stimulus-onset asynchrony so that
        every press belongs to its stimulus).
    seed : int
    """

    def __init__(self, omission_rate: float = 0.05, commission_rate: float = 0.2,
                 rt_mean: float = 0.42, rt_sd: float = 0.09, anticipatory_rate: float = 0.0,
                 max_rt: float = 0.9, seed: int = 0) -> None:
        self.omission_rate = omission_rate
        self.commission_rate = commission_rate
        self.rt_mean = rt_mean
        self.rt_sd = rt_sd
        self.anticipatory_rate = anticipatory_rate
        self.max_rt = max_rt
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        """Forget every response; the same seed gives the same responses again."""
        self._rng = np.random.default_rng(self.seed)
        self.events: list[ResponderEvent] = []
        sigma2 = np.log(1.0 + (self.rt_sd / self.rt_mean) ** 2)
        self._mu, self._sigma = np.log(self.rt_mean) - sigma2 / 2, np.sqrt(sigma2)

    def respond(self, stimulus: Stimulus, index: int) -> list[float]:
        """The press times (LSL) for one stimulus, and records what it did."""
        rng = self._rng
        press = rng.random() >= self.omission_rate if stimulus.go else \
            rng.random() < self.commission_rate
        rt = float(np.clip(rng.lognormal(self._mu, self._sigma), 0.15, self.max_rt))
        early = (float(rng.uniform(0.02, 0.09)),) if rng.random() < \
            self.anticipatory_rate else ()
        if stimulus.go:
            kind = "hit" if press else "omission"
        else:
            kind = "commission" if press else "correct_rejection"
        self.events.append(ResponderEvent(index, kind, rt if press else None, early))
        times = [stimulus.onset + e for e in early]
        if press:
            times.append(stimulus.onset + rt)
        return times


class SimulatedEEG:
    """Resting EEG with a set theta/beta ratio and alpha peak, generated chunk by chunk.

    Each channel is a 1/f background plus three narrow-band components: theta (6 Hz),
    beta (17 Hz) and alpha (``alpha_hz``, posterior channels). Their amplitudes are set
    so that the theta (4-8 Hz) over beta (13-21 Hz) power ratio of the frontal and
    central channels is ``theta_beta_ratio``; alpha is ``alpha_gain`` times stronger
    while :attr:`eyes_closed` is True.

    Parameters
    ----------
    ch_names : sequence of str
    sfreq : float
    theta_beta_ratio : float
    alpha_hz : float
    alpha_gain : float
        Eyes closed over eyes open alpha amplitude.
    seed : int
    """

    def __init__(self, ch_names: Sequence[str] = ("Fz", "Cz", "Pz", "O1", "Oz", "O2"),
                 sfreq: float = 250.0, theta_beta_ratio: float = 4.0,
                 alpha_hz: float = 10.0, alpha_gain: float = 4.0, seed: int = 0) -> None:
        self.ch_names = tuple(ch_names)
        self.sfreq = float(sfreq)
        self.theta_beta_ratio = theta_beta_ratio
        self.alpha_hz = alpha_hz
        self.alpha_gain = alpha_gain
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        """Back to sample 0, eyes open."""
        self._rng = np.random.default_rng(self.seed)
        self.n = 0
        self.eyes_closed = False
        n_ch = len(self.ch_names)
        self._phase = self._rng.uniform(0, 2 * np.pi, (3, n_ch))
        self._pink_state = np.zeros((n_ch, 1))
        posterior = np.array([c[0].upper() in "OP" for c in self.ch_names])
        self._alpha_weight = np.where(posterior, 1.0, 0.3)

    def read(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The next ``n`` samples: (data volts (n_channels, n), sample times in s)."""
        n_ch = len(self.ch_names)
        t = (self.n + np.arange(n)) / self.sfreq
        # The background: a leaky integrator of white noise (1/f² above a few Hz) plus
        # white noise; much weaker than the rhythms in their bands.
        white = self._rng.standard_normal((n_ch, n))
        back, self._pink_state = lfilter([1.0], [1.0, -0.97], white, axis=-1,
                                         zi=self._pink_state)
        back = 0.4e-6 * back + 0.5e-6 * self._rng.standard_normal((n_ch, n))
        beta_amp = 4e-6
        theta_amp = beta_amp * np.sqrt(self.theta_beta_ratio)
        alpha_amp = 6e-6 * (self.alpha_gain if self.eyes_closed else 1.0)
        # Slow amplitude wobble keeps the rhythms from being pure tones.
        wobble = 1.0 + 0.2 * np.sin(2 * np.pi * 0.1 * t)
        theta = theta_amp * np.sin(2 * np.pi * 6.0 * t + self._phase[0][:, None])
        beta = beta_amp * np.sin(2 * np.pi * 17.0 * t + self._phase[1][:, None])
        alpha = alpha_amp * self._alpha_weight[:, None] * wobble * np.sin(
            2 * np.pi * self.alpha_hz * t + self._phase[2][:, None])
        self.n += n
        return back + theta + beta + alpha, t


class FollowingEEG:
    """A :class:`SimulatedEEG` that closes its eyes when the assessment says so, on LSL.

    The headset interface of :class:`bci.present.follow.FollowPlayer` (``cue``,
    ``samples_until``, ``read``, ``reset``): the player follows the assessment's marker
    stream and pushes this EEG. A cue switches the eyes at the sample of its stamp.
    """

    paradigm = "resting"
    ch_type = "eeg"

    def __init__(self, eeg: SimulatedEEG, t0: float = 0.0) -> None:
        self.responses: dict = {}
        self.eeg = eeg
        self.t0 = t0
        self.reset(t0)

    @property
    def seed(self) -> int:
        return self.eeg.seed

    @property
    def sfreq(self) -> float:
        return self.eeg.sfreq

    @property
    def ch_names(self) -> tuple[str, ...]:
        return self.eeg.ch_names

    @property
    def ch_types(self) -> list[str]:
        return ["eeg"] * len(self.eeg.ch_names)

    def reset(self, t0: float = 0.0) -> None:
        """Back to sample 0 at LSL time ``t0``, eyes open."""
        self.t0 = t0
        self.eeg.reset()
        self._held: list[np.ndarray] = []
        self._n_read = 0

    def _generated(self) -> int:
        return self.eeg.n

    def samples_until(self, now: float) -> int:
        """Samples due by LSL time ``now`` and not read yet."""
        return max(0, int(np.floor((now - self.t0) * self.sfreq)) + 1 - self._n_read)

    def cue(self, label: str, stamp: float) -> bool:
        """Eyes closed from ``assess:eyes-closed``, open again from the next screen."""
        closed = {"assess:eyes-closed": True, "assess:cpt": False,
                  "assess:end": False}.get(label)
        if closed is None:
            return False
        n = max(0, int(np.floor((stamp - self.t0) * self.sfreq)) - self._generated())
        if n:
            self._held.append(self.eeg.read(n)[0])
        self.eeg.eyes_closed = closed
        return True

    def read(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The next ``n`` samples (volts) and their LSL times."""
        held = np.concatenate(self._held, axis=1) if self._held else \
            np.zeros((len(self.ch_names), 0))
        take = held[:, :n]
        rest = held[:, n:]
        self._held = [rest] if rest.shape[1] else []
        if take.shape[1] < n:
            take = np.concatenate([take, self.eeg.read(n - take.shape[1])[0]], axis=1)
        times = self.t0 + (self._n_read + np.arange(n)) / self.sfreq
        self._n_read += n
        return take, times
