"""The one worker thread of a live session: start, stop, and errors that surface.

Live sessions (decoding, neurofeedback) share this lifecycle: ``start()`` runs
``_loop()`` on a daemon thread, ``stop()`` asks it to end, joins it and re-raises what it
raised, and ``with`` does both. ``_loop`` must return soon after ``self._stop`` is set.
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
    """

    def __init__(self, name: str) -> None:
        self._thread_name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

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
        self._thread = threading.Thread(target=self._run, name=self._thread_name,
                                        daemon=True)
        self._thread.start()
        return self

    def is_running(self) -> bool:
        """Whether the worker is alive."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop the worker and re-raise its exception, if any."""
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
