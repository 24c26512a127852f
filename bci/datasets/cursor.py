"""A simulated intracortical array during centre-out cursor reaches (``--paradigm cursor``).

The model (stated in full in ``docs/simulate.md``) is the one intracortical decoders are
usually first tested on: N neurons cosine-tuned to the cursor's velocity (Georgopoulos
1986) with a baseline rate each, Poisson spiking, a slow random fluctuation of every rate,
a fraction of untuned units, and a slow drift of the preferred directions across the
session. The kinematics are centre-out reaches with minimum-jerk trajectories (Flash and
Hogan 1985). The same :class:`NeuralPopulation` fires for a simulated user in the closed
loop of :mod:`bci.cursor`, so what is decoded offline and online comes from one model.

Positions are in workspace units (the workspace is the square [-1, 1]²) and velocities in
workspace units per second. The neural channels hold spike counts per sample (MNE type
``seeg``; the values are counts, not volts).
"""

from __future__ import annotations

from dataclasses import dataclass

import mne
import numpy as np
import scipy.signal

from bci.errors import ConfigError

#: Defaults of the cursor paradigm.
CURSOR_SFREQ = 1000.0  # Hz: one sample is a 1-ms spike-count bin
CURSOR_DURATION = 120.0  # s
CURSOR_NEURONS = 96  # a Utah array
MAX_NEURONS = 1024
MIN_SFREQ = 100.0  # Hz: coarser count bins would blur a 20-ms decoding step

# Tuning (Hz, and Hz per workspace unit per second).
BASELINE_RATE = (5.0, 25.0)  # uniform, per neuron
MODULATION = (8.0, 20.0)  # uniform, per neuron: rate change for a unit velocity along
UNTUNED_FRACTION = 0.15  # of the neurons fire at their baseline whatever the movement
RATE_NOISE = 3.0  # Hz, standard deviation of each rate's slow fluctuation
RATE_NOISE_TAU = 0.3  # s, its time constant (first-order low-pass of white noise)
DRIFT = 3.0  # degrees per minute, standard deviation of each preferred direction's drift

# Centre-out reaches.
TARGET_RADIUS = 0.8  # workspace units
N_TARGETS = 8
REACH_TIME = (0.8, 1.2)  # s, uniform per movement
HOLD_TIME = (0.3, 0.6)  # s, uniform, before each movement

_STREAMS = {"tuning": 11, "reaches": 12, "noise": 13, "spikes": 14}


@dataclass(frozen=True)
class NeuralPopulation:
    """Cosine-tuned neurons: their rate for a velocity at a time.

    ``rate_i(v, t) = max(0, b_i + m_i (v · d_i(t)) + n_i(t))``, with ``d_i(t)`` the
    preferred direction at angle ``theta_i + drift_i * t`` and ``n_i`` the slow noise
    (added by the caller, see :func:`rate_noise`).

    Attributes
    ----------
    baseline : ndarray, shape (n_neurons,)
        Hz.
    modulation : ndarray, shape (n_neurons,)
        Hz per workspace unit per second (0 for untuned neurons).
    theta : ndarray, shape (n_neurons,)
        Preferred directions at t = 0, radians.
    drift : ndarray, shape (n_neurons,)
        Radians per second.
    """

    baseline: np.ndarray
    modulation: np.ndarray
    theta: np.ndarray
    drift: np.ndarray

    @classmethod
    def draw(cls, n_neurons: int, seed: int, *, drift: float = DRIFT) -> NeuralPopulation:
        """The population of one simulated array.

        Parameters
        ----------
        n_neurons : int
            1 to :data:`MAX_NEURONS`.
        seed : int
            The same seed gives the same neurons.
        drift : float
            Degrees per minute, standard deviation of the preferred directions' drift.
        """
        rng = np.random.default_rng([seed, _STREAMS["tuning"]])
        modulation = rng.uniform(*MODULATION, n_neurons)
        modulation[rng.random(n_neurons) < UNTUNED_FRACTION] = 0.0
        return cls(baseline=rng.uniform(*BASELINE_RATE, n_neurons), modulation=modulation,
                   theta=rng.uniform(0, 2 * np.pi, n_neurons),
                   drift=np.deg2rad(rng.normal(0.0, drift, n_neurons)) / 60.0)

    @property
    def n_neurons(self) -> int:
        """Number of neurons."""
        return self.baseline.size

    def rates(self, velocity: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Noise-free rates, shape (n_neurons, n_times), Hz, for velocities (2, n_times)."""
        angle = self.theta[:, None] + self.drift[:, None] * np.asarray(t)[None, :]
        along = np.cos(angle) * velocity[0] + np.sin(angle) * velocity[1]
        return self.baseline[:, None] + self.modulation[:, None] * along


def rate_noise(rng: np.random.Generator, n_neurons: int, n_times: int, sfreq: float,
               zi: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Slow rate fluctuations (Hz) and the filter state to continue them from.

    White noise through a first-order low-pass of time constant :data:`RATE_NOISE_TAU`,
    scaled to a standard deviation of :data:`RATE_NOISE` in the steady state.
    """
    a = np.exp(-1.0 / (RATE_NOISE_TAU * sfreq))
    scale = RATE_NOISE * np.sqrt(1 - a * a)
    if zi is None:  # start in the steady state, not at zero
        zi = rng.normal(0.0, RATE_NOISE, (n_neurons, 1)) * a
    noise, zf = scipy.signal.lfilter([scale], [1.0, -a], rng.normal(size=(n_neurons, n_times)),
                                     axis=-1, zi=zi)
    return noise, zf


def minimum_jerk(start: np.ndarray, stop: np.ndarray, n: int, duration: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Positions and velocities (2, n) of a minimum-jerk movement (Flash and Hogan 1985)."""
    tau = np.arange(n) / max(n, 1)
    shape = 10 * tau**3 - 15 * tau**4 + 6 * tau**5
    speed = (30 * tau**2 - 60 * tau**3 + 30 * tau**4) / duration
    delta = (stop - start)[:, None]
    return start[:, None] + delta * shape, delta * speed


def centre_out_targets(n_targets: int = N_TARGETS, radius: float = TARGET_RADIUS
                       ) -> np.ndarray:
    """Target positions (n_targets, 2) evenly around the centre, the first on +x."""
    angles = 2 * np.pi * np.arange(n_targets) / n_targets
    return radius * np.column_stack([np.cos(angles), np.sin(angles)])


def _reaches(rng: np.random.Generator, n_times: int, sfreq: float
             ) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int, str]]]:
    """Kinematics: hold, reach out, hold, return, ... and the events (start, stop, label)."""
    position = np.zeros((2, n_times))
    velocity = np.zeros((2, n_times))
    events: list[tuple[int, int, str]] = []
    targets = centre_out_targets()
    here, i, outward = np.zeros(2), 0, True
    order = rng.permutation(N_TARGETS)
    k = 0
    while i < n_times:
        hold = int(round(rng.uniform(*HOLD_TIME) * sfreq))
        position[:, i:i + hold] = here[:, None]
        i += hold
        if i >= n_times:
            break
        if outward:
            if k == len(order):
                order, k = rng.permutation(N_TARGETS), 0
            index = int(order[k])
            k += 1
            goal, label = targets[index], f"target_{index}"
        else:
            goal, label = np.zeros(2), "centre"
        duration = rng.uniform(*REACH_TIME)
        n = int(round(duration * sfreq))
        p, v = minimum_jerk(here, goal, n, duration)
        stop = min(i + n, n_times)
        position[:, i:stop], velocity[:, i:stop] = p[:, :stop - i], v[:, :stop - i]
        events.append((i, stop, label))
        i, here, outward = stop, goal, not outward
    return position, velocity, events


def simulate_cursor(*, duration: float | None = None, sfreq: float | None = None,
                    seed: int = 0, n_channels: int | None = None, drift: float = DRIFT,
                    array_seed: int = 0) -> mne.io.RawArray:
    """Simulate an intracortical array during centre-out reaches.

    Parameters
    ----------
    duration : float | None
        Seconds (default :data:`CURSOR_DURATION`).
    sfreq : float | None
        Samples per second of the spike-count channels (default 1000: 1-ms bins).
    seed : int
        The session: the same seed gives the same recording, bit for bit; a new seed
        gives new reaches, noise and spikes from the same neurons.
    n_channels : int | None
        Neurons, 1 to :data:`MAX_NEURONS` (default :data:`CURSOR_NEURONS`).
    drift : float
        Degrees per minute, standard deviation of the tuning drift (0 for none).
    array_seed : int
        The implant: which neurons (tuning, baselines) are recorded. It stays the same
        across sessions by default, as a participant's array does.

    Returns
    -------
    raw : mne.io.RawArray
        Channels ``unit001``... (type ``seeg``, spike counts per sample), then
        ``cursor_x``, ``cursor_y``, ``cursor_vx``, ``cursor_vy`` (type ``misc``);
        annotations ``target_0`` ... ``target_7`` and ``centre`` span each movement.

    Raises
    ------
    bci.errors.ConfigError
        For a neuron count outside 1..1024, a rate below 100 Hz, a duration shorter than
        one reach, or a bad seed.
    """
    duration = CURSOR_DURATION if duration is None else duration
    sfreq = CURSOR_SFREQ if sfreq is None else sfreq
    n_neurons = CURSOR_NEURONS if n_channels is None else n_channels
    if isinstance(n_neurons, bool) or not isinstance(n_neurons, int) or not (
            1 <= n_neurons <= MAX_NEURONS):
        raise ConfigError(f"the cursor paradigm simulates 1 to {MAX_NEURONS} neurons, got "
                          f"{n_neurons!r}: pass n_channels in that range")
    if not isinstance(sfreq, int | float) or not sfreq >= MIN_SFREQ:
        raise ConfigError(f"sfreq {sfreq!r} is too coarse for spike counts: give at least "
                          f"{MIN_SFREQ:g} Hz")
    if not isinstance(duration, int | float) or not duration >= 3.0:
        raise ConfigError(f"duration {duration!r} s is too short for a cursor simulation: "
                          "give at least 3 s (one reach)")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
    n_times = int(round(duration * sfreq))
    if n_times * n_neurons > 200_000_000:
        raise ConfigError(f"{duration:g} s of {n_neurons} neurons at {sfreq:g} Hz is too "
                          "large to simulate in memory: give a shorter duration")
    population = NeuralPopulation.draw(n_neurons, array_seed, drift=drift)
    position, velocity, events = _reaches(np.random.default_rng([seed, _STREAMS["reaches"]]),
                                          n_times, sfreq)
    t = np.arange(n_times) / sfreq
    rates = population.rates(velocity, t)
    rates += rate_noise(np.random.default_rng([seed, _STREAMS["noise"]]), n_neurons,
                        n_times, sfreq)[0]
    np.maximum(rates, 0.0, out=rates)
    counts = np.random.default_rng([seed, _STREAMS["spikes"]]).poisson(rates / sfreq)
    names = [f"unit{k:03d}" for k in range(1, n_neurons + 1)]
    kinematics = ["cursor_x", "cursor_y", "cursor_vx", "cursor_vy"]
    info = mne.create_info(names + kinematics, float(sfreq),
                           ["seeg"] * n_neurons + ["misc"] * 4, verbose=False)
    info["description"] = (f"bci simulate: paradigm=cursor seed={seed} array={array_seed} "
                           f"neurons={n_neurons} drift={drift:g}deg/min (see docs/simulate.md)")
    data = np.concatenate([counts.astype(np.float64), position, velocity])
    raw = mne.io.RawArray(data, info, verbose=False)
    raw.set_annotations(mne.Annotations(
        onset=[a / sfreq for a, _, _ in events], duration=[(b - a) / sfreq for a, b, _ in events],
        description=[label for _, _, label in events]), verbose=False)
    return raw


__all__ = ["CURSOR_NEURONS", "MAX_NEURONS", "NeuralPopulation", "centre_out_targets",
           "minimum_jerk", "rate_noise", "simulate_cursor"]
