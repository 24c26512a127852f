"""Channel selection from the TOML ``[signal].picks``: a channel type or a list of names."""

from __future__ import annotations

from collections.abc import Sequence

import mne
import numpy as np

from bci.dsp._names import abbreviate, check_names
from bci.errors import ConfigError

__all__ = ["Picks"]


def _known_types() -> frozenset[str]:
    return frozenset(mne.io.get_channel_type_constants(include_defaults=True))


class Picks:
    """Select channels by type (``"eeg"``, ``"emg"``, ...) or by a list of names.

    Parameters
    ----------
    ch_names : sequence of str
        The stream's (or recording's) channel names.
    ch_types : sequence of str
        Their MNE channel types, one per name.
    picks : str or sequence of str or None
        A channel type such as ``"eeg"``; a list of channel names (kept in the order
        given, so a model sees its channels in training order whatever the stream's
        order); a list may also hold types, e.g. ``["eeg", "eog"]``. ``None`` or
        ``"all"`` keeps every channel.

    Attributes
    ----------
    indices : ndarray of int, shape (n_channels_out,)
        The selected channels, as indices into ``ch_names``.
    ch_names_out : list of str
        Their names.

    Raises
    ------
    ConfigError
        For an unknown name or type, a repeated name, or a selection that is empty.

    Notes
    -----
    Calling a ``Picks`` selects the rows of a chunk; the result is a new array
    (fancy indexing copies), so the input is never modified.
    """

    def __init__(
        self,
        ch_names: Sequence[str],
        ch_types: Sequence[str],
        picks: str | Sequence[str] | None = None,
    ) -> None:
        self.ch_names = list(ch_names)
        self.ch_types = list(ch_types)
        self.picks = picks
        if len(self.ch_names) != len(self.ch_types):
            raise ValueError(
                f"{len(self.ch_names)} channel names but {len(self.ch_types)} channel types: "
                "give one type per channel"
            )
        self.indices = self._resolve(picks)
        self.ch_names_out = [self.ch_names[i] for i in self.indices]

    @property
    def n_channels_out(self) -> int:
        """Number of selected channels."""
        return len(self.indices)

    def _resolve(self, picks: str | Sequence[str] | None) -> np.ndarray:
        n = len(self.ch_names)
        if picks is None or (isinstance(picks, str) and picks == "all"):
            if n == 0:
                raise ConfigError("picks: the stream has no channels")
            return np.arange(n)
        present_types = list(dict.fromkeys(self.ch_types))
        if isinstance(picks, str):
            if picks in _known_types() or picks in present_types:
                idx = [i for i, t in enumerate(self.ch_types) if t == picks]
                if not idx:
                    raise ConfigError(
                        f"picks={picks!r}: no channel of type {picks!r}; the stream has "
                        f"types {', '.join(map(repr, present_types))}: pick one of those "
                        "or list channel names"
                    )
                return np.asarray(idx, dtype=np.intp)
            if picks in self.ch_names:
                return np.asarray([self.ch_names.index(picks)], dtype=np.intp)
            raise ConfigError(
                f"picks={picks!r} is neither a channel type (the stream has "
                f"{', '.join(map(repr, present_types))}) nor a channel name "
                f"({abbreviate(self.ch_names)}): use a type such as 'eeg' or a list of names"
            )
        if not isinstance(picks, Sequence) or not all(isinstance(p, str) for p in picks):
            raise ConfigError(
                f"picks={picks!r} must be a channel type such as 'eeg' or a list of channel names"
            )
        if len(picks) == 0:
            raise ConfigError("picks=[] selects no channel: list at least one name or use 'eeg'")
        names = set(self.ch_names)
        types = _known_types() | set(present_types)
        # Names win over types: a channel may well be called 'ecg'.
        as_names = [p for p in picks if p in names or p not in types]
        check_names("picks", as_names, self.ch_names)
        idx: list[int] = []
        for p in picks:
            if p in names:
                idx.append(self.ch_names.index(p))
            else:
                idx.extend(i for i, t in enumerate(self.ch_types) if t == p)
        if not idx:
            raise ConfigError(
                f"picks={list(picks)!r} selects no channel (the stream has types "
                f"{', '.join(map(repr, present_types))}): list channel names or other types"
            )
        if len(set(idx)) != len(idx):
            raise ConfigError(
                f"picks={list(picks)!r} selects some channels twice (a name and its type): "
                "list each channel once"
            )
        return np.asarray(idx, dtype=np.intp)

    def reset(self) -> None:
        """Nothing to forget: selection is stateless (present for the Stage protocol)."""

    def __call__(self, data: np.typing.ArrayLike) -> np.ndarray:
        """Select the picked rows of a chunk.

        Parameters
        ----------
        data : array-like, shape (n_channels, n_times)
            The chunk; never modified.

        Returns
        -------
        ndarray, shape (n_channels_out, n_times)
            A new array.
        """
        x = np.asarray(data, dtype=np.float64)
        if x.ndim != 2 or x.shape[0] != len(self.ch_names):
            raise ValueError(
                f"chunk has shape {x.shape} but the picks were made from "
                f"{len(self.ch_names)} channels: pass (n_channels, n_times) chunks"
            )
        return x[self.indices]

    def __repr__(self) -> str:
        return f"Picks({self.picks!r}: {self.n_channels_out} of {len(self.ch_names)} channels)"
