"""Physical units on the wire (LSL) and in memory (SI, as in MNE).

LSL streams from amplifiers carry voltages in microvolts (the XDF meta-data convention
``<unit>microvolts</unit>``); MNE and every stage of bci work in volts. The conversion
happens once at the edges: the replay's outlet divides by the SI value of one wire unit and
the inlet multiplies by it. Offline evaluation applies the very same two functions, so that a
pseudo-online run sees the same float64 values, bit for bit, as a live one.
"""

from __future__ import annotations

import numpy as np

from bci.units import VOLTAGE_TYPES, is_voltage, volts_per_unit

__all__ = ["VOLTAGE_TYPES", "from_wire", "round_trip", "si_per_wire_unit", "to_wire",
           "wire_scales", "wire_unit"]


def wire_unit(ch_type: str) -> str:
    """Unit a channel of this MNE type is sent in: microvolts for voltages, else none."""
    return "microvolts" if is_voltage(ch_type) else ""


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
    volts = volts_per_unit(unit)
    if volts is not None:
        return volts
    if not unit.strip() and is_voltage(ch_type):
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
    """Wire values (n_times, n_channels) -> SI float64 (n_channels, n_times), C order.

    C order because the filters run along time, row by row. The inlet and the virtual
    clock both call this, so offline values equal live ones bit for bit.
    """
    return np.multiply(wire.T, scales, dtype=np.float64, order="C")


def round_trip(data: np.ndarray, scales: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
    """What an inlet receives for ``data`` sent through an outlet of ``dtype``."""
    return from_wire(to_wire(data, scales, dtype), scales)
