"""The pipeline: picks, causal filters, windows, decoder — one object, live and offline.

:class:`Pipeline` is synchronous and owns no thread, socket or clock: it is fed chunks
(by a :class:`~bci.runtime.Session`, live or on the virtual clock) and returns a
:class:`~bci.pipeline.step.Step` that states everything the pass produced — decisions,
windows, and status events (gaps, repaired samples, decoder errors) — so nothing has to
be learned by diffing counters. Because the same object runs in both places, what is
evaluated offline is exactly what runs live.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Protocol

import numpy as np

from bci.errors import ConfigError
from bci.pipeline.config import PipelineConfig
from bci.pipeline.decision import Decision
from bci.pipeline.stats import LatencyStats
from bci.pipeline.step import StatusEvent, Step
from bci.pipeline.windows import MarkerEpocher, SlidingWindows, Window
from bci.stream.chunk import Chunk, Marker
from bci.stream.gaps import Gap

#: Most memory the window stage may hold (a mirrored ring: 16 bytes per value), so that a
#: config cannot ask for more than a machine has; a 10-s window of 1024 channels at
#: 30 kHz needs 5 GiB and is refused, 1 s of 256 channels at 10 kHz needs 0.4 GiB.
MAX_WINDOW_BYTES = 4 * 2**30
#: Seconds of signal a marker-locked window stage keeps for late markers.
WINDOW_HISTORY_S = 10.0


class WindowCheck(Protocol):
    """Checks each decoded window (neurofeedback's artifact detector is one).

    ``push_raw`` sees the picked raw samples of every chunk before any filter, in order;
    ``check`` returns why a window is bad (``Decision.artifact``), or None.
    """

    def push_raw(self, data: np.ndarray, first_index: int) -> None: ...

    def check(self, window: Window) -> str | None: ...


class Pipeline:
    """Picks, causal filters with carried state, windows and a decoder.

    Parameters
    ----------
    config : PipelineConfig
        What to build.
    sfreq : float
        Nominal sampling rate of the stream.
    ch_names, ch_types : sequence of str
        The stream's channels.
    decoder : estimator or None
        A fitted decoder (from a model file); built from ``config.decoder`` when None.
    picks : sequence of str or None
        Channel names in the order the decoder expects (from a model file); overrides
        ``config.picks``.
    period : float or None
        Seconds between timestamps, when a replay runs faster than the nominal rate.
    windows_only : bool
        Build no decoder: :meth:`process` returns the windows (``Step.windows``) and no
        decisions — what training needs.
    window_checks : sequence of WindowCheck
        Run on every decoded window; the first reason found becomes the decision's
        ``artifact`` (counted as ``artifact_windows``).

    Notes
    -----
    Application stages (the ``[postprocess]`` gesture stabiliser, neurofeedback) run
    after the pipeline, in the session (:func:`bci.runtime.stages.pipeline_stages`).
    """

    def __init__(self, config: PipelineConfig, *, sfreq: float, ch_names: Sequence[str],
                 ch_types: Sequence[str], decoder: object | None = None,
                 picks: Sequence[str] | None = None, period: float | None = None,
                 windows_only: bool = False,
                 window_checks: Sequence[WindowCheck] = ()) -> None:
        from bci.decoders import make_decoder, needs_training
        from bci.dsp import FilterChain, Picks

        self.config = config
        self.sfreq = float(sfreq)
        self.picks = Picks(ch_names, ch_types,
                           picks if picks is not None else config.picks).indices
        self.ch_names = [ch_names[i] for i in self.picks]
        self._all_picked = np.array_equal(self.picks, np.arange(len(ch_names)))
        try:
            self.filters = FilterChain.from_config(config.filters, self.sfreq, self.ch_names)
        except ConfigError as err:
            raise ConfigError(f"{config.origin}: {err}") from None
        n_out = self.filters.n_channels_out
        window_samples = self._window_samples(config)
        held = n_out * (window_samples + int(WINDOW_HISTORY_S * self.sfreq)) * 16
        if held > MAX_WINDOW_BYTES:
            raise ConfigError(
                f"{config.origin}: windows of {window_samples} samples x {n_out} channels "
                f"at {self.sfreq:g} Hz need {held / 2**30:.1f} GiB (at most "
                f"{MAX_WINDOW_BYTES / 2**30:g}): shorten the window or pick fewer channels")
        if decoder is None and not windows_only:
            kind = config.decoder["kind"]
            if needs_training(kind):
                raise ConfigError(f"{config.origin}: decoder '{kind}' must be trained first: "
                                  f"run 'bci train {config.origin} --data FILE --out MODEL' "
                                  "and run the model")
            params = {k: v for k, v in config.decoder.items() if k != "kind"}
            try:
                decoder = make_decoder(kind, params, sfreq=self.sfreq,
                                       classes=config.classes or None)
                decoder.fit(None)  # training-free: fit only checks the parameters
            except (ConfigError, ValueError) as err:
                raise ConfigError(f"{config.origin}: [decoder] {err}") from None
        self.decoder = decoder
        from bci.decoders.continuous import is_regression

        # A regression decoder (ridge, Kalman...) outputs one value per target and keeps
        # state across windows: it starts from reset, and restarts with the filters.
        self.regression = decoder is not None and is_regression(decoder)
        self.targets: list[str] = (list(getattr(decoder, "target_names_", []) or ["value"])
                                   if self.regression else [])
        if self.regression:
            decoder.reset()
        self.classes: list[str] | None = (
            [str(c) for c in decoder.classes_] if hasattr(decoder, "classes_")
            and not self.regression else None)
        self.score_names = self.classes or list(self.targets)
        if decoder is not None and self.classes is None and not self.regression:
            self.score_names = _feature_names(decoder, self.filters.ch_names_out,
                                              self._window_samples(config))
        self.windows_only = windows_only
        self.window_checks = list(window_checks)
        self._steps = _unrolled(decoder)
        self.stats = LatencyStats({"filters": config.budget.get("chunk"),
                                   "decoder": config.budget.get("decoder"),
                                   "end_to_end": config.budget.get("end_to_end")})
        self.end_to_end_budget = config.budget.get("end_to_end")
        if config.mode == "sliding":
            self.windows: SlidingWindows | MarkerEpocher = SlidingWindows(
                n_out, max(int(round(config.window * self.sfreq)), 1),
                max(int(round(config.step * self.sfreq)), 1))
        else:
            self.windows = MarkerEpocher(n_out, self.sfreq, config.events, config.tmin,
                                         config.tmax, period=period)
        self._repaired: list[tuple[int, int]] = []  # (start, stop) of repaired samples
        self._repairing = False  # inside a run of chunks with repaired samples
        self._repaired_in_run = 0
        self._stop_index = 0

    def _window_samples(self, config: PipelineConfig) -> int:
        if config.mode == "sliding":
            return max(int(round(config.window * self.sfreq)), 1)
        return int(round(config.tmax * self.sfreq)) - int(round(config.tmin * self.sfreq))

    @property
    def stop_index(self) -> int:
        """Samples received so far (one past the newest sample processed)."""
        return self._stop_index

    # -- feeding ---------------------------------------------------------------------

    def process(self, chunk: Chunk | None, markers: Iterable[Marker] = (), *,
                now: float | None = None, gaps: Sequence[Gap] = ()) -> Step:
        """Run one chunk (and/or markers) through the pipeline.

        Parameters
        ----------
        chunk : Chunk or None
            New samples of the stream (None when only markers arrived).
        markers : iterable of Marker
            New markers.
        now : float or None
            LSL time, live only: when several sliding windows complete at once and the
            older ones are already past the end-to-end budget, only the newest is
            decoded (the others are counted as ``skipped_windows``). Offline: None,
            every window is decoded.
        gaps : sequence of Gap
            Gaps the inlet found inside this chunk; filters and windows restart after
            each, so no window spans one. Each is also a ``gap`` status event.

        Returns
        -------
        Step
            The decisions (or, windows-only, the windows) and the status events.
        """
        markers = tuple(markers)
        gaps = tuple(gaps)
        events: list[StatusEvent] = []
        for gap in gaps:
            self.stats.count("gaps")
            self.stats.count("samples_missing", gap.n_missing)
            events.append(StatusEvent(
                "gap", f"gap: {gap.n_missing} samples ({gap.duration * 1e3:.1f} ms) "
                       f"missing before t={gap.time:.6f}", gap.time))
        if markers and isinstance(self.windows, MarkerEpocher):
            self.windows.push_markers(list(markers))
        windows: list[Window] = []
        if chunk is None:
            if isinstance(self.windows, MarkerEpocher) and markers:
                windows = self.windows.emit()
        else:
            repaired = 0
            for part, restart in _split_at_gaps(chunk, gaps):
                if restart:
                    self.restart(part.first_index)
                part_windows, part_repaired = self._filter_and_window(part)
                windows.extend(part_windows)
                repaired += part_repaired
            self._stop_index = chunk.stop_index
            events.extend(self._repair_events(repaired, chunk))
        if self.windows_only:
            return Step(chunk=chunk, markers=markers, gaps=gaps, windows=tuple(windows),
                        events=tuple(events), stop_index=self._stop_index)
        decided, decisions = self._decide_all(windows, now, events)
        return Step(chunk=chunk, markers=markers, gaps=gaps, decisions=tuple(decisions),
                    windows=tuple(decided), events=tuple(events),
                    stop_index=self._stop_index)

    def _repair_events(self, repaired: int, chunk: Chunk) -> list[StatusEvent]:
        # A burst of NaN/Inf samples spans many chunks: one event when it starts and one
        # when it ends (with the count), not one per chunk.
        if repaired:
            self._repaired_in_run += repaired
            if not self._repairing:
                self._repairing = True
                return [StatusEvent("nonfinite", "nonfinite: NaN/Inf samples arriving, "
                                    "held at the last finite value, their windows "
                                    "withheld", float(chunk.times[0]))]
            return []
        if self._repairing:
            self._repairing = False
            count, self._repaired_in_run = self._repaired_in_run, 0
            return [StatusEvent("nonfinite", f"nonfinite: {count} NaN/Inf samples "
                                "repaired, their windows withheld; finite again",
                                float(chunk.times[0]) if chunk.n_times else None)]
        return []

    def _filter_and_window(self, chunk: Chunk) -> tuple[list[Window], int]:
        stats = self.stats
        started = time.perf_counter_ns()
        data = chunk.data if self._all_picked else chunk.data[self.picks]
        for check in self.window_checks:
            check.push_raw(data, chunk.first_index)
        filtered = self.filters(data)  # repairs NaN/Inf first (FilterChain's guard)
        repaired = self.filters.repaired_
        middle = time.perf_counter_ns()
        stats.stage("filters").add((middle - started) / 1e6)
        stats.count("chunks")
        stats.count("samples", chunk.n_times)
        n_repaired = 0
        if repaired.any():
            bad = np.flatnonzero(repaired)
            n_repaired = int(bad.size)
            stats.count("nonfinite_samples", n_repaired)
            self._repaired.append((chunk.first_index + int(bad[0]),
                                   chunk.first_index + int(bad[-1]) + 1))
        windows = self.windows.push(Chunk(filtered, chunk.times, chunk.first_index))
        stats.stage("windows").add((time.perf_counter_ns() - middle) / 1e6)
        return windows, n_repaired

    def _decide_all(self, windows: list[Window], now: float | None,
                    events: list[StatusEvent]) -> tuple[list[Window], list[Decision]]:
        if not windows:
            return [], []
        if (now is not None and len(windows) > 1 and self.end_to_end_budget is not None
                and isinstance(self.windows, SlidingWindows)):
            budget = self.end_to_end_budget / 1e3
            fresh = [w for w in windows[:-1] if now - w.end_time <= budget]
            self.stats.count("skipped_windows", len(windows) - 1 - len(fresh))
            windows = [*fresh, windows[-1]]
        decided, decisions = [], []
        for window in windows:
            if self._touches_repaired(window):
                self.stats.count("withheld_windows")
                continue
            try:
                decision = self.decide(window)
            except (ValueError, ArithmeticError, np.linalg.LinAlgError) as err:
                # Bad data (a flat channel's singular covariance, ...) costs this window,
                # never the session: counted, reported, and the loop goes on.
                self.stats.count("decoder_errors")
                events.append(StatusEvent(
                    "decoder_error", f"decoder error, window skipped: "
                                     f"{type(err).__name__}: {err}", window.end_time))
                continue
            decided.append(window)
            decisions.append(decision)
        return decided, decisions

    def _touches_repaired(self, window: Window) -> bool:
        # Forget repaired spans older than anything the window stage still holds: no
        # future window (not even a late marker's epoch) can reach them.
        oldest_held = self.windows.oldest_index()
        self._repaired = [(a, b) for a, b in self._repaired if b > oldest_held]
        return any(a < window.stop_index and b > window.start_index
                   for a, b in self._repaired)

    @staticmethod
    def _trusted_input():
        # Decoders run on windows the pipeline has already made finite (NaN guard,
        # withheld windows), with parameters checked at fit: scikit-learn's per-call
        # input and parameter validation only costs time (0.5 ms of a 64-channel CSP-LDA
        # decision). config_context is thread-local, so it reaches nothing else.
        from sklearn import config_context

        return config_context(assume_finite=True, skip_parameter_validation=True)

    def _decode(self, X: np.ndarray) -> tuple[float, str | None, np.ndarray]:
        if self.regression:
            from bci.decoders.continuous import continuous_decision

            value, outputs = continuous_decision(self.decoder, X[0])  # state advances
            return value, None, outputs
        if self.classes is None:
            # A continuous output: the value, and its features as the scores. With several
            # bands the value is the first band's (all bands are in the scores).
            if hasattr(self.decoder, "value_from_features"):
                features = np.asarray(self.decoder.transform(X), dtype=float)
                value = float(np.ravel(self.decoder.value_from_features(features))[0])
                scores = features.ravel()
            else:
                value = float(np.ravel(self.decoder.decision_function(X))[0])
                scores = np.array([value])
            label = None
        else:
            decoder = self.decoder
            if self._steps is not None:
                # A fitted scikit-learn Pipeline, run step by step: what its own
                # predict_proba does, without the tag lookups (deep copies) it makes on
                # every call.
                transformers, decoder = self._steps
                for step in transformers:
                    X = step.transform(X)
            if hasattr(decoder, "predict_proba"):
                scores = np.asarray(decoder.predict_proba(X), dtype=float)[0]
            else:
                raw = np.asarray(decoder.decision_function(X), dtype=float)
                scores = (np.array([-raw.ravel()[0], raw.ravel()[0]]) if raw.ndim == 1
                          or raw.shape[-1] == 1 else raw[0])
            index = int(np.argmax(scores))
            value, label = float(index), self.classes[index]
        return value, label, scores

    def decide(self, window: Window) -> Decision:
        """Run the decoder on one window."""
        started = time.perf_counter_ns()
        X = window.data[np.newaxis]
        with self._trusted_input():
            value, label, scores = self._decode(X)
        self.stats.stage("decoder").add((time.perf_counter_ns() - started) / 1e6)
        self.stats.count("decisions")
        artifact = None
        for check in self.window_checks:
            artifact = check.check(window)
            if artifact is not None:
                self.stats.count("artifact_windows")
                break
        return Decision(value=value, label=label, scores=scores, window_end=window.end_time,
                        stop_index=window.stop_index, true_label=window.label,
                        event_time=window.event_time, artifact=artifact)

    # -- discontinuities -------------------------------------------------------------

    def restart(self, at_index: int) -> None:
        """Re-synchronise after a discontinuity: fresh filter state, no window across it."""
        self.filters.reset()
        self.windows.reset(at_index)
        if self.regression:
            self.decoder.reset()  # a Kalman estimate must not carry across a gap
        self.stats.count("restarts")
        self._repaired.clear()


def _split_at_gaps(chunk: Chunk, gaps: Sequence[Gap]) -> list[tuple[Chunk, bool]]:
    """Cut a chunk before each gap that ends inside it; flag the parts that follow one."""
    cuts = {g.index - chunk.first_index for g in gaps
            if chunk.first_index <= g.index < chunk.stop_index}
    if not cuts:
        return [(chunk, False)]
    bounds = sorted(cuts | {0, chunk.n_times})
    return [(Chunk(chunk.data[:, a:b], chunk.times[a:b], chunk.first_index + a), a in cuts)
            for a, b in pairwise(bounds) if b > a]


def _unrolled(decoder: object) -> tuple[list, object] | None:
    """The transformers and the final estimator of a fitted scikit-learn ``Pipeline``."""
    from sklearn.pipeline import Pipeline as SklearnPipeline

    if not isinstance(decoder, SklearnPipeline):
        return None
    steps = [step for _, step in decoder.steps]
    if any(step is None or step == "passthrough" for step in steps):
        return None
    return steps[:-1], steps[-1]


def _feature_names(decoder: object, ch_names: Sequence[str], n_times: int) -> list[str]:
    """Names of a continuous decoder's features (the score channels of its stream).

    The count comes from one call on a zero window of the live shape, done once at
    set-up; band-power features are named ``<band>_<channel>`` (band-major, as
    ``BandPower.transform`` orders them).
    """
    if not hasattr(decoder, "transform"):
        return ["value"]
    n = np.asarray(decoder.transform(np.zeros((1, len(ch_names), n_times)))).size
    bands = list(getattr(decoder, "bands_", {}) or {})
    if bands and n == len(bands) * len(ch_names):
        return [f"{band}_{ch}" for band in bands for ch in ch_names]
    if n == len(ch_names):
        return list(ch_names)
    return [f"f{i}" for i in range(n)]
