"""What every ``bci`` subcommand shares: start-up, stopping, waiting and errors.

One supervisor for all commands:

- :func:`configure` — liblsl's quiet configuration, logging to stderr, SIGTERM stopping
  cleanly (as Ctrl-C does, so summaries and ``--stats`` files are written);
- :func:`run_command` — runs a command and turns every :class:`~bci.errors.BciError` into
  one line on stderr and exit status 1; Ctrl-C gives 130 for every command, whether it
  aborted the work (train) or was the command's way to stop (live, record, replay);
  SIGTERM that aborts the work gives 143, SIGTERM as a clean stop the command's status;
- :func:`wait_while` — the one "run until the duration ends, the worker stops, or Ctrl-C"
  loop every long-running command uses;
- :func:`one_blas_thread`, :func:`print_json`, :func:`check_duration`.
"""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bci.errors import BciError

log = logging.getLogger("bci")

_LSL_CONFIG = Path(__file__).resolve().parents[1] / "lsl_api.cfg"


#: The stop signals received while a command runs (SIGINT, SIGTERM), newest last: the
#: exit status depends on them even where a command catches the KeyboardInterrupt as
#: its normal way to stop. Process-wide, as signal handlers are.
_received: list[int] = []


def note_signal(signum: int) -> None:
    """Record a stop signal that a handler other than the supervisor's caught.

    Qt windows replace the SIGINT handler while their loop runs (``bci present``): they
    call this, so Ctrl-C still ends the command with status 130.
    """
    _received.append(int(signum))


def _stop_on_signal(signum: int, frame: object) -> None:
    note_signal(signum)
    raise KeyboardInterrupt  # stop cleanly: summaries and --stats files get written


def configure(verbose: bool = False) -> None:
    """Process-wide start-up, done once by ``bci`` (never by the library)."""
    # liblsl logs INFO lines (and reconnect notices) to stderr; the command line keeps
    # stderr for its own messages. A user's own LSLAPICFG wins.
    os.environ.setdefault("LSLAPICFG", str(_LSL_CONFIG))
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGINT, _stop_on_signal)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(message)s", stream=sys.stderr)
    logging.getLogger("pyxdf").setLevel(logging.WARNING)  # "Importing XDF file..." chatter


def run_command(command: Callable[[], int]) -> int:
    """Run a command; a user error is one line on stderr and exit status 1.

    Returns
    -------
    int
        The command's status; 1 after a :class:`~bci.errors.BciError`; 130 whenever
        Ctrl-C (SIGINT) was received, even when the command stopped cleanly on it (its
        summary is printed first); ``128 + signal`` when an interrupt aborted the
        command, so 143 for SIGTERM (which otherwise is a clean stop).
    """
    _received.clear()
    try:
        status = command()
    except BciError as err:
        sys.stderr.write(f"bci: error: {err}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("bci: interrupted\n")
        return 128 + (_received[-1] if _received else signal.SIGINT)
    if signal.SIGINT in _received:
        return 128 + signal.SIGINT
    return status


def check_duration(value: float | None, flag: str = "--duration") -> float | None:
    """Refuse a duration that is not a positive, finite number of seconds."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise BciError(f"{flag} must be a positive, finite number of seconds, got {value}")
    return value


def wait_while(running: Callable[[], bool], *, duration: float | None = None,
               every: float = 0.1, tick: Callable[[float], None] | None = None) -> str:
    """Block until ``duration`` seconds pass, ``running()`` turns False, or Ctrl-C.

    Parameters
    ----------
    running : callable
        E.g. a worker's ``is_running``.
    duration : float or None
        Seconds (None: until Ctrl-C or the worker ends).
    every : float
        Seconds between checks.
    tick : callable or None
        Called with the elapsed seconds at every check (progress lines, announcements).

    Returns
    -------
    str
        ``"duration"``, ``"ended"`` or ``"interrupted"``.
    """
    started = time.monotonic()
    try:
        while running():
            elapsed = time.monotonic() - started
            if duration is not None and elapsed >= duration:
                return "duration"
            if tick is not None:
                tick(elapsed)
            wait = every if duration is None else min(every, max(duration - elapsed, 0.0))
            time.sleep(wait)
    except KeyboardInterrupt:
        log.info("interrupted")
        return "interrupted"
    return "ended"


def one_blas_thread() -> None:
    """One BLAS thread for the whole process (never set by the library).

    A live process decodes one window at a time: a second OpenBLAS thread only fights
    liblsl and the replay for two cores (measured: tangent space p99 142 ms with two
    BLAS threads, 3.3 ms with one).
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def print_json(obj: object) -> None:
    """The one JSON object a ``--json`` command prints on stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, default=float) + "\n")
    sys.stdout.flush()


def write_json(path: str | Path, obj: object) -> Path:
    """Write ``obj`` as JSON (``--stats`` files), creating the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, default=float) + "\n", encoding="utf-8")
    return path
