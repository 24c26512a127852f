"""Assessment protocols: resting eyes open and closed, then a CPT, from a TOML file.

Every check runs when the file is read, so a mistyped protocol costs one line, not a
session (``docs/protocols/assess-attention.toml`` documents each key).
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

from bci.errors import ConfigError

__all__ = ["AssessProtocol", "CptSettings", "RestingSettings", "SimulateSettings",
           "load_assess_protocol", "parse_assess_protocol"]


@dataclass(frozen=True)
class RestingSettings:
    """Resting EEG: seconds of eyes open then eyes closed, the theta/beta channels."""

    eyes_open: float = 120.0
    eyes_closed: float = 120.0
    channels: tuple[str, ...] = ("Cz", "Fz")
    instructions: float = 5.0


@dataclass(frozen=True)
class CptSettings:
    """The continuous performance test.

    Attributes
    ----------
    letters : str
        The go letters (each shown equally often among go trials).
    nogo : str
        The letter not to respond to.
    stimulus : float
        Seconds each letter stays on screen.
    soa : tuple of float
        Stimulus-onset asynchronies (onset to next onset), seconds; each block uses each
        equally often, in a seeded shuffled order.
    target_ratio : float
        Share of go letters (the Conners CPT: 0.9; a TOVA-like rare-go variant: 0.22).
    blocks, stimuli_per_block : int
    rest : float
        Seconds of blank screen between blocks.
    """

    letters: str = "ABCDEFGHIJKLMNOPQRSTUVWYZ"
    nogo: str = "X"
    stimulus: float = 0.25
    soa: tuple[float, ...] = (1.0, 2.0, 4.0)
    target_ratio: float = 0.9
    blocks: int = 6
    stimuli_per_block: int = 20
    rest: float = 0.0
    instructions: float = 5.0


@dataclass(frozen=True)
class SimulateSettings:
    """What ``--simulate`` produces: the responder and the headset."""

    omission_rate: float = 0.05
    commission_rate: float = 0.2
    rt_mean_ms: float = 420.0
    rt_sd_ms: float = 90.0
    anticipatory_rate: float = 0.02
    theta_beta_ratio: float = 4.0
    alpha_hz: float = 10.0
    sfreq: float = 250.0
    channels: tuple[str, ...] = ("Fz", "Cz", "Pz", "O1", "Oz", "O2")
    seed: int = 0


@dataclass(frozen=True)
class AssessProtocol:
    """A parsed, checked assessment protocol."""

    origin: str
    resting: RestingSettings = field(default_factory=RestingSettings)
    cpt: CptSettings = field(default_factory=CptSettings)
    simulate: SimulateSettings = field(default_factory=SimulateSettings)
    lead: float = 2.0
    tail: float = 1.0
    #: The presenter asks for this (bci.present.Presenter duck-types a protocol).
    paradigm: str = "cpt"
    cues: tuple = ()


_SECTIONS = {"resting": RestingSettings, "cpt": CptSettings, "simulate": SimulateSettings}


def _positive(where: str, value, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{where} = {value!r}: give a finite number "
                          f"{'>= 0' if allow_zero else '> 0'}")
    return float(value)


def parse_assess_protocol(data: dict, origin: str = "<protocol>") -> AssessProtocol:
    """Check a protocol's TOML tables and build an :class:`AssessProtocol`.

    Raises
    ------
    bci.errors.ConfigError
        On an unknown key or section, or a value out of range: one line naming it.
    """
    unknown = set(data) - set(_SECTIONS) - {"lead", "tail", "assessment"}
    if unknown:
        raise ConfigError(f"{origin}: unknown section or key '{sorted(unknown)[0]}': use "
                          "[resting], [cpt], [simulate], lead, tail")
    parts: dict = {}
    for name, cls in _SECTIONS.items():
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{origin}: [{name}] must be a table")
        fields = cls.__dataclass_fields__
        bad = set(table) - set(fields)
        if bad:
            raise ConfigError(f"{origin}: [{name}] has no key '{sorted(bad)[0]}': keys are "
                              f"{', '.join(fields)}")
        values = {}
        for key, value in table.items():
            default = fields[key].default
            where = f"{origin}: [{name}] {key}"
            if isinstance(default, tuple):
                if not isinstance(value, list) or not value:
                    raise ConfigError(f"{where}: give a non-empty list")
                if key == "soa":
                    values[key] = tuple(_positive(where, v) for v in value)
                else:
                    if not all(isinstance(v, str) and v for v in value):
                        raise ConfigError(f"{where}: give a list of channel names")
                    values[key] = tuple(value)
            elif isinstance(default, str):
                if not isinstance(value, str) or not value:
                    raise ConfigError(f"{where}: give a non-empty string")
                values[key] = value
            elif isinstance(default, int) and not isinstance(default, bool) and \
                    not isinstance(default, float):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0 or \
                        (value == 0 and key != "seed"):
                    raise ConfigError(f"{where} = {value!r}: give a whole number > 0")
                values[key] = value
            else:
                values[key] = _positive(where, value, allow_zero=key not in (
                    "stimulus", "rt_mean_ms", "sfreq", "theta_beta_ratio", "alpha_hz"))
        parts[name] = cls(**values)
    cpt: CptSettings = parts["cpt"]
    where = f"{origin}: [cpt]"
    if len(cpt.nogo) != 1:
        raise ConfigError(f"{where} nogo = {cpt.nogo!r}: give one letter")
    if cpt.nogo in cpt.letters:
        raise ConfigError(f"{where} letters contains the no-go letter {cpt.nogo!r}: "
                          "remove it")
    if any(c not in string.ascii_uppercase + string.digits for c in cpt.letters):
        raise ConfigError(f"{where} letters = {cpt.letters!r}: use capital letters "
                          "and digits only")
    if not 0.0 < cpt.target_ratio < 1.0:
        raise ConfigError(f"{where} target_ratio = {cpt.target_ratio}: give the share of "
                          "go letters, between 0 and 1")
    if cpt.stimulus >= min(cpt.soa):
        raise ConfigError(f"{where} stimulus = {cpt.stimulus:g} s is not shorter than the "
                          f"shortest soa ({min(cpt.soa):g} s): shorten it")
    n_nogo = round((1 - cpt.target_ratio) * cpt.stimuli_per_block)
    if n_nogo < 1 or n_nogo >= cpt.stimuli_per_block:
        raise ConfigError(f"{where}: stimuli_per_block = {cpt.stimuli_per_block} with "
                          f"target_ratio = {cpt.target_ratio} gives {n_nogo} no-go letters "
                          "per block: give more stimuli per block")
    for rate in ("omission_rate", "commission_rate", "anticipatory_rate"):
        if getattr(parts["simulate"], rate) > 1:
            raise ConfigError(f"{origin}: [simulate] {rate} must be between 0 and 1")
    extra = {k: _positive(f"{origin}: {k}", data[k], allow_zero=True)
             for k in ("lead", "tail") if k in data}
    return AssessProtocol(origin=origin, **parts, **extra)


def load_assess_protocol(path: str | Path) -> AssessProtocol:
    """Read and check a protocol file.

    Raises
    ------
    bci.errors.ConfigError
        A missing or unreadable file, invalid TOML, or a bad value (one line).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such protocol file: give the path of an assessment "
                          "protocol (docs/protocols/assess-attention.toml)") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read the protocol ({err}): check the file") \
            from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from None
    return parse_assess_protocol(data, str(path))
