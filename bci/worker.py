"""The one worker-thread lifecycle: start, stop, join, and errors that surface.

Every object of bci that owns a thread — a live :class:`~bci.runtime.Session`, the replay
:class:`~bci.replay.Player`, the :class:`~bci.record.Recorder` and the monitor's readers —
is a :class:`Worker`: ``start()`` runs ``_loop()`` on a daemon thread, ``stop()`` asks it
to end, joins it and re-raises what it raised, ``wait(timeout)`` waits for it to end by
itself, and ``with`` does start and stop. ``_loop`` must return soon after
``self._stop`` is set (block on ``self._stop.wait(t)``, or in liblsl with a timeout,
never spin). An exception in the thread is never swallowed: it is stored, the thread
ends, ``failed`` tells a supervisor at once, and ``stop()`` raises it.
"""

from __future__ import annotations

import threading
from typing import TypeVar

W = TypeVar("W", bound="Worker")


class Worker:
    """Base class for an object that owns exactly one worker thread.

    Parameters
    ----------
    name : str
        Thread name (shows in debuggers and ``py-spy``).

    Attributes
    ----------
    error : BaseException or None
        What the thread raised (until :meth:`stop` re-raises it).
    """

    def __init__(self, name: str) -> None:
        self._thread_name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    @property
    def thread_name(self) -> str:
        """The thread's name."""
        return self._thread_name

    def _loop(self) -> None:  # pragma: no cover - subclasses implement it
        raise NotImplementedError

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as err:  # re-raised in stop()
            self.error = err

    def start(self: W) -> W:
        """Start the worker thread."""
        self._stop.clear()
        self.error = None
        self._thread = threading.Thread(target=self._run, name=self._thread_name,
                                        daemon=True)
        self._thread.start()
        return self

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` (or :meth:`request_stop`) was called."""
        return self._stop.is_set()

    @property
    def failed(self) -> bool:
        """Whether the thread ended with an exception (``stop()`` will raise it)."""
        return self.error is not None

    def is_running(self) -> bool:
        """Whether the worker thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds for the thread to end by itself; True if it did."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def request_stop(self) -> None:
        """Ask the thread to end without waiting for it (``stop()`` joins later)."""
        self._stop.set()

    def stop(self) -> None:
        """Stop the worker, join it and re-raise its exception, if any."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def __enter__(self: W) -> W:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
