"""What happened to a connection, as explicit events a session loop drains."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Every kind of :class:`InletEvent`, and what it means.
EVENT_KINDS = {
    "source_lost": "the source withdrew its outlet; looking for it again by the query",
    "source_replaced": "a source answering the query was connected after an outage",
    "source_refused": "a source answering the query does not match the stream (channels, "
                      "rate or labels) and is not decoded",
    "source_ambiguous": "several sources answer the query; the rule picked one",
    "clock_jump": "the source's timestamps jumped while samples kept arriving on time",
    "clock_jumps_ended": "a run of several clock jumps has ended",
}


@dataclass(frozen=True)
class InletEvent:
    """One thing that happened to an inlet's connection or to its source's clock.

    Attributes
    ----------
    kind : str
        One of :data:`EVENT_KINDS`.
    message : str
        One line for a person (a status stream, a log).
    time : float
        LSL time (``pylsl.local_clock()``) at which it was noticed.
    details : dict
        Numbers for counters, e.g. ``outage_s``, ``n_missing``, ``uid``, ``source_id``,
        ``jump_s``; JSON-serialisable.
    """

    kind: str
    message: str
    time: float
    details: dict[str, Any] = field(default_factory=dict)
