"""The traces panel's maths, without Qt: peak decimation and the layout of the rows.

Drawing 64 channels x 10 000 samples 60 times a second on two cores is the hard part of
the monitor, so the panel decimates the signal itself, the way pyqtgraph's *peak*
downsampling does (a min/max pair per pixel column pair), but incrementally:

* :class:`Envelope` keeps the min, max and sum of bins of ``ds`` samples aligned to the
  absolute sample index: a complete bin never changes, so each frame bins only the
  samples that arrived since the last one, and the picture does not shimmer as it
  scrolls. The samples after the last complete bin are drawn one by one, so the newest
  sample is always on screen, at x = 0.
* :func:`compose_frame` turns an envelope into the points of one :class:`TraceFrame`:
  x relative to the newest sample, y stacked one row per channel, scaled and centred.

Everything here is plain numpy on arrays and ring-buffer reads, tested without a display
(``tests/test_trace_math.py``); ``trace_items`` paints a frame, ``traces`` is the widget.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bci.stream.units import VOLTAGE_TYPES

#: Trace colours per channel type (two shades, alternating row by row, so neighbouring
#: rows are told apart at 256 channels).
TYPE_COLOURS = {
    "eeg": ((120, 190, 255), (80, 150, 230)),
    "emg": ((255, 170, 90), (230, 130, 60)),
    "eog": ((130, 230, 130), (90, 200, 90)),
    "ecg": ((255, 110, 110), (220, 80, 80)),
    "stim": ((200, 150, 255), (170, 120, 230)),
}
OTHER_COLOURS = ((200, 200, 200), (160, 160, 160))
SELECTED_COLOUR = (255, 235, 80)

#: Factor per key press or wheel notch when scaling.
SCALE_STEP = 1.25

#: Pixels of height a row label needs; shorter rows are labelled every other (third...).
LABEL_PIXELS = 9.0


class SpanReader(Protocol):
    """What an :class:`Envelope` reads from: :class:`bci.stream.ring.RingBuffer`."""

    n_written: int

    def span_rows(self, rows: np.ndarray, start: int, stop: int
                  ) -> tuple[np.ndarray, np.ndarray, int]:
        """Samples ``start`` to ``stop`` (absolute indices) still held, and the first."""


def format_si(value: float, unit: str) -> str:
    """``5e-05, 'V'`` -> ``'50 µV'``."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g} {unit}".strip()
    for factor, prefix in ((1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, ""), (1e3, "k")):
        if abs(value) < factor * 1000:
            return f"{value / factor:.3g} {prefix}{unit}".strip()
    return f"{value:.3g} {unit}".strip()


def channel_unit(ch_type: str) -> str:
    """Display unit of a channel type: volts for voltages, none otherwise."""
    return "V" if ch_type in VOLTAGE_TYPES else ""


def bin_size(n_window: int, width_pixels: float, bin_pixels: float) -> int:
    """Samples per min/max bin: one bin per ``bin_pixels`` columns (at least 50 bins).

    Two columns per min/max pair halve the painting (which costs in proportion to the
    points) for an envelope one can hardly tell apart from one pair per column.
    """
    width = max(int(width_pixels / bin_pixels), 50)
    return max(n_window // width, 1)


def bin_extrema(data: np.ndarray, ds: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Min, max and sum of consecutive bins of ``ds`` samples of each row.

    Parameters
    ----------
    data : ndarray, shape (n_rows, n_bins * ds)
    ds : int

    Returns
    -------
    lows, highs, sums : ndarray, shape (n_rows, n_bins)

    Notes
    -----
    The bins are reduced over the first axis of a transposed copy: numpy reduces a short
    last axis slowly (13 ms for 64 x 10 000 at ds = 7, against 2.5 ms), and the first
    axis is summed in one fixed order, sample after sample, so a bin's sum is the same to
    the last bit whichever frame binned it (a pairwise sum over the last axis is not).
    """
    n_rows, n = data.shape
    body = np.ascontiguousarray(data.reshape(n_rows, n // ds, ds).transpose(2, 0, 1))
    return body.min(axis=0), body.max(axis=0), body.sum(axis=0)


class Envelope:
    """Min/max of fixed bins of ``ds`` samples, kept up to date incrementally.

    Bin ``b`` holds samples ``b * ds`` to ``(b + 1) * ds`` (absolute indices), so a bin's
    content never changes once complete and each frame only bins the samples that
    arrived since the last one (a few bins at 60 frames per second) instead of the whole
    window: reading, binning and centring 64 x 10 000 samples every frame cost 5-6 ms.
    The samples after the last complete bin (1 to ``ds``: a bin counts as complete once
    a later sample arrived) are kept as they are and drawn sample by sample, so the
    newest sample is always on screen, at x = 0.

    Parameters
    ----------
    n_rows : int
        Channels.
    ds : int
        Samples per bin.
    n_window : int
        Samples in the time window (bins wholly inside it are kept).
    key : tuple
        What the envelope was made for (ring, channels, ``ds``, window): a new key means
        a new envelope.

    Attributes
    ----------
    lows, highs, sums : ndarray, shape (n_rows, capacity)
        Per bin (slot ``b % capacity``): minimum, maximum and sum of its samples.
    starts, middles : ndarray, shape (capacity,)
        Time of each bin's first and middle sample (where the min and max are drawn).
    first_bin, next_bin : int
        Bins ``first_bin`` to ``next_bin - 1`` are complete and inside the window.
    tail, tail_times : ndarray
        The samples after the last complete bin.
    stop : int
        Absolute index one past the newest sample seen.
    newest_time : float
        Timestamp of that sample.
    """

    def __init__(self, n_rows: int, ds: int, n_window: int, key: tuple = ()) -> None:
        self.key = key
        self.ds = ds
        self.n_window = n_window
        self.capacity = n_window // ds + 2
        self.lows = np.zeros((n_rows, self.capacity))
        self.highs = np.zeros((n_rows, self.capacity))
        self.sums = np.zeros((n_rows, self.capacity))
        self.starts = np.zeros(self.capacity)
        self.middles = np.zeros(self.capacity)
        self.first_bin = self.next_bin = 0
        self._held_from = 0  # first bin binned since the last jump (older slots: stale)
        self.tail = np.empty((n_rows, 0))
        self.tail_times = np.empty(0)
        self.stop = 0
        self.newest_time = 0.0

    @property
    def first(self) -> int:
        """Absolute index of the oldest sample in the envelope."""
        return self.first_bin * self.ds

    @property
    def n_samples(self) -> int:
        """Samples the envelope summarises: its complete bins and the tail."""
        return (self.next_bin - self.first_bin) * self.ds + self.tail_times.size

    def update(self, ring: SpanReader, rows: np.ndarray, stop: int) -> bool:
        """Bin the samples of ``rows`` up to ``stop``; False when nothing was held yet."""
        ds = self.ds
        first_bin = max(-(-(stop - self.n_window) // ds), 0)  # ceil division
        if stop < self.stop or self.next_bin < first_bin:
            # Jumped ahead (or back): start from the window.
            self.next_bin = self._held_from = first_bin
        start = self.next_bin * ds
        data, times, first = ring.span_rows(rows, start, stop)
        if times.size == 0:
            return self.stop > 0
        if first > start:  # those samples are gone (a long pause): skip to what is held
            self.next_bin = self._held_from = -(-first // ds)
            skip = self.next_bin * ds - first
            data, times = data[:, skip:], times[skip:]
        # A bin is complete once a later sample arrived: the newest sample always stays
        # in the tail, drawn at its own time (x = 0), not at a bin's middle.
        n_bins = (times.size - 1) // ds
        if n_bins:
            lows, highs, sums = bin_extrema(data[:, :n_bins * ds], ds)
            slots = np.arange(self.next_bin, self.next_bin + n_bins) % self.capacity
            if n_bins > self.capacity:  # only the newest capacity bins fit
                slots, lows, highs, sums = (slots[-self.capacity:], lows[:, -self.capacity:],
                                            highs[:, -self.capacity:],
                                            sums[:, -self.capacity:])
                binned_times = times[(n_bins - self.capacity) * ds:n_bins * ds]
            else:
                binned_times = times[:n_bins * ds]
            self.lows[:, slots] = lows
            self.highs[:, slots] = highs
            self.sums[:, slots] = sums
            self.starts[slots] = binned_times[::ds]
            self.middles[slots] = binned_times[ds // 2::ds]
            self.next_bin += n_bins
        self.tail = data[:, n_bins * ds:]
        self.tail_times = times[n_bins * ds:]
        # The window's bins, as far as the slots still hold them.
        self.first_bin = min(max(first_bin, self.next_bin - self.capacity, self._held_from),
                             self.next_bin)
        self.stop = stop
        self.newest_time = float(times[-1])
        return True

    def slots(self) -> np.ndarray:
        """Slots of the bins on screen, oldest first."""
        return np.arange(self.first_bin, self.next_bin) % self.capacity

    def means(self) -> np.ndarray:
        """Mean of every row over the samples of the envelope (zeros when empty)."""
        count = self.n_samples
        if not count:
            return np.zeros(self.lows.shape[0])
        return (self.sums[:, self.slots()].sum(axis=1) + self.tail.sum(axis=1)) / count

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """The polyline of every row, before scaling.

        Returns
        -------
        times : ndarray, shape (n_points,)
            LSL time of each point: per bin its first sample's (the minimum) and its
            middle sample's (the maximum), then every sample of the tail.
        values : ndarray, shape (n_rows, n_points)
            Per bin its min then its max (one point when ``ds == 1``), then the tail.
        """
        slots = self.slots()
        n_bins = slots.size
        if self.ds == 1:  # every sample is its own bin: one point each
            return (np.concatenate([self.starts[slots], self.tail_times]),
                    np.concatenate([self.lows[:, slots], self.tail], axis=1))
        n_points = 2 * n_bins + self.tail_times.size
        times = np.empty(n_points)
        times[:2 * n_bins:2] = self.starts[slots]
        times[1:2 * n_bins:2] = self.middles[slots]
        times[2 * n_bins:] = self.tail_times
        values = np.empty((self.lows.shape[0], n_points))
        values[:, :2 * n_bins:2] = self.lows[:, slots]
        values[:, 1:2 * n_bins:2] = self.highs[:, slots]
        values[:, 2 * n_bins:] = self.tail
        return times, values

    def max_points(self) -> int:
        """The most points :meth:`points` returns for this window and bin size.

        Polylines padded to this size can be reused from frame to frame.
        """
        if self.ds == 1:
            return self.capacity + 1
        return 2 * self.capacity + self.ds


def peak_envelope(data: np.ndarray, ds: int) -> np.ndarray:
    """Min/max per bin of ``ds`` samples, interleaved, then the samples left over.

    What :meth:`Envelope.points` returns for ``data`` when its first sample starts a
    bin: the newest sample is never binned (it is drawn at its own time), so the last
    1 to ``ds`` samples are left over.
    """
    n_bins = (data.shape[1] - 1) // ds
    if ds == 1:
        return data.copy()
    lows, highs, _ = bin_extrema(data[:, :n_bins * ds], ds)
    out = np.empty((data.shape[0], 2 * n_bins + data.shape[1] - n_bins * ds))
    out[:, :2 * n_bins:2] = lows
    out[:, 1:2 * n_bins:2] = highs
    out[:, 2 * n_bins:] = data[:, n_bins * ds:]
    return out


def row_offsets(n_rows: int) -> np.ndarray:
    """Vertical position of each row's zero: row 0 at 0, row k at -k (top to bottom)."""
    return -np.arange(n_rows, dtype=np.float64)


def stack_rows(values: np.ndarray, centres: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """``y = offset + (value - centre) * gain`` per row, clipped near the plot.

    Values far outside the plot are clipped to a row beyond its edges: the raster
    engine slows down on huge lines, and a clipped line still leaves the plot.
    """
    n_rows = values.shape[0]
    y = values - centres[:, np.newaxis]
    y *= gains[:, np.newaxis]
    y += row_offsets(n_rows)[:, np.newaxis]
    np.clip(y, -n_rows - 1.0, 2.0, out=y)
    return y


def row_at(y: float, n_rows: int) -> int | None:
    """The row drawn at height ``y`` (data coordinates), or None outside the rows."""
    k = int(round(-y))
    return k if 0 <= k < n_rows else None


def label_stride(n_rows: int, height_pixels: float) -> int:
    """Label every ``stride``-th row so that labels never overlap."""
    return max(1, int(math.ceil(n_rows * LABEL_PIXELS / max(height_pixels, 1.0))))


def row_colours(names: Sequence[str], types: Mapping[str, str],
                selected: str | None = None) -> list[tuple[int, int, int]]:
    """RGB of each row: its type's colour, two shades alternating, the selected one
    highlighted."""
    colours = []
    for k, name in enumerate(names):
        if name == selected:
            colours.append(SELECTED_COLOUR)
        else:
            colours.append(TYPE_COLOURS.get(types.get(name, ""), OTHER_COLOURS)[k % 2])
    return colours


def main_type(kinds: Sequence[str]) -> str:
    """The most common channel type (the first listed of the most common on a tie)."""
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    return max(counts, key=counts.__getitem__)


def fit_scales(lows: np.ndarray, highs: np.ndarray, kinds: Sequence[str], scale: float,
               per_channel: bool = False) -> tuple[float, list[float | None]]:
    """Scales that fit each row's amplitude into its row spacing.

    The 1-99 % range of each row (1st percentile of its minima to 99th of its maxima)
    fills 80 % of a row.

    Parameters
    ----------
    lows, highs : ndarray, shape (n_rows, n)
        Per row: the minima and maxima it is drawn from.
    kinds : sequence of str
        Channel type of each row.
    scale : float
        The global scale now (signal per row spacing); kept when no row of the main type
        has a spread.
    per_channel : bool
        Fit every row alone (else one scale for the rows of the main type).

    Returns
    -------
    scale : float
        The new global scale: the median spread of the rows of the main type, so their
        relative amplitudes stay comparable.
    factors : list of float or None
        Per row, its own factor on top of the global scale: for every row when
        ``per_channel``, else for rows of other types (a counter, an accelerometer);
        None for a row that follows the global scale; NaN for a flat row (no spread),
        whose factor stays as it was.
    """
    spread = (np.percentile(highs, 99, axis=1) - np.percentile(lows, 1, axis=1)) / 0.8
    main = main_type(kinds)
    good = [s for s, k in zip(spread, kinds, strict=True) if k == main and s > 0]
    if good:
        scale = float(np.median(good))
    factors: list[float | None] = []
    for s, kind in zip(spread, kinds, strict=True):
        if s <= 0:
            factors.append(math.nan)
        elif per_channel or kind != main:
            factors.append(float(s / scale))
        else:
            factors.append(None)
    return scale, factors


def markers_in_window(markers: Sequence[tuple[float, str]], newest_time: float,
                      window: float, speed: float = 1.0) -> list[tuple[float, str]]:
    """Markers (LSL time, label) inside the window, at x = (time - newest time) * speed.

    ``speed`` is a sped-up replay's (the stream's ``speed``): x is in seconds of the
    recording, as the samples are drawn.
    """
    shown = []
    for t, label in markers:
        x = (t - newest_time) * speed
        if -window <= x <= 0.0:
            shown.append((x, label))
    return shown


def event_classes(events: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Marker label -> class name, from a pipeline's ``[epochs].events`` (class -> labels).

    A label listed under two classes names both (``"left/right"``): the monitor shows
    what the configuration says, even when it is ambiguous.
    """
    named: dict[str, list[str]] = {}
    for name, labels in events.items():
        for label in labels:
            named.setdefault(str(label), []).append(str(name))
    return {label: "/".join(names) for label, names in named.items()}


def marker_text(label: str, classes: Mapping[str, str]) -> str:
    """What a marker is labelled on screen: ``"left (T1)"`` for a label a class is
    trained on, the label itself otherwise (``T0``, a rest the pipeline ignores)."""
    name = classes.get(label)
    return f"{name} ({label})" if name else label


@dataclass(frozen=True)
class TraceFrame:
    """One frame of the traces panel: what is painted and what it was computed from.

    Attributes
    ----------
    names : tuple of str
        Channels, top row first.
    newest_time : float
        LSL time of the newest sample (x = 0).
    first, stop : int
        Absolute sample indices (since the connection) of the oldest sample drawn and
        one past the newest.
    ds : int
        Samples per min/max bin (1: every sample drawn).
    n_bins : int
        Complete bins drawn (then ``stop - first - n_bins * ds`` samples one by one).
    x : ndarray, shape (n_points,)
        Seconds of signal relative to the newest sample: LSL seconds times ``speed``.
    y : ndarray, shape (n_rows, n_points)
        Stacked rows: ``offsets + (value - centres) * gains``, clipped.
    offsets, centres, gains : ndarray, shape (n_rows,)
        The display transform of each row.
    window : float
        Seconds on screen.
    markers : tuple of (float, str)
        Markers on screen: x (as the samples') and label.
    speed : float
        Replay speed of the stream (1 for hardware): a replay at ``--speed 8`` stamps
        its samples 8 times closer together, and its 10 s window (in samples) spans
        1.25 s of LSL time; x is scaled back so that it shows 10 s of the recording.
    """

    names: tuple[str, ...]
    newest_time: float
    first: int
    stop: int
    ds: int
    n_bins: int
    x: np.ndarray
    y: np.ndarray
    offsets: np.ndarray
    centres: np.ndarray
    gains: np.ndarray
    window: float
    markers: tuple[tuple[float, str], ...] = ()
    speed: float = 1.0


def compose_frame(envelope: Envelope, names: Sequence[str], gains: np.ndarray,
                  window: float, remove_dc: bool = True,
                  markers: Sequence[tuple[float, str]] = (),
                  speed: float = 1.0) -> TraceFrame:
    """The frame an envelope draws with these gains (rows per SI unit).

    ``remove_dc`` centres each row on its mean over the window (amplifiers send large
    offsets); ``markers`` are (LSL time, label) pairs, those inside the window are kept;
    ``speed`` is the stream's replay speed (x in seconds of the recording).
    """
    times, values = envelope.points()
    t_ref = envelope.newest_time
    centres = envelope.means() if remove_dc else np.zeros(len(names))
    gains = np.asarray(gains, dtype=np.float64)
    return TraceFrame(
        names=tuple(names), newest_time=t_ref, first=envelope.first, stop=envelope.stop,
        ds=envelope.ds, n_bins=envelope.next_bin - envelope.first_bin,
        x=(times - t_ref) * speed,
        y=stack_rows(values, centres, gains), offsets=row_offsets(len(names)),
        centres=centres, gains=gains, window=window,
        markers=tuple(markers_in_window(markers, t_ref, window, speed)), speed=speed)
