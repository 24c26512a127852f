"""Calibration sessions: the cue stream, the headset's stream, and the virtual-clock run.

A live calibration (``bci calibrate``, in ``bci_apps.calibrate_command``) shows the
protocol in a window and records the signal and the cue markers with
:class:`bci.record.Recorder`. :func:`calibrate_virtual` produces the same kind of XDF
file with no display and no network: the :class:`~bci.present.Presenter` runs on a
perfect virtual display, each marker goes straight to a
:class:`~bci.datasets.follow.CueFollowingHeadset`, and both streams are written with
:class:`bci.record.XdfWriter`, as fast as the CPU allows. Tests and CI use it to check
that calibrate -> train -> evaluate holds together, in seconds instead of minutes.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import numpy as np

from bci.datasets.follow import CueFollowingHeadset, Response, responses_for
from bci.present.presenter import Presenter, virtual_flips
from bci.present.protocol import Protocol
from bci.present.schedule import build_timeline
from bci.record.xdf_writer import XdfWriter, encode_numeric, encode_strings
from bci.stream.description import StreamDescription
from bci.stream.units import to_wire, wire_scales

__all__ = ["DEFAULT_MARKERS", "SIMULATED_STREAM", "calibrate_virtual", "cue_description",
           "headset_description", "next_command", "responses_from_description"]

#: Default name of the cue marker stream.
DEFAULT_MARKERS = "bci-cues"
#: Name of the simulated headset's signal stream.
SIMULATED_STREAM = "bci-simulated"


def cue_description(name: str, protocol: Protocol, *, source_id: str = ""
                    ) -> StreamDescription:
    """The cue stream's description; ``desc/bci`` says what each cue asks of a subject.

    A following headset (``bci replay --simulate P --follow NAME``) reads the responses
    from here, so it answers a protocol's own labels and frequencies.
    """
    responses = {label: r.as_dict() for label, r in responses_for(protocol).items()}
    base = StreamDescription.for_markers(name, source_id=source_id)
    return StreamDescription(
        name=base.name, stype=base.stype, sfreq=0.0, ch_names=base.ch_names,
        ch_types=base.ch_types, units=base.units, channel_format="string",
        source_id=source_id,
        metadata={"paradigm": protocol.paradigm, "responses": json.dumps(responses),
                  "protocol": Path(protocol.origin).name})


def responses_from_description(desc: StreamDescription) -> dict[str, Response] | None:
    """The responses a cue stream announces, or None when it announces none."""
    text = desc.metadata.get("responses")
    if not text:
        return None
    return {label: Response.from_dict(d) for label, d in json.loads(text).items()}


def headset_description(headset: CueFollowingHeadset, name: str = SIMULATED_STREAM, *,
                        source_id: str = "") -> StreamDescription:
    """The simulated headset's signal stream (float32 microvolts, as amplifiers send)."""
    stype = "EMG" if headset.ch_type == "emg" else "EEG"
    return StreamDescription.for_signal(
        name, stype, headset.sfreq, list(headset.ch_names), headset.ch_types,
        source_id=source_id,
        metadata={"simulated": "1", "paradigm": headset.paradigm,
                  "seed": str(headset.seed)})


def next_command(protocol: Protocol, out: str | Path) -> str:
    """The ``bci train`` command to run on a calibration file."""
    out = Path(out)
    config = os.path.normpath(protocol.config_path) if protocol.config_path else "CONFIG.toml"
    model = out.with_suffix(".model")
    return shlex.join(["bci", "train", config, "--data", str(out), "--out", str(model)])


def calibrate_virtual(protocol: Protocol, out: str | Path, *, seed: int = 0,
                      subject_seed: int | None = None, refresh: float = 60.0,
                      duration: float | None = None, markers: str = DEFAULT_MARKERS,
                      t0: float = 1000.0, chunk: float = 0.05, overwrite: bool = False
                      ) -> dict:
    """Run a calibration on a virtual clock with the simulated headset; write an XDF.

    Parameters
    ----------
    protocol : Protocol
        What to present (its trial count as given).
    out : str or Path
        The ``.xdf`` file.
    seed : int
        The protocol's trial order and rest lengths.
    subject_seed : int or None
        The simulated subject's noise (default: ``seed``).
    refresh : float
        Refresh rate of the virtual display (flip ``k`` at ``t0 + k / refresh``).
    duration : float or None
        Stop early after this many seconds (as ``--duration``).
    markers : str
        Name of the cue stream in the file.
    t0 : float
        LSL time of the first flip.
    chunk : float
        Seconds of signal per chunk written (as an amplifier would send them).

    Returns
    -------
    summary : dict
        ``path``, ``n_trials`` completed (of ``n_planned``), ``markers`` pushed (label, time) and
        ``n_samples`` of signal.
    """
    protocol.check_refresh(refresh)
    timeline = build_timeline(protocol, seed)
    presenter = Presenter(protocol, timeline, refresh, duration=duration)
    headset = CueFollowingHeadset(protocol.paradigm, responses=responses_for(protocol),
                                  seed=seed if subject_seed is None else subject_seed,
                                  t0=t0)
    signal_desc = headset_description(headset)
    cue_desc = cue_description(markers, protocol)
    scales = wire_scales(signal_desc.units, signal_desc.ch_types)
    writer = XdfWriter(out, overwrite=overwrite)
    writer.stream_header(1, signal_desc.to_lsl().as_xml())
    writer.stream_header(2, cue_desc.to_lsl().as_xml())
    # One clock: offsets of 0, written as LabRecorder does (readers expect some).
    offsets = [(t0, 0.0)]
    for stream_id in (1, 2):
        writer.clock_offset(stream_id, t0, 0.0)
    pushed: list[tuple[str, float]] = []
    n_signal, first_signal, last_signal = 0, None, None
    next_chunk = t0 + chunk
    try:
        for _frame, flip, events in virtual_flips(presenter, t0):
            for label, stamp in events:
                headset.cue(label, stamp)
            if events:
                values = [[label.encode("utf-8")] for label, _ in events]
                writer.samples(encode_strings(2, values, np.array([s for _, s in events])))
                pushed.extend(events)
            if flip >= next_chunk:
                n = headset.samples_until(flip)
                if n:
                    data, times = headset.read(n)
                    writer.samples(encode_numeric(1, to_wire(data, scales, np.float32),
                                                  times))
                    first_signal = times[0] if first_signal is None else first_signal
                    last_signal, n_signal = times[-1], n_signal + n
                next_chunk += chunk
                writer.flush()
    finally:
        end = last_signal if last_signal is not None else t0
        for stream_id in (1, 2):
            writer.clock_offset(stream_id, end, 0.0)
        offsets.append((end, 0.0))
        writer.stream_footer(1, first_signal, last_signal, n_signal, offsets)
        writer.stream_footer(2, pushed[0][1] if pushed else None,
                             pushed[-1][1] if pushed else None, len(pushed), offsets)
        writer.close()
    return {"path": str(out), "n_trials": presenter.completed_trials,
            "n_planned": timeline.n_trials,
            "markers": pushed, "n_samples": n_signal,
            "frame_stats": presenter.stats.summary()}
