"""The live filter path built from the TOML ``[[filters]]`` list, one fused stage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from bci.dsp.nonfinite import NonFiniteGuard
from bci.dsp.reference import Reference
from bci.dsp.sos import (
    SosFilter,
    design_bandpass,
    design_highpass,
    design_lowpass,
    design_notch,
    stack_sos,
)
from bci.errors import ConfigError

__all__ = ["FILTER_KINDS", "FilterChain"]

#: Marks a key that has no default.
REQUIRED = "required"

#: Each ``[[filters]]`` kind with its keys and their defaults.
FILTER_KINDS: dict[str, dict[str, Any]] = {
    "bandpass": {"l_freq": REQUIRED, "h_freq": REQUIRED, "order": 4},
    "highpass": {"l_freq": REQUIRED, "order": 4},
    "lowpass": {"h_freq": REQUIRED, "order": 4},
    "notch": {"freq": 50.0, "harmonics": True, "quality": 30.0},
    "reference": {"ref": "average", "exclude": None},
}


def _design(kind: str, sfreq: float, params: dict[str, Any]) -> np.ndarray:
    if kind == "bandpass":
        return design_bandpass(sfreq, params["l_freq"], params["h_freq"], params["order"])
    if kind == "highpass":
        return design_highpass(sfreq, params["l_freq"], params["order"])
    if kind == "lowpass":
        return design_lowpass(sfreq, params["h_freq"], params["order"])
    return design_notch(sfreq, params["freq"], params["harmonics"], params["quality"])


class FilterChain:
    """Causal filters and re-referencing for the live loop, one cheap call per chunk.

    Every chunk goes through, in this order:

    1. a :class:`NonFiniteGuard` (always; it costs one sum per clean chunk): NaN/Inf
       samples are held at the channel's last finite value before anything mixes
       channels or enters a filter state; ``repaired_`` and ``n_nonfinite_`` report them;
    2. the :class:`Reference`, if the list has one;
    3. one :class:`SosFilter` holding every IIR stage of the list fused into one stacked
       SOS array, so a chunk costs a single ``sosfilt`` kernel call.

    Parameters
    ----------
    ch_names : sequence of str
        Input channels, in the order of the chunk's rows.
    sfreq : float
        Sampling rate in Hz.
    sos : array-like, shape (n_sections, 6), or None
        The fused IIR sections, or None for no IIR filtering.
    reference : Reference or None
        The re-referencing, or None.

    Attributes
    ----------
    repaired_ : ndarray of bool, shape (n_times,)
        For the most recent chunk: the samples where a non-finite value was repaired.
        Windows that contain such samples should not produce decisions.
    n_nonfinite_ : int
        Non-finite values repaired since the last :meth:`reset`.

    Notes
    -----
    **Why fusing is exact.** An SOS array is itself a cascade: ``sosfilt`` passes each
    section's output to the next. A bandpass followed by a notch is therefore the same
    computation as one array holding the bandpass sections followed by the notch
    sections; concatenating them changes nothing but the number of calls (see
    :func:`bci.dsp.stack_sos`).

    **Why the reference goes first.** Re-referencing applies the same linear map across
    channels at each sample; the filters apply the same linear time-invariant map along
    time to each channel. The two commute, including the initial state (scaled by the
    first sample, which is linear too), so in exact arithmetic the position of the
    reference in ``[[filters]]`` does not change the output. The chain applies it first
    because it can only reduce the number of channels the filter has to run on, and so
    that all IIR stages, wherever they are in the list, fuse into one call. In floating
    point the result differs from applying the stages in list order by rounding only
    (about 1e-16 relative); the chain's own output is bit-identical whatever the chunking.

    Only one ``reference`` stage is allowed: a second one would undo the first (the
    result depends only on the last reference's channels).
    """

    def __init__(
        self,
        ch_names: Sequence[str],
        sfreq: float,
        sos: np.typing.ArrayLike | None = None,
        reference: Reference | None = None,
    ) -> None:
        self.ch_names = list(ch_names)
        self.sfreq = float(sfreq)
        if not np.isfinite(self.sfreq) or self.sfreq <= 0:
            raise ConfigError(f"sfreq={sfreq} Hz must be positive: check the stream's rate")
        if not self.ch_names:
            raise ConfigError("the filter chain has no input channels: check [signal].picks")
        if reference is not None and reference.ch_names != self.ch_names:
            raise ValueError("the reference was built for other channels than the chain's")
        self.reference = reference
        self.ch_names_out = list(reference.ch_names_out) if reference else list(self.ch_names)
        self.guard = NonFiniteGuard(len(self.ch_names))
        self.filter = None if sos is None else SosFilter(sos, len(self.ch_names_out))

    @classmethod
    def from_config(
        cls,
        filters: Sequence[Mapping[str, Any]],
        sfreq: float,
        ch_names: Sequence[str],
    ) -> FilterChain:
        """Build the chain from the TOML ``[[filters]]`` tables.

        Parameters
        ----------
        filters : sequence of mapping, or None
            One mapping per ``[[filters]]`` table (None or empty: no filtering), each
            with ``kind`` (one of :data:`FILTER_KINDS`) and that kind's keys:
            ``l_freq``, ``h_freq``,
            ``order`` (bandpass, highpass, lowpass); ``freq``, ``harmonics``,
            ``quality`` (notch); ``ref``, ``exclude`` (reference).
        sfreq : float
            Sampling rate in Hz.
        ch_names : sequence of str
            The channels entering the chain (after ``[signal].picks``).

        Returns
        -------
        FilterChain

        Raises
        ------
        ConfigError
            For an unknown kind or key, a missing key, an invalid value or a second
            reference, naming the table (``[[filters]] #2``) and what to change.
        """
        ch_names = list(ch_names)
        sections: list[np.ndarray] = []
        reference: Reference | None = None
        reference_at = 0
        if filters is None:  # a TOML file without [[filters]]
            filters = []
        if isinstance(filters, Mapping) or not isinstance(filters, Sequence):
            raise ConfigError(
                "filters must be a list of tables: write each as [[filters]] in the TOML file"
            )
        for number, table in enumerate(filters, start=1):
            where = f"[[filters]] #{number}"
            if not isinstance(table, Mapping):
                raise ConfigError(f"{where} must be a table with a 'kind' key")
            kind = table.get("kind")
            if kind not in FILTER_KINDS:
                raise ConfigError(
                    f"{where}: unknown kind {kind!r}; valid kinds are {', '.join(FILTER_KINDS)}"
                )
            defaults = FILTER_KINDS[kind]
            unknown = [k for k in table if k != "kind" and k not in defaults]
            if unknown:
                raise ConfigError(
                    f"{where} (kind = {kind!r}): unknown key{'s' if len(unknown) > 1 else ''} "
                    f"{', '.join(map(repr, unknown))}; valid keys are "
                    f"{', '.join(['kind', *defaults])}"
                )
            params = {**defaults, **{k: v for k, v in table.items() if k != "kind"}}
            missing = [k for k in defaults if defaults[k] is REQUIRED and k not in table]
            if missing:
                raise ConfigError(
                    f"{where} (kind = {kind!r}): missing {', '.join(map(repr, missing))}: "
                    "add it in Hz"
                )
            try:
                if kind == "reference":
                    if reference is not None:
                        raise ConfigError(
                            f"a second reference (the first is [[filters]] #{reference_at}): "
                            "keep one; a later reference undoes an earlier one"
                        )
                    reference = Reference(ch_names, params["ref"], params["exclude"])
                    reference_at = number
                else:
                    sections.append(_design(kind, sfreq, params))
            except ConfigError as err:
                raise ConfigError(f"{where}: {err}") from None
        sos = stack_sos(sections) if sections else None
        return cls(ch_names, sfreq, sos=sos, reference=reference)

    @property
    def n_channels_in(self) -> int:
        """Number of input channels."""
        return len(self.ch_names)

    @property
    def n_channels_out(self) -> int:
        """Number of output channels (fewer than the input if the reference excludes)."""
        return len(self.ch_names_out)

    @property
    def sos_(self) -> np.ndarray | None:
        """The fused sections, or None when the chain has no IIR stage."""
        return None if self.filter is None else self.filter.sos_

    @property
    def repaired_(self) -> np.ndarray:
        """Samples of the most recent chunk where a non-finite value was repaired."""
        return self.guard.repaired_

    @property
    def n_nonfinite_(self) -> int:
        """Non-finite values repaired since the last reset."""
        return self.guard.n_nonfinite_

    def reset(self) -> None:
        """Forget all state: the next chunk starts as the first one did."""
        self.guard.reset()
        if self.filter is not None:
            self.filter.reset()

    def __call__(self, data: np.typing.ArrayLike) -> np.ndarray:
        """Filter one chunk.

        Parameters
        ----------
        data : array-like, shape (n_channels_in, n_times)
            The chunk; never modified.

        Returns
        -------
        ndarray, shape (n_channels_out, n_times)
            A new float64 array.
        """
        x = np.asarray(data, dtype=np.float64)
        if x.ndim != 2 or x.shape[0] != self.n_channels_in:
            raise ValueError(
                f"chunk has shape {x.shape} but the filter chain was built for "
                f"{self.n_channels_in} channels ({self.ch_names[0]!r}, ...): pass "
                "(n_channels, n_times) chunks of the picked channels"
            )
        y = self.guard(x)
        if self.reference is not None:
            y = self.reference(y)
        if self.filter is not None:
            y = self.filter(y)
        # Never hand the caller's own array back as the output.
        return y.copy() if y is data or y is x else y

    def __repr__(self) -> str:
        parts = []
        if self.reference is not None:
            parts.append(repr(self.reference))
        if self.filter is not None:
            parts.append(f"{self.filter.n_sections} fused sections")
        return (
            f"FilterChain({self.n_channels_in} channels at {self.sfreq} Hz: "
            + (", ".join(parts) or "no filters")
            + ")"
        )
