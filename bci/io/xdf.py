"""XDF (LabRecorder) files: every signal stream as its own Raw, markers on all of them.

Streams are sorted into three kinds:

- **signal** streams (regular ``nominal_srate`` > 0, numeric) become one Raw each, at
  their nominal rate, with pyxdf's (dejittered) sample count;
- **marker** streams (string format, or a single channel at irregular rate, or type
  ``Markers``) become annotations on every signal stream's Raw;
- **irregular numeric** streams with several channels (rare: e.g. event-driven sensor
  values) are skipped with a logged warning: they have no sampling rate to give a Raw,
  and resampling them would invent samples;
- empty streams (no samples) are skipped.

Channel names, types and units come from ``desc/channels/channel`` (``label``, ``type``,
``unit``) when present, else ``ch{i}`` and a type derived from the stream type (EEG ->
eeg, EMG -> emg, ...; anything else misc). Voltages are scaled to volts from their unit
(``microvolts`` -> × 1e-6); voltage channels without a unit are taken to be microvolts,
the LSL/XDF meta-data convention for EEG. Non-voltage channels (accelerometer in g,
gyroscope in dps, PPG) keep their values and are typed misc, without a unit.

A marker's onset is where its LSL time falls among the stream's sample timestamps, in
the Raw's seconds (sample index / sfreq): for a regular stream that is its time minus the
stream's first sample time, and it stays on the right sample across long recordings whose
true rate differs slightly from the nominal one. Markers outside a stream's time span are
left off that stream (logged).
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import mne
import numpy as np
import pyxdf

from bci.errors import RecordingError
from bci.io.muse_csv import marker_label
from bci.io.recorded_stream import RecordedStream
from bci.io.units import volts_per_unit
from bci.io.xdf_scan import check_xdf_structure, open_xdf

logger = logging.getLogger(__name__)

# Stream type (LSL meta-data convention) -> MNE channel type, when channels lack a type.
_STREAM_TYPE_TO_CH = {"eeg": "eeg", "emg": "emg", "eog": "eog", "ecg": "ecg", "ekg": "ecg"}
# Channel "type" values in the meta-data that name an MNE channel type.
_CH_TYPES = {
    "eeg": "eeg",
    "emg": "emg",
    "eog": "eog",
    "ecg": "ecg",
    "ekg": "ecg",
    "stim": "stim",
    "trigger": "stim",
    "misc": "misc",
    "resp": "resp",
    "gsr": "gsr",
    "bio": "bio",
}
_VOLTAGE_TYPES = frozenset({"eeg", "emg", "eog", "ecg"})
_MARKER_TYPES = frozenset({"markers", "marker", "events", "event"})


def _field(info: Any, key: str, default: str = "") -> str:
    """First text value of an XDF info/desc element (pyxdf nests each in a list)."""
    if not isinstance(info, dict):
        return default
    value = info.get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    return value.strip() if isinstance(value, str) else default


def _channel_meta(info: dict[str, Any], n_channels: int) -> list[dict[str, Any]]:
    """The per-channel meta-data dicts (may be fewer than channels, or empty)."""
    try:
        desc = info["desc"][0]
        channels = desc["channels"][0]["channel"]
    except (KeyError, IndexError, TypeError):
        return []
    return [c if isinstance(c, dict) else {} for c in channels[:n_channels]]


def _unique(names: list[str]) -> list[str]:
    """Make channel names unique (MNE requires it) by numbering repeats: a, a-1, a-2."""
    used: set[str] = set()
    next_number: dict[str, int] = {}
    out = []
    for name in names:
        candidate = name
        while candidate in used:
            next_number[name] = next_number.get(name, 0) + 1
            candidate = f"{name}-{next_number[name]}"
        used.add(candidate)
        out.append(candidate)
    return out


def _channels(
    info: dict[str, Any], n_channels: int, stype: str
) -> tuple[list[str], list[str], np.ndarray, list[bool]]:
    """Names, MNE types, scale factors to volts, and whether each channel is a voltage."""
    meta = _channel_meta(info, n_channels)
    default_type = _STREAM_TYPE_TO_CH.get(stype.lower(), "misc")
    names, types, scales, is_voltage = [], [], [], []
    for i in range(n_channels):
        ch = meta[i] if i < len(meta) else {}
        names.append(_field(ch, "label") or f"ch{i}")
        declared = _field(ch, "type").lower()
        ch_type = _CH_TYPES.get(declared, default_type if not declared else "misc")
        unit = _field(ch, "unit")
        factor = volts_per_unit(unit)
        if factor is None and not unit and ch_type in _VOLTAGE_TYPES:
            factor = 1e-6  # the LSL meta-data convention: EEG in microvolts
        types.append(ch_type)
        scales.append(1.0 if factor is None else factor)
        is_voltage.append(factor is not None)
    return _unique(names), types, np.asarray(scales), is_voltage


def _is_marker_stream(info: dict[str, Any], srate: float, n_channels: int) -> bool:
    fmt = _field(info, "channel_format")
    stype = _field(info, "type").lower()
    return fmt == "string" or (srate == 0 and (n_channels == 1 or stype in _MARKER_TYPES))


def _marker_events(stream: dict[str, Any]) -> tuple[np.ndarray, list[str]]:
    """(LSL times, labels) of a marker stream; multi-channel markers joined by '/'."""
    times = np.asarray(stream["time_stamps"], dtype=np.float64)
    labels = []
    for sample in stream["time_series"]:
        values = list(sample) if isinstance(sample, list | tuple | np.ndarray) else [sample]
        parts = [v if isinstance(v, str) else marker_label(float(v)) for v in values]
        labels.append("/".join(p for p in parts if p != "") or "")
    return times, labels


def _signal_raw(stream: dict[str, Any], name: str, stype: str, srate: float) -> mne.io.BaseRaw:
    info = stream["info"]
    data = np.asarray(stream["time_series"], dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"stream '{name}' has samples of shape {data.shape}")
    names, types, scales, is_voltage = _channels(info, data.shape[1], stype)
    mne_info = mne.create_info(names, srate, types)
    raw = mne.io.RawArray(data.T * scales[:, None], mne_info, verbose="error")
    for ch, voltage in zip(raw.info["chs"], is_voltage, strict=True):
        if not voltage:
            # Values kept in their own unit (g, dps, ...): do not claim volts.
            ch["unit"] = mne.io.constants.FIFF.FIFF_UNIT_NONE
    return raw


def _annotate(
    raw: mne.io.BaseRaw, stamps: np.ndarray, markers: tuple[np.ndarray, list[str]]
) -> int:
    """Put markers on a stream's Raw; return how many fell outside its time span."""
    times, labels = markers
    half = 0.5 / raw.info["sfreq"]
    inside = (times >= stamps[0] - half) & (times <= stamps[-1] + half)
    if len(stamps) > 1:
        positions = np.interp(times[inside], stamps, np.arange(len(stamps)))
    else:
        positions = np.zeros(int(np.sum(inside)))
    onsets = np.clip(positions / raw.info["sfreq"], 0.0, None)
    described = np.asarray(labels, dtype=object)[inside]
    if len(onsets):
        order = np.argsort(onsets, kind="stable")
        raw.set_annotations(mne.Annotations(onsets[order], 0.0, described[order]))
    return int(np.sum(~inside))


def read_xdf_streams(path: Path) -> list[RecordedStream]:
    """Read every non-empty signal stream of an XDF file (see the module notes).

    Parameters
    ----------
    path : Path
        ``*.xdf`` or ``*.xdfz``.

    Returns
    -------
    list of RecordedStream
        In the file's order; ``first_time`` is the LSL time of each stream's first sample.

    Raises
    ------
    bci.errors.RecordingError
        Corrupt chunk structure, or no non-empty regular-rate signal stream.
    """
    name = path.name
    scan = check_xdf_structure(path)
    recovered = scan.describe()
    if scan.cut_at is None:
        streams, _header = pyxdf.load_xdf(str(path))
    else:
        # pyxdf raises on a chunk cut inside its header and may misread one cut in its
        # content: hand it the complete chunks only.
        with open_xdf(path) as f:
            complete = io.BytesIO(f.read(scan.complete_bytes))
        streams, _header = pyxdf.load_xdf(complete)
    if recovered:
        logger.warning("%s: %s", name, recovered)
    signals: list[tuple[RecordedStream, np.ndarray]] = []
    markers: list[tuple[np.ndarray, list[str]]] = []
    for stream in streams:
        info = stream["info"]
        s_name = _field(info, "name") or f"stream{info.get('stream_id', '')}"
        stype = _field(info, "type")
        srate = float(_field(info, "nominal_srate", "0") or 0)
        n_channels = int(_field(info, "channel_count", "0") or 0)
        stamps = np.asarray(stream["time_stamps"], dtype=np.float64)
        if _is_marker_stream(info, srate, n_channels):
            if len(stamps):
                markers.append(_marker_events(stream))
            continue
        if len(stamps) == 0:
            logger.info("%s: stream '%s' (%s) is empty: skipped", name, s_name, stype)
            continue
        if srate <= 0:
            logger.warning(
                "%s: stream '%s' (%s) has %d channels at irregular rate: skipped (no "
                "sampling rate to give it; resampling would invent samples)",
                name,
                s_name,
                stype,
                n_channels,
            )
            continue
        raw = _signal_raw(stream, s_name, stype, srate)
        signals.append((RecordedStream(s_name, stype, raw, float(stamps[0]), recovered),
                        stamps))
    if not signals:
        raise RecordingError(
            f"{name}: XDF holds no non-empty signal stream (only markers, empty or "
            "irregular streams): nothing to decode"
        )
    if markers:
        times = np.concatenate([m[0] for m in markers])
        labels = [label for m in markers for label in m[1]]
        for recorded, stamps in signals:
            left_off = _annotate(recorded.raw, stamps, (times, labels))
            if left_off:
                logger.warning(
                    "%s: %d marker(s) fall outside stream '%s' (%s) and are left off it",
                    name,
                    left_off,
                    recorded.name,
                    recorded.stype,
                )
    return [recorded for recorded, _ in signals]
