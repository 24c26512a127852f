"""The assessment as a presenter timeline, and its markers read back into a CPT.

One timeline holds the whole session: instructions, eyes open, eyes closed, then the CPT
blocks. :class:`bci.present.Presenter` runs it (on a window or a virtual clock), so the
stimulus markers carry their flip times. Key presses are not frames: the window stamps
each one at its key event and pushes :data:`PRESS` (see ``bci_apps.cpt``).

Markers: ``assess:eyes-open``, ``assess:eyes-closed``, ``assess:cpt``,
``cpt:block:<k>``, ``cpt:go:<letter>``, ``cpt:nogo:<letter>``, :data:`PRESS`,
``assess:end``; the presenter adds ``bci:stopped`` on Esc.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bci.attention.cpt import Stimulus
from bci.attention.protocol import AssessProtocol
from bci.present.schedule import Segment, Timeline

__all__ = ["EYES_CLOSED", "EYES_OPEN", "PRESS", "ParsedMarkers", "build_assess_timeline",
           "parse_markers"]

EYES_OPEN, EYES_CLOSED, CPT_START, END = ("assess:eyes-open", "assess:eyes-closed",
                                          "assess:cpt", "assess:end")
PRESS = "cpt:press"
STOPPED = "bci:stopped"
PAUSE, RESUME = "bci:pause", "bci:resume"


def _block_letters(cpt, rng: np.random.Generator) -> list[tuple[str, bool, float]]:
    n = cpt.stimuli_per_block
    n_nogo = round((1 - cpt.target_ratio) * n)
    go = [cpt.letters[k % len(cpt.letters)] for k in rng.permutation(n - n_nogo)]
    # No-go letters never first and never two in a row: each after a distinct go letter.
    slots = set(rng.choice(n - n_nogo, size=n_nogo, replace=False).tolist())
    seq: list[tuple[str, bool]] = []
    for k, letter in enumerate(go):
        seq.append((letter, True))
        if k in slots:
            seq.append((cpt.nogo, False))
    soas = [cpt.soa[k % len(cpt.soa)] for k in range(n)]
    soas = [soas[k] for k in rng.permutation(n)]
    return [(letter, is_go, soa) for (letter, is_go), soa in zip(seq, soas, strict=True)]


def build_assess_timeline(protocol: AssessProtocol, seed: int = 0, *,
                          resting: bool = True) -> Timeline:
    """The session's segments for ``seed``.

    Segment kinds: ``blank``, ``instruct-open``, ``eyes-open``, ``instruct-closed``,
    ``eyes-closed``, ``instruct-cpt``, ``letter`` (``target`` = the letter, ``cue`` = 1
    for go and 0 for no-go, ``trial`` = stimulus index), ``soa`` (the blank after a
    letter, same ``trial``) and ``rest`` (between blocks).
    """
    rng = np.random.default_rng(seed)
    rest, cpt = protocol.resting, protocol.cpt
    segments: list[Segment] = []
    t = 0.0

    def add(duration: float, kind: str, markers: tuple[str, ...] = (), **kw) -> None:
        nonlocal t
        if duration > 0:
            segments.append(Segment(t, duration, kind, markers, **kw))
            t += duration

    add(protocol.lead, "blank")
    if resting:
        add(rest.instructions, "instruct-open")
        add(rest.eyes_open, "eyes-open", (EYES_OPEN,))
        add(rest.instructions, "instruct-closed")
        add(rest.eyes_closed, "eyes-closed", (EYES_CLOSED,))
    add(cpt.instructions, "instruct-cpt", (CPT_START,))
    index = 0
    for block in range(cpt.blocks):
        for k, (letter, go, soa) in enumerate(_block_letters(cpt, rng)):
            label = f"cpt:{'go' if go else 'nogo'}:{letter}"
            markers = (f"cpt:block:{block}", label) if k == 0 else (label,)
            add(cpt.stimulus, "letter", markers, cue=int(go), trial=index, target=letter)
            add(soa - cpt.stimulus, "soa", trial=index, target=letter)
            index += 1
        if block + 1 < cpt.blocks:
            add(cpt.rest, "rest")
    add(protocol.tail, "blank", (END,))
    return Timeline(tuple(segments), tuple(range(index)))


@dataclass(frozen=True)
class ParsedMarkers:
    """What a session's markers say.

    Attributes
    ----------
    stimuli : list of Stimulus
        The letters whose response window (to the next onset, or the end) was complete.
    presses : list of float
    eyes_open, eyes_closed : (float, float) or None
        LSL start and stop of each resting period (stop clipped to where the run ended).
    interrupted : bool
        The run stopped (Esc, Ctrl-C) before ``assess:end``.
    n_planned : int
        Letters in the timeline (when known), else the letters seen.
    end : float
        LSL time the run ended.
    pauses : list of (float, float)
        Paused stretches (P in the window): presses in them are dropped, resting
        periods last that much longer and their signal in a pause is left out.
    """

    stimuli: list
    presses: list
    eyes_open: tuple[float, float] | None
    eyes_closed: tuple[float, float] | None
    interrupted: bool
    n_planned: int
    end: float
    pauses: list = ()


def parse_markers(markers: Sequence[tuple[str, float]], protocol: AssessProtocol, *,
                  n_planned: int | None = None) -> ParsedMarkers:
    """Read a session's (label, LSL time) markers back (see :class:`ParsedMarkers`)."""
    markers = sorted(markers, key=lambda m: m[1])
    stimuli: list[Stimulus] = []
    presses: list[float] = []
    times: dict[str, float] = {}
    block = 0
    end = markers[-1][1] if markers else 0.0
    ended = stopped = False
    pauses: list[tuple[float, float]] = []
    paused_at: float | None = None
    for label, when in markers:
        if label == PAUSE:
            paused_at = when
        elif label == RESUME and paused_at is not None:
            pauses.append((paused_at, when))
            paused_at = None
        elif label == PRESS:
            if paused_at is None:
                presses.append(when)
        elif label.startswith("cpt:block:"):
            block = int(label.rsplit(":", 1)[1])
        elif label.startswith(("cpt:go:", "cpt:nogo:")):
            _, kind, letter = label.split(":", 2)
            stimuli.append(Stimulus(when, letter, kind == "go", block))
        elif label in (EYES_OPEN, EYES_CLOSED, CPT_START):
            times[label] = when
        elif label == END:
            ended, end = True, when
        elif label == STOPPED and not ended:
            stopped, end = True, when
    if paused_at is not None:
        pauses.append((paused_at, end))
    if CPT_START in times:  # a key pressed while resting is no CPT response
        presses = [p for p in presses if p >= times[CPT_START]]
    interrupted = stopped or not ended
    rest = protocol.resting

    def span(start: float, seconds: float) -> tuple[float, float]:
        # The run clock stops while paused: a period lasts its seconds plus its pauses.
        stop = start + seconds
        for p0, p1 in pauses:
            if p0 < stop and p1 > start:
                stop += p1 - max(p0, start)
        return start, min(stop, end)

    eo = span(times[EYES_OPEN], rest.eyes_open) if EYES_OPEN in times else None
    ec = span(times[EYES_CLOSED], rest.eyes_closed) if EYES_CLOSED in times else None
    if interrupted and stimuli:
        # A letter counts only once its whole response window was shown.
        longest = max(protocol.cpt.soa)
        last_complete = [s for s, nxt in zip(stimuli, [*stimuli[1:], None], strict=True)
                         if nxt is not None or s.onset + longest <= end]
        stimuli = last_complete
    return ParsedMarkers(stimuli, presses, eo, ec, interrupted,
                         n_planned if n_planned is not None else len(stimuli), end, pauses)
