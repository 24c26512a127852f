"""Turning a recording file (or a simulation) into replay sources."""

from __future__ import annotations

from pathlib import Path

from bci.replay.source import ReplaySource


def sources_from_file(path: str | Path, *, name: str | None = None) -> list[ReplaySource]:
    """Every signal stream of a recording, aligned in time, ready for :class:`Player`.

    Parameters
    ----------
    path : str or Path
        Any format :func:`bci.io.read_streams` reads.
    name : str or None
        Name of the main stream (default: the file's stem, as in ``bci replay``).

    Raises
    ------
    bci.errors.RecordingError
        When the file cannot be read.
    """
    from bci.io import read_streams

    path = Path(path)
    streams = read_streams(path)
    start = min(s.first_time for s in streams)
    stem = path.name.split(".")[0]
    sources = []
    for index, stream in enumerate(streams):
        stream_name = (name or stem) if index == 0 else stream.name
        sources.append(ReplaySource.from_raw(stream.raw, stream_name,
                                             offset=stream.first_time - start,
                                             stype=stream.stype or None))
    return sources


def sources_from_simulation(paradigm: str, *, duration: float | None = None, seed: int = 0,
                            name: str | None = None) -> list[ReplaySource]:
    """A simulated headset (see :func:`bci.datasets.simulate`) as one replay source."""
    from bci.datasets import simulate

    raw = simulate(paradigm, duration=duration, seed=seed)
    return [ReplaySource.from_raw(raw, name or f"sim-{paradigm}")]
