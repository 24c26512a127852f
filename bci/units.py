"""The one table of physical units: unit names -> their value in SI, and voltage types.

MNE keeps electrical signals in volts; LSL sources send microvolts (the XDF convention
``<unit>microvolts</unit>``); files store whatever their writer chose. Every reader and
the inlet look unit names up here, so a name understood in one place is understood
everywhere (``bci.stream.units`` converts wire values, ``bci.io`` scales file values).
"""

from __future__ import annotations

#: Channel types (MNE names) whose values are voltages.
VOLTAGE_TYPES = frozenset({"eeg", "emg", "eog", "ecg", "seeg", "ecog", "dbs", "bio"})

#: Unit name (lower case, as seen in real files and streams) -> volts per unit.
VOLTS_PER_UNIT: dict[str, float] = {
    "v": 1.0, "volt": 1.0, "volts": 1.0,
    "mv": 1e-3, "millivolt": 1e-3, "millivolts": 1e-3,
    "uv": 1e-6, "µv": 1e-6, "μv": 1e-6,  # micro sign and Greek mu: writers use both
    "microvolt": 1e-6, "microvolts": 1e-6,
    "nv": 1e-9, "nanovolt": 1e-9, "nanovolts": 1e-9,
}


def volts_per_unit(unit: str | None) -> float | None:
    """How many volts one ``unit`` is; None when ``unit`` is not a known voltage unit."""
    if unit is None:
        return None
    return VOLTS_PER_UNIT.get(unit.strip().lower())


def is_voltage(ch_type: str) -> bool:
    """Whether a channel of this MNE type carries a voltage."""
    return ch_type.lower() in VOLTAGE_TYPES
