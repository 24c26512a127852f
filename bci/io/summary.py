"""What ``bci info FILE [--json]`` shows: streams, channels, rates, duration, events."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import mne
from mne.io.constants import FIFF

from bci.io.formats import detect_format
from bci.io.read import read_streams
from bci.io.recorded_stream import RecordedStream, select_stream

_UNITS = {
    FIFF.FIFF_UNIT_V: "V",
    FIFF.FIFF_UNIT_T: "T",
    FIFF.FIFF_UNIT_T_M: "T/m",
    FIFF.FIFF_UNIT_CEL: "°C",
    FIFF.FIFF_UNIT_S: "S",
    FIFF.FIFF_UNIT_MOL: "M",
    FIFF.FIFF_UNIT_AM: "Am",
    FIFF.FIFF_UNIT_NONE: "AU",  # arbitrary units, as MNE calls misc
}
_SHOWN_NAMES = 8


def _channels(raw: mne.io.BaseRaw) -> list[dict[str, str]]:
    types = raw.get_channel_types()
    return [
        {"name": ch["ch_name"], "type": ch_type, "unit": _UNITS.get(int(ch["unit"]), "AU")}
        for ch, ch_type in zip(raw.info["chs"], types, strict=True)
    ]


def _stream_summary(stream: RecordedStream) -> dict[str, Any]:
    raw = stream.raw
    sfreq = float(raw.info["sfreq"])
    return {
        "name": stream.name,
        "type": stream.stype,
        "sfreq": sfreq,
        "n_channels": len(raw.ch_names),
        "n_samples": int(raw.n_times),
        "duration_s": raw.n_times / sfreq,
        "channels": _channels(raw),
        "first_time": float(stream.first_time),
    }


def summarize(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Summarise a recording for ``bci info``.

    Parameters
    ----------
    path : path-like
        Any format ``bci.io.read_streams`` reads.

    Returns
    -------
    dict
        JSON-serialisable: ``path``, ``format``, ``streams`` (each with ``name``,
        ``type``, ``sfreq``, ``n_channels``, ``n_samples``, ``duration_s`` = samples /
        sfreq, ``channels`` [{``name``, ``type``, ``unit``}], ``first_time``), ``events``
        ({label: count} of the stream ``read_recording`` returns, sorted by label) and
        ``duration_s``: the span from the earliest first sample to the latest last one
        (the single stream's duration for one-stream formats). ``unit`` is that of the
        returned data: ``"V"`` for electrical channels, ``"AU"`` for values kept in their
        own unit (XDF accelerometer, gyroscope...). ``recovered``: '' for an intact file,
        else one line saying where a damaged file was cut and how much was read.

    Raises
    ------
    bci.errors.RecordingError
        As ``read_streams``.
    """
    path = Path(path)
    fmt = detect_format(path)
    streams = read_streams(path)
    main = select_stream(streams, None, path.name)
    counts = Counter(str(d) for d in main.raw.annotations.description)
    summaries = [_stream_summary(s) for s in streams]
    start = min(s["first_time"] for s in summaries)
    end = max(s["first_time"] + s["duration_s"] for s in summaries)
    return {
        "path": str(path),
        "format": fmt,
        "streams": summaries,
        "events": {label: counts[label] for label in sorted(counts)},
        "duration_s": end - start,
        "recovered": main.recovered,
    }


def _compact_channels(channels: list[dict[str, str]]) -> list[str]:
    """One line per channel type: ``64 eeg [V]: Fc5., Fc3., ... (first 8, then …)``."""
    groups: dict[tuple[str, str], list[str]] = {}
    for ch in channels:
        groups.setdefault((ch["type"], ch["unit"]), []).append(ch["name"])
    lines = []
    for (ch_type, unit), names in groups.items():
        shown = ", ".join(names[:_SHOWN_NAMES]) + (", …" if len(names) > _SHOWN_NAMES else "")
        lines.append(f"{len(names)} {ch_type} [{unit}]: {shown}")
    return lines


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 120 else f"{value:.1f} s ({value / 60:.1f} min)"


def format_summary(summary: dict[str, Any]) -> str:
    """Render ``summarize``'s dict as readable lines for a terminal.

    Parameters
    ----------
    summary : dict
        As returned by ``summarize``.

    Returns
    -------
    str
        Several lines, no trailing newline.
    """
    lines = [
        f"{Path(summary['path']).name}: {summary['format']}, {_seconds(summary['duration_s'])}"
    ]
    for s in summary["streams"]:
        line = (
            f"  stream '{s['name']}' ({s['type']}): {s['n_channels']} channels at "
            f"{s['sfreq']:g} Hz, {s['n_samples']} samples, {_seconds(s['duration_s'])}"
        )
        if s["first_time"]:
            line += f", first sample at {s['first_time']:.3f} s (file clock)"
        lines.append(line)
        lines.extend(f"    {group}" for group in _compact_channels(s["channels"]))
    events = summary["events"]
    if summary.get("recovered"):
        lines.append(f"  recovered: {summary['recovered']}")
    if events:
        listed = ", ".join(f"{label} ×{count}" for label, count in events.items())
        lines.append(f"  events ({sum(events.values())}): {listed}")
    else:
        lines.append("  events: none")
    return "\n".join(lines)
