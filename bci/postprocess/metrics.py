"""What users of a gesture interface care about, measured against labelled segments.

:func:`gesture_metrics` scores a run (window decisions plus the stable output of a
:class:`~bci.postprocess.GestureStabiliser`) against the recording's labelled segments
``(start, stop, class)`` in samples, as :func:`bci.learn.segments.labelled_segments`
gives them. Every time is taken from sample indices (a decision's newest sample is
``stop_index - 1``), so the figures do not depend on replay speed or wall clock.

``window_accuracy``
    Fraction of window decisions whose window lies wholly inside one labelled segment
    (rest included) and whose label is that segment's class: the classifier's raw
    accuracy, as ``bci evaluate`` computes it.
``gesture_accuracy``
    Fraction of labelled gesture (non-rest) segments whose stable output is *mostly*
    the right gesture: among the decisions whose newest sample lies inside the segment,
    the labelled gesture is the stable output strictly more often than any other output
    (rest included). A segment with no decision inside counts as wrong.
``false_activations_per_min``
    Gesture onsets whose decision's newest sample lies inside a labelled rest segment,
    per minute of labelled rest. None when the recording has no labelled rest.
``onset_latency_ms``
    Median, over gesture segments that got one, of the time from the labelled onset to
    the first stable onset of the right gesture. That onset is the start of the stable
    episode of that gesture already running at the labelled onset, if it began after the
    previous labelled segment ended (the latency is then negative: the output came
    before the label, as when labels mark the held phase of a movement that began
    earlier), else the first onset of that gesture inside the segment. Segments with
    neither are counted in ``n_missed_onsets``. None when no segment got an onset.

Counts that qualify the figures come with them: ``n_windows_scored`` and
``n_windows_correct``, ``n_gesture_segments`` and ``n_gestures_correct``,
``n_missed_onsets``, ``n_false_activations``, ``n_onsets`` (every gesture onset of the
run, labelled time or not: more than ``n_gesture_segments`` means extra activations,
during transitions or of wrong gestures), ``rest_minutes`` and ``onset_latencies_ms``
(one per gesture segment, None where missed). :func:`pool_gesture_metrics` combines
recordings from these counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bci.postprocess.gestures import GestureEvent, WindowDecision

#: The headline keys of :func:`gesture_metrics`, as ``bci evaluate`` reports them.
METRIC_KEYS = ("window_accuracy", "gesture_accuracy", "false_activations_per_min",
               "onset_latency_ms")


def stable_from_events(decisions: Sequence[WindowDecision], events: Sequence[GestureEvent],
                       rest: str) -> list[str]:
    """The stable gesture after each decision, rebuilt from onset and offset events.

    Parameters
    ----------
    decisions : sequence of Decision
        In stream order.
    events : sequence of GestureEvent
        The stabiliser's events for those decisions (from a start at rest).
    rest : str
        The rest class.

    Returns
    -------
    list of str
    """
    stops = np.array([d.stop_index for d in decisions], dtype=np.int64)
    stable = np.full(len(stops), rest, dtype=object)
    for event in events:
        after = stops >= event.stop_index
        stable[after] = event.gesture if event.kind == "onset" else rest
    return list(stable)


def gesture_metrics(decisions: Sequence[WindowDecision],
                    stable: Sequence[str] | Sequence[GestureEvent],
                    segments: Sequence[tuple[int, int, str]], *, sfreq: float,
                    window: float, rest: str = "rest") -> dict:
    """Window accuracy, gesture accuracy, false activations in rest, onset latency.

    Parameters
    ----------
    decisions : sequence of Decision
        Every window decision of one recording, in order.
    stable : sequence of str, or sequence of GestureEvent
        The stable gesture after each decision (as :func:`~bci.postprocess.stabilise`
        returns it), or the stabiliser's events (the stable output is rebuilt from them).
    segments : sequence of (int, int, str)
        Labelled spans ``(start, stop, class)`` in samples, sorted by start.
    sfreq : float
        Sampling rate.
    window : float
        Window length in seconds (``[online].window``): which windows lie inside a
        segment.
    rest : str
        The class meaning "no gesture".

    Returns
    -------
    dict
        The keys of :data:`METRIC_KEYS` (definitions in the module notes), then the
        counts behind them (module notes). Undefined figures are None.
    """
    decisions = list(decisions)
    stable = list(stable)
    events: list[GestureEvent]
    if not stable or isinstance(stable[0], GestureEvent):  # events (maybe none at all)
        events = stable  # type: ignore[assignment]
        labels = stable_from_events(decisions, events, rest)
    else:
        if len(stable) != len(decisions):
            raise ValueError(f"{len(stable)} stable labels for {len(decisions)} decisions: "
                             "pass one per decision, or the events")
        labels = [str(s) for s in stable]
        events = _events_from_stable(decisions, labels, rest)
    segments = sorted((int(a), int(b), str(c)) for a, b, c in segments)
    length = max(int(round(window * sfreq)), 1)
    stops = np.array([d.stop_index for d in decisions], dtype=np.int64)
    newest = stops - 1

    # Window accuracy: windows wholly inside one segment.
    scored = correct = 0
    for (a, b, name) in segments:
        inside = (stops - length >= a) & (stops <= b)
        for k in np.flatnonzero(inside):
            scored += 1
            correct += decisions[k].label == name

    gesture_segments = [(i, s) for i, s in enumerate(segments) if s[2] != rest]
    right = 0
    latencies: list[float | None] = []
    onsets = [e for e in events if e.kind == "onset"]
    for i, (a, b, name) in gesture_segments:
        inside = np.flatnonzero((newest >= a) & (newest < b))
        if inside.size:
            outputs, counts = np.unique(np.array([labels[k] for k in inside], dtype=object),
                                        return_counts=True)
            best = counts.max()
            right += bool(best == counts[outputs == name].sum()
                          and np.sum(counts == best) == 1)
        previous_end = segments[i - 1][1] if i > 0 else 0
        onset = _first_onset(events, name, a, b, previous_end)
        latencies.append(None if onset is None
                         else (onset.stop_index - 1 - a) / sfreq * 1e3)

    rest_segments = [(a, b) for a, b, name in segments if name == rest]
    rest_samples = sum(b - a for a, b in rest_segments)
    false = sum(1 for e in onsets
                if any(a <= e.stop_index - 1 < b for a, b in rest_segments))
    rest_minutes = rest_samples / sfreq / 60.0
    return _summary(n_windows_scored=scored, n_windows_correct=correct,
                    n_gesture_segments=len(gesture_segments), n_gestures_correct=right,
                    n_false_activations=false, n_onsets=len(onsets),
                    rest_minutes=rest_minutes, onset_latencies_ms=latencies)


def pool_gesture_metrics(results: Sequence[dict]) -> dict:
    """The figures of several recordings taken together (not averaged per recording).

    Parameters
    ----------
    results : sequence of dict
        :func:`gesture_metrics` results, one per recording.

    Returns
    -------
    dict
        As :func:`gesture_metrics`: ratios of the summed counts, the median of every
        segment's latency.
    """
    def total(key: str) -> int:
        return sum(r[key] for r in results)

    return _summary(n_windows_scored=total("n_windows_scored"),
                    n_windows_correct=total("n_windows_correct"),
                    n_gesture_segments=total("n_gesture_segments"),
                    n_gestures_correct=total("n_gestures_correct"),
                    n_false_activations=total("n_false_activations"),
                    n_onsets=total("n_onsets"),
                    rest_minutes=sum(r["rest_minutes"] for r in results),
                    onset_latencies_ms=[x for r in results for x in r["onset_latencies_ms"]])


def _summary(*, n_windows_scored: int, n_windows_correct: int, n_gesture_segments: int,
             n_gestures_correct: int, n_false_activations: int, n_onsets: int,
             rest_minutes: float, onset_latencies_ms: list[float | None]) -> dict:
    found = [x for x in onset_latencies_ms if x is not None]
    return {
        "window_accuracy": (n_windows_correct / n_windows_scored
                            if n_windows_scored else None),
        "gesture_accuracy": (n_gestures_correct / n_gesture_segments
                             if n_gesture_segments else None),
        "false_activations_per_min": (n_false_activations / rest_minutes
                                      if rest_minutes > 0 else None),
        "onset_latency_ms": float(np.median(found)) if found else None,
        "n_windows_scored": n_windows_scored,
        "n_windows_correct": n_windows_correct,
        "n_gesture_segments": n_gesture_segments,
        "n_gestures_correct": n_gestures_correct,
        "n_missed_onsets": len(onset_latencies_ms) - len(found),
        "n_false_activations": n_false_activations,
        "n_onsets": n_onsets,
        "rest_minutes": rest_minutes,
        "onset_latencies_ms": onset_latencies_ms,
    }


def _first_onset(events: Sequence[GestureEvent], name: str, start: int, stop: int,
                 previous_end: int) -> GestureEvent | None:
    """The onset of ``name`` that answers the segment ``start..stop`` (module notes)."""
    before = [e for e in events if e.stop_index - 1 < start]
    # The last event before the segment tells what runs at its start: an onset of this
    # gesture, after the previous labelled segment ended, is the answer (early).
    running = before[-1] if before else None
    if (running is not None and running.kind == "onset" and running.gesture == name
            and running.stop_index - 1 >= previous_end):
        return running
    for event in events:
        if (event.kind == "onset" and event.gesture == name
                and start <= event.stop_index - 1 < stop):
            return event
    return None


def _events_from_stable(decisions: Sequence[WindowDecision], labels: Sequence[str],
                        rest: str) -> list[GestureEvent]:
    events: list[GestureEvent] = []
    previous = rest
    for decision, label in zip(decisions, labels, strict=True):
        if label == previous:
            continue
        time, stop = float(decision.window_end), int(decision.stop_index)
        if previous != rest:
            events.append(GestureEvent("offset", previous, time, stop))
        if label != rest:
            events.append(GestureEvent("onset", label, time, stop))
        previous = label
    return events


__all__ = ["METRIC_KEYS", "gesture_metrics", "pool_gesture_metrics", "stable_from_events"]
