"""A simulated user: the velocity they intend, and the spikes their array fires for it.

The user looks at the cursor and the target and intends to move towards the target at
a speed that falls as the cursor nears it (a proportional controller with a top speed,
roughly how people home in on a target). Their array (the same
:class:`~bci.datasets.cursor.NeuralPopulation` the simulated recordings come from) fires
Poisson spikes for that *intended* velocity, whatever the cursor actually did; so the
decoder's errors move the cursor, the user sees where it went and corrects, and the loop
is closed as it is for a person.

:func:`refit_velocity` is ReFIT's intention estimate (Gilja et al. 2012): the decoded
velocity turned to point at the target, zero once the cursor is on it.
"""

from __future__ import annotations

import numpy as np

from bci.datasets.cursor import NeuralPopulation, rate_noise

#: The simulated user's controller: intended speed = GAIN x distance, capped at TOP_SPEED.
GAIN = 4.0  # 1/s
TOP_SPEED = 1.2  # workspace units per second


def intended_velocity(position: np.ndarray, target: np.ndarray, *, gain: float = GAIN,
                      top_speed: float = TOP_SPEED) -> np.ndarray:
    """What a user intends: towards the target, slower as it gets closer."""
    delta = np.asarray(target, dtype=float) - np.asarray(position, dtype=float)
    distance = float(np.linalg.norm(delta))
    if distance == 0.0:
        return np.zeros_like(delta)
    return delta / distance * min(gain * distance, top_speed)


def refit_velocity(decoded: np.ndarray, position: np.ndarray, target: np.ndarray,
                   on_target: bool) -> np.ndarray:
    """ReFIT's estimate of the intended velocity: decoded speed, towards the target."""
    if on_target:
        return np.zeros_like(np.asarray(decoded, dtype=float))
    delta = np.asarray(target, dtype=float) - np.asarray(position, dtype=float)
    distance = float(np.linalg.norm(delta))
    if distance == 0.0:
        return np.zeros_like(delta)
    return delta / distance * float(np.linalg.norm(decoded))


class SimulatedUser:
    """Spike counts of a simulated array for the velocity its user intends.

    Parameters
    ----------
    population : NeuralPopulation
        The neurons (``NeuralPopulation.draw(n, array_seed)``; the same as the
        calibration recording's for a decoder trained on it to fit).
    sfreq : float
        Samples per second of the count stream (the model's rate).
    seed : int
        Seed of the spikes and rate noise.
    t0 : float
        Seconds since the array's tuning was last measured (with drift, a session some
        minutes after calibration starts from a drifted tuning).

    Attributes
    ----------
    t : float
        Seconds of signal produced so far (plus ``t0``).
    """

    def __init__(self, population: NeuralPopulation, sfreq: float, *, seed: int = 0,
                 t0: float = 0.0) -> None:
        self.population = population
        self.sfreq = float(sfreq)
        self.seed = seed
        self.t0 = float(t0)
        self.reset()

    def reset(self) -> None:
        """Back to time ``t0`` with fresh random streams."""
        self._rng = np.random.default_rng([self.seed, 99])
        self._noise_state: np.ndarray | None = None
        self.t = self.t0

    def counts(self, velocity: np.ndarray, n_times: int) -> np.ndarray:
        """Spike counts (n_neurons, n_times) while the user intends ``velocity``."""
        t = self.t + np.arange(n_times) / self.sfreq
        rates = self.population.rates(np.repeat(np.asarray(velocity, float)[:, None],
                                                n_times, axis=1), t)
        noise, self._noise_state = rate_noise(self._rng, self.population.n_neurons, n_times,
                                              self.sfreq, self._noise_state)
        rates += noise
        np.maximum(rates, 0.0, out=rates)
        self.t += n_times / self.sfreq
        return self._rng.poisson(rates / self.sfreq).astype(np.float64)


__all__ = ["GAIN", "TOP_SPEED", "SimulatedUser", "intended_velocity", "refit_velocity"]
