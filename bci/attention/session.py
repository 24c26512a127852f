"""An assessment's data in, its scores out; and the whole session on a virtual clock.

:func:`analyse` turns a session's signal and markers into the report's numbers; it is the
one scorer for a live run (read back from the XDF the recorder wrote,
:func:`load_recording`) and a simulated one. :func:`assess_virtual` runs the session
with no display and no network: the :class:`bci.present.Presenter` on a perfect virtual
display, the :class:`~bci.attention.simulate.SimulatedResponder` pressing keys between
flips (stamped at their own times, as a window stamps key events), the
:class:`~bci.attention.simulate.SimulatedEEG` closing its eyes when the screen says so,
and both streams written to an XDF file with :class:`bci.record.XdfWriter`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bci.attention.cpt import Stimulus, score_cpt
from bci.attention.protocol import AssessProtocol
from bci.attention.resting import resting_measures
from bci.attention.simulate import SimulatedEEG, SimulatedResponder
from bci.attention.task import PRESS, build_assess_timeline, parse_markers
from bci.errors import ConfigError, RecordingError
from bci.present.presenter import Presenter, virtual_flips
from bci.record.xdf_writer import XdfWriter, encode_numeric, encode_strings
from bci.stream.description import StreamDescription
from bci.stream.units import to_wire, wire_scales
from bci.units import volts_per_unit

__all__ = ["SIMULATED_EEG", "analyse", "assess_virtual", "check_channels",
           "load_recording", "responder_for", "summary_keys"]

SIMULATED_EEG = "bci-simulated-eeg"
MARKERS = "bci-assess"


def check_channels(protocol: AssessProtocol, ch_names: Sequence[str], stream: str) -> None:
    """One line when none of the protocol's theta/beta channels is in the stream."""
    have = {c.lower().rstrip(".") for c in ch_names}
    missing = [c for c in protocol.resting.channels if c.lower() not in have]
    if len(missing) == len(protocol.resting.channels):
        raise ConfigError(f"{protocol.origin}: channels {', '.join(missing)} are not in "
                          f"stream '{stream}' ({', '.join(ch_names)}): set [resting] "
                          "channels to some of these")


def responder_for(protocol: AssessProtocol) -> SimulatedResponder:
    """The simulated responder the protocol's ``[simulate]`` table describes."""
    s = protocol.simulate
    return SimulatedResponder(s.omission_rate, s.commission_rate, s.rt_mean_ms / 1000.0,
                              s.rt_sd_ms / 1000.0, s.anticipatory_rate,
                              max_rt=min(0.9 * min(protocol.cpt.soa), 1.5), seed=s.seed)


def _segment(signal: np.ndarray, times: np.ndarray, span, pauses=()) -> np.ndarray | None:
    if span is None:
        return None
    m = (times >= span[0]) & (times < span[1])
    for p0, p1 in pauses:  # a paused stretch is not resting data
        m &= ~((times >= p0) & (times < p1))
    return signal[:, m]


def analyse(signal: np.ndarray, times: np.ndarray, sfreq: float, ch_names: Sequence[str],
            markers: Sequence[tuple[str, float]], protocol: AssessProtocol, *,
            n_planned: int | None = None) -> tuple[dict, dict]:
    """Scores of one session from its signal (volts) and markers (LSL times).

    Returns
    -------
    result : dict
        ``status`` (``complete`` or ``interrupted``), ``cpt`` (scores, or None),
        ``resting`` (measures, or None when a period is missing or shorter than one
        Welch segment), ``completed`` counts, and the ``--json`` keys at top level.
    spectra : dict
        ``eyes_open``/``eyes_closed``: (freqs, psd) for the figures.
    """
    parsed = parse_markers(markers, protocol, n_planned=n_planned)
    result: dict = {"status": "interrupted" if parsed.interrupted else "complete",
                    "completed": {"cpt_stimuli": len(parsed.stimuli),
                                  "cpt_planned": parsed.n_planned}}
    cpt = score_cpt(parsed.stimuli, parsed.presses) if parsed.stimuli else None
    result["cpt"] = cpt.as_dict() if cpt is not None else None
    eo = _segment(signal, times, parsed.eyes_open, parsed.pauses)
    ec = _segment(signal, times, parsed.eyes_closed, parsed.pauses)
    spectra: dict = {}
    result["resting"] = None
    seg = int(4.0 * sfreq)
    if eo is not None and ec is not None and min(eo.shape[1], ec.shape[1]) >= seg:
        result["resting"], spectra = resting_measures(eo, ec, sfreq, ch_names,
                                                      tbr_channels=protocol.resting.channels)
    result["completed"]["eyes_open_s"] = 0.0 if eo is None else eo.shape[1] / sfreq
    result["completed"]["eyes_closed_s"] = 0.0 if ec is None else ec.shape[1] / sfreq
    result.update(summary_keys(result))
    return result, spectra


def summary_keys(result: dict) -> dict:
    """The ``--json`` figures of a result (None where not measured)."""
    cpt, rest = result.get("cpt") or {}, result.get("resting") or {}
    return {"omission_errors": cpt.get("omission_errors"),
            "commission_errors": cpt.get("commission_errors"),
            "rt_mean_ms": cpt.get("rt_mean_ms"), "rt_sd_ms": cpt.get("rt_sd_ms"),
            "d_prime": cpt.get("d_prime"),
            "theta_beta_ratio": rest.get("theta_beta_ratio"),
            "alpha_peak_hz": rest.get("alpha_peak_hz")}


def load_recording(path: str | Path, signal_name: str | None, markers_name: str
                   ) -> tuple[np.ndarray, np.ndarray, float, list[str], list]:
    """Signal (volts), stamps, rate, channel names and markers of an assessment XDF."""
    import pyxdf

    try:
        streams, _ = pyxdf.load_xdf(str(path), dejitter_timestamps=False)
    except Exception as err:  # pyxdf raises many kinds on a damaged file
        raise RecordingError(f"{path}: cannot read the recording ({err})") from None
    sig = mark = None
    for s in streams:
        info = s["info"]
        name = info["name"][0]
        if name == markers_name:
            mark = s
        elif float(info["nominal_srate"][0]) > 0 and (signal_name in (None, name)):
            sig = s
    if sig is None or mark is None:
        raise RecordingError(f"{path}: the recording lacks the signal or the "
                             f"'{markers_name}' markers: was the session recorded?")
    info = sig["info"]
    chans = info["desc"][0]["channels"][0]["channel"]
    names = [c["label"][0] for c in chans]
    units = [(c.get("unit") or [""])[0] for c in chans]
    # The one unit table; a voltage channel without a unit is in microvolts (the XDF
    # convention for EEG, as bci.io reads it).
    scale = np.array([volts_per_unit(u) or 1e-6 for u in units])
    data = np.asarray(sig["time_series"], dtype=np.float64).T * scale[:, None]
    markers = [(str(v[0]), float(t)) for v, t in zip(mark["time_series"],
                                                      mark["time_stamps"], strict=True)]
    return data, np.asarray(sig["time_stamps"], float), float(info["nominal_srate"][0]), \
        names, markers


def assess_virtual(protocol: AssessProtocol, out: str | Path, *, seed: int = 0,
                   refresh: float = 60.0, duration: float | None = None,
                   t0: float = 1000.0, chunk: float = 0.05, overwrite: bool = False,
                   responder: SimulatedResponder | None = None,
                   eeg: SimulatedEEG | None = None, markers_name: str = MARKERS) -> dict:
    """Run the whole assessment on a virtual clock (see the module docstring).

    Parameters
    ----------
    protocol : AssessProtocol
    out : str or Path
        The ``.xdf`` file to write (signal + markers).
    seed : int
        The letter sequence; the responder and the EEG use ``[simulate] seed``.
    duration : float or None
        Stop after this many seconds as Esc would (an interrupted session).

    Returns
    -------
    dict
        ``markers`` (label, time), ``signal``, ``times``, ``sfreq``, ``ch_names``,
        ``responder`` (its own list of events), ``stimuli`` and ``n_planned``.
    """
    sim = protocol.simulate
    timeline = build_assess_timeline(protocol, seed)
    presenter = Presenter(protocol, timeline, refresh)
    responder = responder or responder_for(protocol)
    eeg = eeg or SimulatedEEG(sim.channels, sim.sfreq, sim.theta_beta_ratio, sim.alpha_hz,
                              seed=sim.seed)
    desc = StreamDescription.for_signal(SIMULATED_EEG, "EEG", eeg.sfreq, list(eeg.ch_names),
                                        ["eeg"] * len(eeg.ch_names),
                                        metadata={"simulated": "1"})
    cue_desc = StreamDescription.for_markers(markers_name)
    scales = wire_scales(desc.units, desc.ch_types)
    writer = XdfWriter(out, overwrite=overwrite)
    writer.stream_header(1, desc.to_lsl().as_xml())
    writer.stream_header(2, cue_desc.to_lsl().as_xml())
    for stream_id in (1, 2):
        writer.clock_offset(stream_id, t0, 0.0)
    markers: list[tuple[str, float]] = []
    stimuli: list[Stimulus] = []
    pending: list[float] = []
    chunks, stamps = [], []
    next_chunk = t0 + chunk
    eeg_start = t0

    def write_markers(events: list[tuple[str, float]]) -> None:
        if events:
            writer.samples(encode_strings(2, [[lab.encode()] for lab, _ in events],
                                          np.array([t for _, t in events])))
            markers.extend(events)

    def pull_eeg(until: float) -> None:
        n = int(np.floor((until - eeg_start) * eeg.sfreq)) - eeg.n
        if n > 0:
            data, t = eeg.read(n)
            t = eeg_start + t
            writer.samples(encode_numeric(1, to_wire(data, scales, np.float32), t))
            chunks.append(data)
            stamps.append(t)

    try:
        for frame, flip, events in virtual_flips(presenter, t0):
            # Key presses happen between flips and carry their own times.
            due = sorted(p for p in pending if p <= flip)
            if due:
                pending = [p for p in pending if p > flip]
                write_markers([(PRESS, p) for p in due])
            segment = frame.segment
            closed = segment is not None and segment.kind == "eyes-closed"
            if closed != eeg.eyes_closed:
                pull_eeg(flip)
                eeg.eyes_closed = closed
            for label, stamp in events:
                if label.startswith(("cpt:go:", "cpt:nogo:")):
                    stim = Stimulus(stamp, label.split(":", 2)[2], label.startswith(
                        "cpt:go:"), 0)
                    pending.extend(responder.respond(stim, len(stimuli)))
                    stimuli.append(stim)
            write_markers(events)
            if flip >= next_chunk:
                pull_eeg(flip)
                next_chunk += chunk
                writer.flush()
            if duration is not None and flip - t0 >= duration and not presenter.stopped:
                presenter.stop()
        pull_eeg(markers[-1][1] if markers else t0)
    finally:
        times = np.concatenate(stamps) if stamps else np.zeros(0)
        first = float(times[0]) if times.size else None
        last = float(times[-1]) if times.size else None
        offsets = [(t0, 0.0), (last or t0, 0.0)]
        for stream_id in (1, 2):
            writer.clock_offset(stream_id, last or t0, 0.0)
        writer.stream_footer(1, first, last, int(times.size), offsets)
        writer.stream_footer(2, markers[0][1] if markers else None,
                             markers[-1][1] if markers else None, len(markers), offsets)
        writer.close()
    signal = np.concatenate(chunks, axis=1) if chunks else np.zeros((len(eeg.ch_names), 0))
    return {"markers": markers, "signal": signal, "times": times, "sfreq": eeg.sfreq,
            "ch_names": list(eeg.ch_names), "responder": responder, "stimuli": stimuli,
            "n_planned": timeline.n_trials, "path": str(out)}
