"""One-line explanations of channel names that do not match a recording.

Shared by :mod:`bci.dsp.picks` and :mod:`bci.dsp.reference`, which both turn names
from a TOML file into channel indices and must say, in one line, which names are wrong
and what the valid ones look like.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from bci.errors import ConfigError

#: How many valid names an error message lists before it abbreviates.
_MAX_LISTED = 8


def abbreviate(names: Sequence[str], max_listed: int = _MAX_LISTED) -> str:
    """Quote ``names`` for a one-line message, eliding the middle of a long list.

    Parameters
    ----------
    names : sequence of str
        The names to list.
    max_listed : int
        Longer lists show their first and last few names and a count.

    Returns
    -------
    str
        For example ``"'Fc5.', 'Fc3.', 'Fc1.', 'Fcz.', ..., 'Iz..' (64 channels)"``.
    """
    quoted = [repr(n) for n in names]
    if len(quoted) <= max_listed:
        return ", ".join(quoted)
    head = quoted[: max_listed - 2]
    return ", ".join([*head, "...", quoted[-1]]) + f" ({len(quoted)} channels)"


def check_names(what: str, requested: Sequence[str], ch_names: Sequence[str]) -> None:
    """Raise ConfigError unless every name in ``requested`` is unique and in ``ch_names``.

    Parameters
    ----------
    what : str
        Where the names came from, as the user wrote it (e.g. ``"reference ref"``).
    requested : sequence of str
        The names asked for.
    ch_names : sequence of str
        The channels that exist.

    Raises
    ------
    ConfigError
        Naming the unknown (or repeated) names, suggesting close matches (PhysioNet
        names end in dots, ``'Cz..'``, a classic trap) and listing the valid names.
    """
    known = set(ch_names)
    unknown = [n for n in requested if n not in known]
    if unknown:
        # Exact matches up to case and padding dots first ('C3' -> 'C3..', 'FCz' ->
        # 'Fcz.'), then whatever difflib finds close.
        normal = {_normalise(n): n for n in ch_names}
        hints = []
        for name in unknown:
            close = (
                [normal[_normalise(name)]]
                if _normalise(name) in normal
                else (difflib.get_close_matches(str(name), list(ch_names), n=1, cutoff=0.6))
            )
            if close:
                hints.append(f"{name!r} -> {close[0]!r}?")
        hint = f" (did you mean {', '.join(hints)})" if hints else ""
        raise ConfigError(
            f"{what}: unknown channel{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(n) for n in unknown)}{hint}; valid names are "
            f"{abbreviate(ch_names)}"
        )
    seen: set[str] = set()
    repeated = [n for n in requested if n in seen or seen.add(n)]
    if repeated:
        raise ConfigError(
            f"{what}: channel{'s' if len(repeated) > 1 else ''} "
            f"{', '.join(repr(n) for n in dict.fromkeys(repeated))} listed more than once: "
            "list each channel once"
        )


def _normalise(name: object) -> str:
    return str(name).strip(" .").lower()
