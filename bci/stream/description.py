"""What a stream is: name, type, rate, channels; to and from LSL's ``StreamInfo``.

Channel meta-data follow the XDF/LSL conventions (``desc/channels/channel`` with
``label``, ``type`` and ``unit``), so LabRecorder, mne-lsl and other LSL tools read them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import pylsl

from bci.stream.units import wire_unit

# LSL channel_format names <-> pylsl constants.
_FORMATS = {
    "float32": pylsl.cf_float32,
    "double64": pylsl.cf_double64,
    "string": pylsl.cf_string,
    "int32": pylsl.cf_int32,
    "int16": pylsl.cf_int16,
    "int8": pylsl.cf_int8,
    "int64": pylsl.cf_int64,
}
_FORMAT_NAMES = {v: k for k, v in _FORMATS.items()}

# LSL stream types are free text; these map the common ones to MNE channel types.
_TYPE_TO_MNE = {"eeg": "eeg", "emg": "emg", "eog": "eog", "ecg": "ecg", "exg": "eeg"}


@dataclass(frozen=True)
class StreamDescription:
    """An LSL stream's identity and channel layout.

    Parameters
    ----------
    name : str
        Stream name (``bci replay`` uses the file stem).
    stype : str
        Content type, e.g. ``"EEG"``, ``"EMG"``, ``"Markers"``.
    sfreq : float
        Nominal sampling rate in Hz; 0.0 for irregular streams such as markers.
    ch_names, ch_types, units : tuple of str
        Per channel: label, MNE channel type (lower case) and unit on the wire.
    channel_format : str
        ``"float32"``, ``"double64"``, ``"string"``, ...
    source_id : str
        Unique id of the source; an inlet recovers a restarted source by it.
    metadata : dict
        Extra string fields written under ``desc/bci`` (e.g. class names of a decision
        stream), JSON-encoded when not strings.
    hostname, uid : str
        Filled in for streams found on the network.
    """

    name: str
    stype: str
    sfreq: float
    ch_names: tuple[str, ...]
    ch_types: tuple[str, ...]
    units: tuple[str, ...]
    channel_format: str = "float32"
    source_id: str = ""
    metadata: dict = field(default_factory=dict)
    hostname: str = ""
    uid: str = ""

    @property
    def speed(self) -> float:
        """The replay speed a ``bci replay`` stream announces (``desc/bci/speed``); 1 else.

        Timestamps of such a stream run ``speed`` times faster than the nominal rate says.
        A foreign, unreadable or non-positive ``speed`` field counts as 1 (not a replay).
        """
        try:
            speed = float(self.metadata.get("speed", 1.0) or 1.0)
        except (TypeError, ValueError):
            return 1.0
        return speed if math.isfinite(speed) and speed > 0 else 1.0

    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return len(self.ch_names)

    @classmethod
    def for_signal(cls, name: str, stype: str, sfreq: float, ch_names: list[str],
                   ch_types: list[str], *, channel_format: str = "float32",
                   source_id: str = "", metadata: dict | None = None) -> StreamDescription:
        """Describe a signal stream whose voltages travel in microvolts."""
        return cls(name=name, stype=stype, sfreq=float(sfreq), ch_names=tuple(ch_names),
                   ch_types=tuple(t.lower() for t in ch_types),
                   units=tuple(wire_unit(t) for t in ch_types),
                   channel_format=channel_format, source_id=source_id,
                   metadata=dict(metadata or {}))

    @classmethod
    def for_markers(cls, name: str, *, source_id: str = "") -> StreamDescription:
        """Describe a one-channel string marker stream."""
        return cls(name=name, stype="Markers", sfreq=0.0, ch_names=("marker",),
                   ch_types=("stim",), units=("",), channel_format="string",
                   source_id=source_id)

    def to_lsl(self) -> pylsl.StreamInfo:
        """Build the ``pylsl.StreamInfo`` an outlet announces, with channel meta-data."""
        info = pylsl.StreamInfo(self.name, self.stype, self.n_channels, self.sfreq,
                                _FORMATS[self.channel_format], self.source_id)
        channels = info.desc().append_child("channels")
        for label, ch_type, unit in zip(self.ch_names, self.ch_types, self.units,
                                        strict=True):
            ch = channels.append_child("channel")
            ch.append_child_value("label", label)
            ch.append_child_value("type", ch_type.upper())
            ch.append_child_value("unit", unit)
        if self.metadata:
            extra = info.desc().append_child("bci")
            for key, value in self.metadata.items():
                text = value if isinstance(value, str) else json.dumps(value)
                extra.append_child_value(key, text)
        info.desc().append_child("acquisition").append_child_value("manufacturer", "bci")
        return info

    @classmethod
    def from_lsl(cls, info: pylsl.StreamInfo) -> StreamDescription:
        """Read a ``pylsl.StreamInfo``; channel labels default to ``ch1..chN``.

        Pass the full info of an open inlet (``inlet.info()``) to get the channel
        meta-data; a resolved info only carries the header.
        """
        n = info.channel_count()
        stream_type = info.type()
        default_type = _TYPE_TO_MNE.get(stream_type.strip().lower(), "misc")
        if info.channel_format() == pylsl.cf_string:
            default_type = "stim"
        names, types, units = [], [], []
        ch = info.desc().child("channels").child("channel")
        while not ch.empty() and len(names) < n:
            names.append(ch.child_value("label") or f"ch{len(names) + 1}")
            types.append((ch.child_value("type") or default_type).lower())
            units.append(ch.child_value("unit"))
            ch = ch.next_sibling("channel")
        for k in range(len(names), n):
            names.append(f"ch{k + 1}")
            types.append(default_type)
            units.append("")
        metadata = {}
        extra = info.desc().child("bci")
        child = extra.first_child()
        while not child.empty():
            metadata[child.name()] = child.first_child().value()
            child = child.next_sibling()
        return cls(name=info.name(), stype=stream_type, sfreq=info.nominal_srate(),
                   ch_names=tuple(names), ch_types=tuple(types), units=tuple(units),
                   channel_format=_FORMAT_NAMES.get(info.channel_format(), "float32"),
                   source_id=info.source_id(), metadata=metadata,
                   hostname=info.hostname(), uid=info.uid())

    def summary(self) -> dict:
        """A JSON-serialisable summary (what ``bci streams --json`` prints)."""
        return {
            "name": self.name, "type": self.stype, "sfreq": self.sfreq,
            "n_channels": self.n_channels, "channel_format": self.channel_format,
            "source_id": self.source_id, "hostname": self.hostname, "uid": self.uid,
        }
