"""Physical units on the wire (LSL) and in memory (SI, as in MNE).

LSL streams from amplifiers carry voltages in microvolts (the XDF meta-data convention
``<unit>microvolts</unit>``); MNE and every stage of bci work in volts. The conversion
happens once at the edges: the replay's outlet divides by the SI value of one wire unit and
the inlet multiplies by it. Offline evaluation applies the very same two functions, so that a
pseudo-online run sees the same float64 values, bit for bit, as a live one.
"""

from __future__ import annotations

import numpy as np

#: Channel types (MNE names) whose values are voltages.
VOLTAGE_TYPES = frozenset({"eeg", "emg", "eog", "ecg", "seeg", "ecog", "dbs", "bio"})

# Wire unit name -> value of one wire unit in SI. Names seen in real LSL streams.
_UNIT_IN_SI = {
    "microvolts": 1e-6,
    "microvolt": 1e-6,
    "uv": 1e-6,
    "µv": 1e-6,
    "μv": 1e-6,
    "millivolts": 1e-3,
    "millivolt": 1e-3,
    "mv": 1e-3,
    "volts": 1.0,
    "volt": 1.0,
    "v": 1.0,
    "nanovolts": 1e-9,
    "nv": 1e-9,
}


def wire_unit(ch_type: str) -> str:
    """Unit a channel of this MNE type is sent in: microvolts for voltages, else none."""
    return "microvolts" if ch_type.lower() in VOLTAGE_TYPES else ""


def si_per_wire_unit(unit: str, ch_type: str) -> float:
    """Value in SI of one unit on the wire.

    Parameters
    ----------
    unit : str
        The channel's ``<unit>`` from the stream description ('' when absent).
    ch_type : str
        The channel's type (MNE name, lower case).

    Returns
    -------
    float
        Multiply wire values by this to get SI values. A voltage channel without a unit
        is taken to be in microvolts, as nearly every EEG/EMG LSL source sends.
    """
    key = unit.strip().lower()
    if key in _UNIT_IN_SI:
        return _UNIT_IN_SI[key]
    if not key and ch_type.lower() in VOLTAGE_TYPES:
        return 1e-6
    return 1.0


def wire_scales(units: list[str] | tuple[str, ...], ch_types: list[str] | tuple[str, ...]
                ) -> np.ndarray:
    """SI value of one wire unit per channel, shape (n_channels, 1), for broadcasting."""
    return np.array(
        [si_per_wire_unit(u, t) for u, t in zip(units, ch_types, strict=True)]
    )[:, np.newaxis]


def to_wire(data: np.ndarray, scales: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
    """SI values (n_channels, n_times) -> wire values (n_times, n_channels) in ``dtype``.

    The transposed, C-contiguous result is what ``pylsl.StreamOutlet.push_chunk`` takes.
    """
    return np.ascontiguousarray((data / scales).T, dtype=dtype)


def from_wire(wire: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Wire values (n_times, n_channels) -> SI float64 (n_channels, n_times)."""
    return wire.T.astype(np.float64) * scales


def round_trip(data: np.ndarray, scales: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
    """What an inlet receives for ``data`` sent through an outlet of ``dtype``."""
    return from_wire(to_wire(data, scales, dtype), scales)
