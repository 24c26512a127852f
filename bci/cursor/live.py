"""``bci cursor MODEL --stream N`` for a 1-D motor-imagery cursor, headless.

A small blocking loop (no threads, no window) that the runtime's one session loop will
replace: it pulls the signal and its ``N-markers`` stream, decodes every sliding window
with the model's own pipeline and decoder, and scores the cued trials with the same
:func:`~bci.cursor.trials.cursor_1d` as ``bci evaluate``. Decision times and marker
times are converted to sample indices of the stream (one nominal period per sample, as
a ``bci replay --speed X`` stamps them), so a replay of a recording gives the very numbers
the offline evaluation of that recording gives.
"""

from __future__ import annotations

import time

import numpy as np

from bci.errors import BciError
from bci.pipeline.model import Model


def run_live_1d(model: Model, stream: str, *, duration: float | None = None,
                timeout: float = 10.0, idle: float = 2.0) -> dict:
    """Decode stream ``stream`` live and score its cued trials as a 1-D cursor.

    Parameters
    ----------
    model : Model
        Trained with ``[targets].classes`` (e.g. ``docs/configs/motor-imagery-cursor-1d.toml``).
    stream : str
        Name of the signal stream; its markers are read from ``<stream>-markers``.
    duration : float or None
        Seconds to run; None: until the stream has sent nothing for ``idle`` seconds.
    timeout : float
        Seconds to wait for the streams to appear.

    Returns
    -------
    dict
        :func:`~bci.cursor.trials.cursor_1d`'s metrics plus ``n_decisions`` and
        ``latency_ms`` (median time the decoder takes per window).
    """
    from bci.cursor.trials import cued_trials, cursor_1d
    from bci.pipeline.evaluation import pipeline_for
    from bci.stream import Inlet, MarkerInlet

    config = model.config
    if not config.targets or "classes" not in config.targets:
        raise BciError("bci cursor --stream scores a 1-D cursor over cued trials: the "
                       "model needs [targets].classes; for 2-D control use --simulate-user")
    values = config.targets["classes"]
    # The markers first: once the signal inlet is connected, no early cue can be lost.
    with MarkerInlet(f"{stream}-markers", timeout=timeout) as marker_inlet, \
            Inlet(stream, timeout=timeout, recover=False) as inlet:
        d = inlet.description
        pipeline = pipeline_for(model, d.sfreq, list(d.ch_names), list(d.ch_types),
                                period=inlet.period, stream_name=stream)
        decoder = model.decoder
        decoder.reset()
        outputs, stops, markers, compute = [], [], [], []
        first_time = None
        started = time.monotonic()
        last_data = started
        while duration is None or time.monotonic() - started < duration:
            chunk = inlet.pull(timeout=0.2)
            markers.extend(marker_inlet.pull(0.0))
            if chunk is None:
                # the end of a replay: nothing for `idle` seconds (decoding a backlog
                # does not count, only waiting in vain)
                if (duration is None and first_time is not None
                        and time.monotonic() - last_data > idle):
                    break
                continue
            last_data = time.monotonic()
            if first_time is None:
                first_time = float(chunk.times[0]) - chunk.first_index * inlet.period
            for window in pipeline.windows_of(chunk):
                began = time.perf_counter()
                outputs.append(float(decoder.step(window.data[np.newaxis])[0, 0]))
                compute.append((time.perf_counter() - began) * 1e3)
                stops.append(window.stop_index)
        markers.extend(marker_inlet.pull(0.5))
    if first_time is None:
        raise BciError(f"stream '{stream}' sent no samples: check that it is running")
    sfreq = d.sfreq
    # marker times -> the sample they label (one nominal period per sample)
    received = [(int(round((m.time - first_time) / inlet.period)) / sfreq, m.label)
                for m in markers]
    trials = cued_trials(received, config.events, values, sfreq)
    times = (np.asarray(stops) - 1) / sfreq
    result = cursor_1d(times, outputs, trials, step=config.step)
    result.update(n_decisions=len(outputs),
                  latency_ms=float(np.median(compute)) if compute else None)
    return result


__all__ = ["run_live_1d"]
