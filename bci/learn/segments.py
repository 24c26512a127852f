"""Labelled segments: annotations with a duration that name a class (EMG gestures).

Training cuts sliding windows that lie wholly inside one segment; evaluation labels each
sliding decision with the segment its window lies in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bci.replay.source import ReplaySource


def labelled_segments(source: ReplaySource, events: Mapping[str, Sequence[str]]
                      ) -> list[tuple[int, int, str]]:
    """Sample spans ``(start, stop, class)`` of the annotations that name a class.

    Annotations with a duration are segments; a recording whose markers all are points
    (a cue stream) has each marker label the signal up to the next marker.
    """
    label_to_class = {label: name for name, labels in events.items() for label in labels}
    durations = list(source.durations) or [0.0] * len(source.markers)
    if source.markers and not any(d > 0 for d in durations):
        # Point markers only (an XDF cue stream, as `bci calibrate` writes: "rest", the
        # gesture's name, then the gesture's label while it is held): each marker labels
        # the signal until the next one, or to the end of the recording.
        onsets = [onset for onset, _ in source.markers]
        end = source.n_times / source.sfreq
        durations = [b - a for a, b in zip(onsets, [*onsets[1:], end], strict=True)]
    spans = []
    for (onset, label), duration in zip(source.markers, durations, strict=True):
        name = label_to_class.get(label)
        if name is not None and duration > 0:
            start = int(round(onset * source.sfreq))
            spans.append((start, start + int(round(duration * source.sfreq)), name))
    return spans


def segment_label(start: int, stop: int, segments: Sequence[tuple[int, int, str]]
                  ) -> str | None:
    """Class of the segment that wholly contains samples ``start..stop``, if any."""
    for a, b, name in segments:
        if a <= start and stop <= b:
            return name
    return None
