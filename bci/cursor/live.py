"""``bci cursor MODEL --stream N`` for a 1-D motor-imagery cursor, headless.

The one session loop of :mod:`bci.runtime` on the live stream (and its ``N-markers``),
with a collector sink: every sliding window is decoded by the model's own pipeline and
decoder, and the cued trials are scored with the same
:func:`~bci.learn.cursor_trials.cursor_1d` as ``bci evaluate``. Decision times and marker
times are converted to sample indices of the stream (one nominal period per sample, as a
``bci replay --speed X`` stamps them), so a replay of a recording gives the very numbers
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
        :func:`~bci.learn.cursor_trials.cursor_1d`'s metrics plus ``n_decisions`` and
        ``latency_ms`` (median time the decoder takes per window).
    """
    from bci.learn.cursor_trials import cued_trials, cursor_1d
    from bci.outputs import Collector
    from bci.runtime import open_live

    config = model.config
    if not config.targets or "classes" not in config.targets:
        raise BciError("bci cursor --stream scores a 1-D cursor over cued trials: the "
                       "model needs [targets].classes; for 2-D control use --simulate-user")
    values = config.targets["classes"]
    collector = Collector(markers=True, events=False)
    setup = open_live(model, stream, markers=f"{stream}-markers", out_stream=None,
                      timeout=timeout, sinks=[collector])
    session = setup.session
    period = setup.inlet.period
    started = time.monotonic()
    try:
        session.start()
        while session.is_running():
            if duration is not None and time.monotonic() - started >= duration:
                break
            # the end of a replay: the source silent for `idle` seconds after it sent
            if duration is None and collector.decisions and session.stalled \
                    and time.monotonic() - session.last_data >= idle:
                break
            time.sleep(0.1)
    finally:
        try:
            session.stop()
        finally:
            setup.close()
    decisions = collector.decisions
    if not decisions:
        raise BciError(f"stream '{stream}' gave no decision: check that it is running")
    sfreq = setup.inlet.description.sfreq
    # the LSL time of sample 0, from the first decision's newest sample
    first_time = decisions[0].window_end - (decisions[0].stop_index - 1) * period
    received = [(int(round((m.time - first_time) / period)) / sfreq, m.label)
                for m in collector.markers]
    trials = cued_trials(received, config.events, values, sfreq)
    stops = np.array([d.stop_index for d in decisions])
    outputs = [float(d.value) for d in decisions]
    result = cursor_1d((stops - 1) / sfreq, outputs, trials, step=config.step)
    decoder_ms = session.stats.stage("decoder").summary()["p50_ms"]
    result.update(n_decisions=len(outputs), latency_ms=decoder_ms)
    return result


__all__ = ["run_live_1d"]
