"""``bci cursor MODEL --stream N``: the cursor task on a live stream.

**2-D control** (:func:`open_live_cursor`, :func:`run_live_cursor`): the one session
loop of :mod:`bci.runtime` (:func:`~bci.runtime.open_live`) on stream ``N``, with
:class:`~bci.cursor.stage.CursorTaskStage` after the model's own stages: each decision's
two outputs (a regression model), or its gesture probabilities (an EMG gesture model,
:mod:`bci.cursor.proportional`), move the cursor as a velocity; the task (centre-out or
grid) scores it in signal time; ``N-cursor`` and ``N-cursor-events`` publish the state
and the task's events (:mod:`bci.cursor.streams`); a window or the desktop pointer show
it. :func:`run_cursor_offline` runs the same stage over a recording on the virtual
clock, so a replay of that recording moves the live cursor the same way, bit for bit.

**The 1-D motor-imagery cursor** (:func:`run_live_1d`), headless: the one session loop
of :mod:`bci.runtime` on the live stream (and its ``N-markers``), with a collector
sink: every sliding window is decoded by the model's own pipeline and decoder, and the
cued trials are scored with the same
:func:`~bci.learn.cursor_trials.cursor_1d` as ``bci evaluate``. Decision times and marker
times are converted to sample indices of the stream (one nominal period per sample, as a
``bci replay --speed X`` stamps them), so a replay of a recording gives the very numbers
the offline evaluation of that recording gives.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bci.cursor.stage import CursorStage, CursorTaskStage, gesture_velocity_of
from bci.cursor.task import CenterOutTask, GridTask, TaskEvent
from bci.errors import BciError, ConfigError
from bci.pipeline.model import Model
from bci.pipeline.pipeline import Pipeline
from bci.pipeline.step import Sink
from bci.runtime.live import LiveSetup
from bci.runtime.session import Session


def cursor_stage(model: Model, pipeline: Pipeline, task: CenterOutTask | GridTask, *,
                 gain: float = 1.0, latency: Callable | None = None,
                 on_step: Callable[[np.ndarray, np.ndarray, list[TaskEvent]], None]
                 | None = None) -> CursorTaskStage:
    """The cursor stage of ``model`` on ``pipeline``'s stream (live and offline alike).

    A regression model with two targets moves the cursor by its outputs; a gesture
    model (classes with directions in :data:`bci.cursor.proportional.DIRECTIONS`) by its
    probabilities. With ``[cursor] click = "<gesture>"`` that stable gesture's onset
    clicks, and the task must select by click (``task.selection == "click"``).

    Raises
    ------
    ConfigError
        A model that gives no 2-D velocity, or a click the task does not use.
    """
    from bci.cursor.proportional import DIRECTIONS

    config = model.config
    if pipeline.regression:
        if len(pipeline.targets) != 2:
            raise ConfigError(f"the cursor needs a model with two targets (x and y "
                              f"velocity), this one has {pipeline.targets}")
        velocity = None
    elif pipeline.classes and any(c in DIRECTIONS for c in pipeline.classes):
        velocity = gesture_velocity_of(pipeline.classes)
    else:
        raise ConfigError(f"{config.origin}: the cursor needs a regression model with "
                          "[targets] (x and y velocity) or a gesture model with classes "
                          f"among {sorted(DIRECTIONS)}")
    click = (config.cursor or {}).get("click")
    if click is not None and task.selection != "click":
        raise ConfigError(f"[cursor] click = {click!r} needs a task that selects by click")
    dt = pipeline.windows.step / pipeline.sfreq
    return CursorTaskStage(task, CursorStage(dt, gain=gain), sfreq=pipeline.sfreq,
                           velocity=velocity, click=click, latency=latency, on_step=on_step)


@dataclass
class LiveCursor:
    """A live cursor session, unstarted, and its stage; :meth:`close` releases it."""

    setup: LiveSetup
    stage: CursorTaskStage
    started: float = 0.0

    @property
    def session(self) -> Session:
        """The session (``start``, ``stop``, ``is_running``)."""
        return self.setup.session

    def start(self) -> LiveCursor:
        """Start the session's worker."""
        self.started = time.monotonic()
        self.session.start()
        return self

    def running(self, idle: float | None = None) -> bool:
        """Whether to go on: the session runs and, with ``idle``, the source has not
        been silent for ``idle`` seconds after the first decision (a replay's end)."""
        session = self.session
        if not session.is_running():
            return False
        if idle is not None and self.stage.updates and session.stalled \
                and time.monotonic() - session.last_data >= idle:
            return False
        return True

    def metrics(self) -> dict:
        """The task's metrics, ``latency_ms`` (median window's last sample -> cursor
        moved, LSL time), ``latency_p99_ms``, ``decisions_per_second`` (wall clock),
        ``n_decisions`` and ``clicks``."""
        metrics = self.stage.metrics()
        updates = self.stage.updates
        n = len(updates)
        # decisions over the stream time they span (a replay --speed X: X times faster)
        span = updates[-1].window_end - updates[0].window_end if n > 1 else 0.0
        metrics.update(n_decisions=n, decisions_per_second=(n - 1) / span if span > 0
                       else None,
                       skipped_windows=int(self.session.stats.counters.get(
                           "skipped_windows", 0)))
        return metrics

    def close(self) -> None:
        """Stop the session (if it runs) and close its streams."""
        try:
            if self.session.is_running():
                self.session.stop()
        finally:
            self.setup.close()


def open_live_cursor(model: Model, stream: str, task: CenterOutTask | GridTask, *,
                     gain: float = 1.0, timeout: float = 30.0, publish: bool = True,
                     sinks: Sequence[Sink] = (),
                     on_step: Callable[[np.ndarray, np.ndarray, list[TaskEvent]], None]
                     | None = None) -> LiveCursor:
    """The 2-D cursor task on live stream ``stream``, unstarted.

    Parameters
    ----------
    model : Model
        A regression model with two targets, or a gesture model (see
        :func:`cursor_stage`).
    stream : str
        The input stream.
    task : CenterOutTask or GridTask
        Reset here; its first target is cued at time 0.
    gain : float
        Cursor speed gain.
    timeout : float
        Seconds to wait for the stream.
    publish : bool
        Push ``<stream>-cursor`` and ``<stream>-cursor-events``
        (:class:`~bci.cursor.streams.CursorStreamSink`).
    sinks : sequence of Sink
        More sinks after those (a window).
    on_step : callable or None
        Called on the session's thread after each decision (the desktop pointer).
    """
    import pylsl

    from bci.cursor.streams import CursorStreamSink
    from bci.runtime import open_live
    from bci.runtime.live import output_source_id

    setup = open_live(model, stream, out_stream=None, timeout=timeout)
    try:
        session = setup.session
        stage = cursor_stage(model, session.pipeline, task, gain=gain, on_step=on_step,
                             latency=lambda d: (pylsl.local_clock() - d.window_end) * 1e3)
        task.reset()
        first = stage.start()
        session.stages.append(stage)  # after the model's own ([postprocess] first)
        if publish:
            name = f"{stream}-cursor"
            session.sinks.append(CursorStreamSink(
                name, source_id=output_source_id(setup.inlet.description, name),
                first_events=first))
        session.sinks.extend(sinks)
    except BaseException:
        setup.close()
        raise
    return LiveCursor(setup, stage)


def run_live_cursor(model: Model, stream: str, task: CenterOutTask | GridTask, *,
                    duration: float | None = None, idle: float | None = 2.0,
                    gain: float = 1.0, timeout: float = 30.0, publish: bool = True,
                    on_step: Callable[[np.ndarray, np.ndarray, list[TaskEvent]], None]
                    | None = None, sinks: Sequence[Sink] = (),
                    wait: Callable[[LiveCursor], None] | None = None
                    ) -> tuple[dict, CursorTaskStage]:
    """Run the 2-D task until ``duration``, the stream's end or Ctrl-C.

    ``wait(live)`` is called once the session runs and returns when the task should
    end (``bci cursor`` passes the window's event loop); by default the task runs
    headless until ``duration``, or until the stream is silent for ``idle`` seconds.

    Returns
    -------
    metrics : dict
        :meth:`LiveCursor.metrics`.
    stage : CursorTaskStage
        Every update and event.
    """
    live = open_live_cursor(model, stream, task, gain=gain, timeout=timeout,
                            publish=publish, on_step=on_step, sinks=sinks)
    try:
        live.start()
        if wait is not None:
            wait(live)
        else:
            try:
                while live.running(idle if duration is None else None):
                    if duration is not None and time.monotonic() - live.started >= duration:
                        break
                    time.sleep(0.05)
            except KeyboardInterrupt:
                pass
        live.session.stop()
        metrics = live.metrics()
    finally:
        live.close()
    if not live.stage.updates:
        raise BciError(f"stream '{stream}' gave no decision: check that it is running")
    return metrics, live.stage


def run_cursor_offline(model: Model, source, task: CenterOutTask | GridTask, *,
                       gain: float = 1.0, chunk: int | None = None,
                       sinks: Sequence[Sink] = ()) -> CursorTaskStage:
    """The task over a recording (a :class:`~bci.replay.source.ReplaySource`) on the
    virtual clock: the same pipeline, stages and cursor stage a live run on its replay
    has, so the cursor moves the same way."""
    from bci.pipeline.spec import build_pipeline
    from bci.runtime import pipeline_stages, run_virtual

    pipeline = build_pipeline(model, sfreq=source.sfreq, ch_names=source.ch_names,
                              ch_types=source.ch_types)
    stage = cursor_stage(model, pipeline, task, gain=gain)
    task.reset()
    stage.start()
    run_virtual(pipeline, source, stages=[*pipeline_stages(pipeline), stage], chunk=chunk,
                markers=False, sinks=sinks)
    return stage


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


__all__ = ["LiveCursor", "cursor_stage", "open_live_cursor", "run_cursor_offline",
           "run_live_1d", "run_live_cursor"]
