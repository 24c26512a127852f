"""Finding streams on the network."""

from __future__ import annotations

import logging
import time

import pylsl

from bci.errors import StreamError
from bci.stream.description import StreamDescription

logger = logging.getLogger(__name__)

#: Seconds to wait for further answers once one source answered a query.
GATHER_ANSWERS = 0.2


def list_streams(wait: float = 1.0) -> list[StreamDescription]:
    """Every stream visible on the network, after waiting ``wait`` seconds for answers."""
    return [StreamDescription.from_lsl(info) for info in pylsl.resolve_streams(wait)]


def _quote(value: str) -> str:
    return "'" + value.replace("'", "") + "'"


def query_clauses(name: str | None = None, *, stype: str | None = None,
                  source_id: str | None = None) -> list[str]:
    """The XPath clauses of LSL's ``resolve_bypred`` matching every given property."""
    clauses = []
    if name is not None:
        clauses.append(f"name={_quote(name)}")
    if stype is not None:
        clauses.append(f"type={_quote(stype)}")
    if source_id is not None:
        clauses.append(f"source_id={_quote(source_id)}")
    return clauses


def rank_candidates(found: list[pylsl.StreamInfo], source_id: str = ""
                    ) -> list[pylsl.StreamInfo]:
    """Sources answering one query, best first: the rule for choosing among them.

    A source with ``source_id`` (the one connected before, restarted) comes first;
    otherwise the most recently created source wins (a restarted amplifier app makes a
    newer outlet than a stale one left running elsewhere).
    """
    return sorted(found, key=lambda info: (bool(source_id) and info.source_id() == source_id,
                                           info.created_at()), reverse=True)


def describe_source(info: pylsl.StreamInfo) -> str:
    """``'name' (type, n ch, rate, source_id=..., host)`` for messages."""
    rate = f"{info.nominal_srate():g} Hz" if info.nominal_srate() else "irregular"
    return (f"'{info.name()}' ({info.type()}, {info.channel_count()} ch, {rate}, "
            f"source_id={info.source_id() or '-'}, host {info.hostname()})")


def resolve_candidates(name: str | None = None, *, stype: str | None = None,
                       source_id: str | None = None, timeout: float = 10.0
                       ) -> list[pylsl.StreamInfo]:
    """Wait for the streams matching every given property: all of them, best first.

    Parameters
    ----------
    name, stype, source_id : str or None
        Properties to match; at least one must be given.
    timeout : float
        Seconds to wait for a stream to appear.

    Returns
    -------
    list of pylsl.StreamInfo
        Every source answering within :data:`GATHER_ANSWERS` s of the first, ranked by
        :func:`rank_candidates` (the most recently created first).

    Raises
    ------
    StreamError
        When nothing matches within ``timeout``; the message lists what was visible.
    """
    clauses = query_clauses(name, stype=stype, source_id=source_id)
    if not clauses:
        raise StreamError("no stream given: name a stream (--stream NAME); "
                          "'bci streams' lists what is on the network")
    predicate = " and ".join(clauses)
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        found = pylsl.resolve_bypred(predicate, 1, max(min(remaining, 1.0), 0.05))
        if found:
            # The first answer is whichever host replied first; give the others a moment
            # so that the rule (the newest source) picks among all of them.
            more = pylsl.resolve_bypred(predicate, 0, GATHER_ANSWERS)
            by_uid = {info.uid(): info for info in [*found, *more]}
            return rank_candidates(list(by_uid.values()))
        if remaining <= 0:
            break
    seen = list_streams(0.5)
    listed = ", ".join(f"'{d.name}' ({d.stype}, {d.n_channels} ch, {d.sfreq:g} Hz)"
                       for d in seen[:10]) or "none"
    wanted = " and ".join(clauses)
    raise StreamError(f"no LSL stream with {wanted} appeared within {timeout:g} s "
                      f"(visible: {listed}): start the source, or check the name with "
                      "'bci streams'")


def resolve_stream(name: str | None = None, *, stype: str | None = None,
                   source_id: str | None = None, timeout: float = 10.0) -> pylsl.StreamInfo:
    """Wait for one stream matching every given property.

    Parameters
    ----------
    name, stype, source_id : str or None
        Properties to match; at least one must be given.
    timeout : float
        Seconds to wait for the stream to appear.

    Returns
    -------
    pylsl.StreamInfo
        When several sources match (answering within :data:`GATHER_ANSWERS` s of the
        first), the most recently created one; the others are named in a logged
        warning (a reader may otherwise get another session's stream of the same name).

    Raises
    ------
    StreamError
        When nothing matches within ``timeout``; the message lists what was visible.
    """
    chosen, *others = resolve_candidates(name, stype=stype, source_id=source_id,
                                         timeout=timeout)
    if others:
        wanted = " and ".join(query_clauses(name, stype=stype, source_id=source_id))
        logger.warning("%d streams answer %s: using %s (the newest), not %s",
                       len(others) + 1, wanted, describe_source(chosen),
                       "; ".join(describe_source(o) for o in others))
    return chosen
