"""Pushing samples and markers to LSL."""

from __future__ import annotations

import ctypes
import time

import numpy as np
import pylsl

from bci.stream.description import StreamDescription
from bci.stream.units import to_wire, wire_scales

_DTYPES = {"float32": np.float32, "double64": np.float64, "int32": np.int32,
           "int16": np.int16, "int8": np.int8, "int64": np.int64}


class Outlet:
    """An LSL outlet that takes ``(n_channels, n_times)`` SI data with a time per sample.

    Parameters
    ----------
    description : StreamDescription
        What to announce; voltages are sent in the units it names (microvolts).
    chunk_size : int
        Preferred chunk size announced to inlets (0: as pushed).
    max_buffered : float
        Seconds of data the outlet keeps for slow inlets.
    """

    def __init__(self, description: StreamDescription, *, chunk_size: int = 0,
                 max_buffered: float = 360) -> None:
        self.description = description
        self._is_string = description.channel_format == "string"
        self._dtype = _DTYPES.get(description.channel_format, np.float32)
        self._scales = wire_scales(description.units, description.ch_types)
        self._outlet = pylsl.StreamOutlet(description.to_lsl(), chunk_size,
                                          int(max(max_buffered, 1)))

    def push(self, data: np.ndarray, times: np.ndarray) -> None:
        """Push samples, each stamped with its own LSL time.

        Parameters
        ----------
        data : ndarray, shape (n_channels, n_times)
            Values in SI units; converted to the wire's units and dtype here.
        times : ndarray, shape (n_times,)
            LSL timestamps, one per sample.
        """
        self.push_wire(to_wire(data, self._scales, self._dtype), times)

    def push_wire(self, wire: np.ndarray, times: np.ndarray) -> None:
        """Push samples already in wire layout ``(n_times, n_channels)`` and dtype."""
        n_times = wire.shape[0]
        if n_times == 0:
            return
        if times.shape != (n_times,) or wire.dtype != self._dtype or not (
                wire.flags.c_contiguous and wire.ndim == 2):
            # liblsl reads raw memory: a mismatch here would read past the arrays.
            raise ValueError(f"push_wire needs a C-contiguous ({n_times}, n_channels) "
                             f"{np.dtype(self._dtype).name} array and {n_times} timestamps")
        if n_times == 1:
            self._outlet.push_sample(wire[0], float(times[0]))
            return
        # pylsl turns a list of timestamps into a ctypes array with a Python loop; hand
        # liblsl a pointer to the float64 array instead (same C function pylsl calls).
        stamps = np.ascontiguousarray(times, dtype=np.float64)
        err = self._outlet.do_push_chunk_n(
            self._outlet.obj, ctypes.c_void_p(wire.ctypes.data), ctypes.c_long(wire.size),
            stamps.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), ctypes.c_int(1))
        pylsl.util.handle_error(err)

    def push_marker(self, label: str, time_: float) -> None:
        """Push one string marker stamped ``time_``."""
        self._outlet.push_sample([label], float(time_))

    def push_sample(self, values: np.ndarray | list, time_: float) -> None:
        """Push one sample of raw (wire) values, e.g. a decision."""
        self._outlet.push_sample(values, float(time_))

    def have_consumers(self) -> bool:
        """Whether at least one inlet is connected."""
        return bool(self._outlet.have_consumers())

    def wait_for_consumers(self, timeout: float) -> bool:
        """Block until an inlet connects or ``timeout`` passes; True if one did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._outlet.wait_for_consumers(min(0.1, timeout)):
                return True
        return self.have_consumers()

    def close(self) -> None:
        """Withdraw the stream from the network."""
        if self._outlet is not None:
            del self._outlet
            self._outlet = None

    def __enter__(self) -> Outlet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
