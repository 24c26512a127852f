"""Faults a replay can inject, to test what a live session does with real-world trouble.

A spec is a comma-separated list of ``KIND@SECONDS:VALUE`` items; ``SECONDS`` is the time
in the recording (seconds of signal since its first sample, not wall-clock time):

=================  ===================================================================
``drop@T:N``       N samples from T on are never sent (the timestamps skip: a gap)
``nan@T:N``        N samples from T on are sent as NaN on every channel (a NaN burst)
``pause@T:S``      nothing is sent for S seconds; then the held-back samples arrive in
                   one burst, stamped with their own due times (nothing is lost)
``restart@T:S``    the outlets are withdrawn for S seconds and created again with the
                   same source_id (a headset switched off and on; samples due meanwhile
                   are lost)
``jitter@T:MS``    from T on, each timestamp is late by a uniform 0..MS milliseconds
``shift@T:MS``     from T on, the source's clock jumps by MS milliseconds (negative: the
                   timestamps run backwards once); the samples still go out on schedule,
                   so a forward shift stamps them ahead of their push
=================  ===================================================================

Example: ``--fault drop@10:100,nan@20:32,restart@30:2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bci.errors import ConfigError

FAULT_KINDS = ("drop", "nan", "pause", "restart", "jitter", "shift")


@dataclass(frozen=True)
class Fault:
    """One fault: ``kind`` at ``at`` seconds of signal, with its ``value``."""

    kind: str
    at: float
    value: float

    def first_sample(self, sfreq: float) -> int:
        """Sample index (of the recording's main stream) where the fault begins."""
        return int(round(self.at * sfreq))


def parse_faults(spec: str | None) -> list[Fault]:
    """Parse a ``--fault`` spec (see the module docstring); '' or None gives no fault.

    Raises
    ------
    ConfigError
        One line naming the bad item and the valid forms.
    """
    faults = []
    for item in (spec or "").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            kind, rest = item.split("@", 1)
            at_text, value_text = rest.split(":", 1)
            fault = Fault(kind.strip().lower(), float(at_text), float(value_text))
        except ValueError:
            raise ConfigError(f"--fault item '{item}' is not KIND@SECONDS:VALUE (e.g. "
                              "drop@10:100): kinds are " + ", ".join(FAULT_KINDS)) from None
        if fault.kind not in FAULT_KINDS:
            raise ConfigError(f"--fault kind '{fault.kind}' is unknown: use one of "
                              + ", ".join(FAULT_KINDS))
        if not (math.isfinite(fault.at) and math.isfinite(fault.value)):
            raise ConfigError(f"--fault item '{item}' needs a finite time and value (got "
                              f"{fault.at:g} and {fault.value:g})")
        if fault.at < 0 or (fault.kind not in ("shift",) and fault.value < 0):
            raise ConfigError(f"--fault item '{item}' needs a non-negative time and value")
        faults.append(fault)
    return sorted(faults, key=lambda f: f.at)
