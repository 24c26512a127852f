"""Continuous performance test scoring: errors, reaction times, signal detection.

The task is a go/no-go letter test of the Conners/TOVA family: the subject presses a
key for every letter except the no-go letter (``X``). Scoring works on two lists, the
stimuli (onset time, letter, go or not, block) and the key presses (times), both on the
LSL clock, so the same function scores a live run, a recording and a simulation.

Rules (stated once, here, and in ``docs/attention.md``):

- A key press belongs to the latest stimulus whose onset precedes it; its reaction time
  (RT) is the press time minus that onset. A press before the first onset belongs to
  no stimulus and is counted as anticipatory.
- A press with RT < :data:`ANTICIPATORY_S` (100 ms) is *anticipatory*: too fast to be a
  reaction to this stimulus. It is counted and otherwise ignored (neither a hit nor a
  commission error).
- The first non-anticipatory press to a stimulus is its response; further presses to the
  same stimulus are counted as ``multiple_responses``.
- Omission error: a go stimulus with no response. Commission error: a no-go stimulus
  with a response. Hit RT: the RTs of responses to go stimuli.
- d' = z(H) - z(F) and beta = exp((z(F)^2 - z(H)^2) / 2), with H the hit rate on go
  stimuli and F the false-alarm rate on no-go stimuli, both with the log-linear
  correction of Hautus (1995), H = (hits + 0.5) / (n_go + 1), applied always (not only
  to rates of 0 or 1, so that scores stay comparable across sessions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

__all__ = ["ANTICIPATORY_S", "CptScores", "Stimulus", "assign_responses", "score_cpt"]

#: Presses faster than this after an onset are anticipatory (seconds).
ANTICIPATORY_S = 0.100


@dataclass(frozen=True)
class Stimulus:
    """One letter shown.

    Attributes
    ----------
    onset : float
        LSL time of the flip that showed it.
    letter : str
    go : bool
        True for a letter to respond to, False for the no-go letter.
    block : int
        Block number (0-based).
    """

    onset: float
    letter: str
    go: bool
    block: int = 0


@dataclass(frozen=True)
class CptScores:
    """Scores of one CPT (see the module docstring for the rules).

    Attributes
    ----------
    n_go, n_nogo : int
        Stimuli shown.
    hits, omission_errors, commission_errors, correct_rejections : int
    anticipatory, multiple_responses : int
    rt_mean_ms, rt_sd_ms : float
        Hit RT mean and sample SD (ddof=1), NaN when undefined.
    hit_rate, false_alarm_rate : float
        Uncorrected rates.
    d_prime, beta : float
        Signal detection with the log-linear correction.
    blocks : list of dict
        Per block: ``block``, ``n_go``, ``n_nogo``, ``omission_errors``,
        ``commission_errors``, ``rt_mean_ms``, ``rt_sd_ms``.
    rt_block_sd_ms : float
        RT variability across blocks: SD (ddof=1) of the blocks' mean hit RTs.
    rt_block_change_ms : float
        Slope of block mean hit RT against block number (ms per block).
    hit_rts_ms : list of float
        Every hit RT in stimulus order (for the histogram).
    """

    n_go: int
    n_nogo: int
    hits: int
    omission_errors: int
    commission_errors: int
    correct_rejections: int
    anticipatory: int
    multiple_responses: int
    rt_mean_ms: float
    rt_sd_ms: float
    hit_rate: float
    false_alarm_rate: float
    d_prime: float
    beta: float
    blocks: list
    rt_block_sd_ms: float
    rt_block_change_ms: float
    hit_rts_ms: list

    def as_dict(self) -> dict:
        """JSON-serialisable (NaN as None)."""
        return {k: _clean(v) for k, v in self.__dict__.items()}


def _clean(v):
    if isinstance(v, float):
        return None if not np.isfinite(v) else v
    if isinstance(v, list):
        return [_clean(x) for x in v]
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    return v


def assign_responses(stimuli: Sequence[Stimulus], presses: Sequence[float]
                     ) -> tuple[list[float | None], int, int]:
    """The response RT (s) of each stimulus, and the anticipatory and extra presses.

    Returns
    -------
    rts : list of float or None
        Per stimulus: the RT of its response, or None.
    anticipatory, multiple : int
    """
    onsets = np.array([s.onset for s in stimuli], dtype=float)
    if onsets.size and np.any(np.diff(onsets) < 0):
        raise ValueError("stimuli must be in onset order")
    rts: list[float | None] = [None] * len(stimuli)
    anticipatory = multiple = 0
    for press in sorted(presses):
        k = int(np.searchsorted(onsets, press, side="right")) - 1
        if k < 0:
            anticipatory += 1
            continue
        rt = press - onsets[k]
        if rt < ANTICIPATORY_S:
            anticipatory += 1
        elif rts[k] is None:
            rts[k] = float(rt)
        else:
            multiple += 1
    return rts, anticipatory, multiple


def _mean_sd(x: np.ndarray) -> tuple[float, float]:
    mean = float(np.mean(x)) if x.size else float("nan")
    sd = float(np.std(x, ddof=1)) if x.size > 1 else float("nan")
    return mean, sd


def signal_detection(hits: int, n_go: int, false_alarms: int, n_nogo: int
                     ) -> tuple[float, float]:
    """d' and beta with the log-linear correction (Hautus 1995)."""
    h = (hits + 0.5) / (n_go + 1.0)
    f = (false_alarms + 0.5) / (n_nogo + 1.0)
    zh, zf = float(norm.ppf(h)), float(norm.ppf(f))
    return zh - zf, float(np.exp((zf * zf - zh * zh) / 2.0))


def score_cpt(stimuli: Sequence[Stimulus], presses: Sequence[float]) -> CptScores:
    """Score a CPT from its stimuli and key-press times (see the module docstring)."""
    rts, anticipatory, multiple = assign_responses(stimuli, presses)
    go = np.array([s.go for s in stimuli], dtype=bool)
    answered = np.array([r is not None for r in rts], dtype=bool)
    rt_ms = np.array([r * 1000.0 if r is not None else np.nan for r in rts])
    n_go, n_nogo = int(go.sum()), int((~go).sum())
    hits = int((go & answered).sum())
    commissions = int((~go & answered).sum())
    hit_rts = rt_ms[go & answered]
    mean, sd = _mean_sd(hit_rts)
    blocks_out = []
    block_ids = np.array([s.block for s in stimuli], dtype=int)
    block_means = []
    for b in sorted(set(block_ids.tolist())):
        m = block_ids == b
        bm, bsd = _mean_sd(rt_ms[m & go & answered])
        blocks_out.append({"block": int(b), "n_go": int((m & go).sum()),
                           "n_nogo": int((m & ~go).sum()),
                           "omission_errors": int((m & go & ~answered).sum()),
                           "commission_errors": int((m & ~go & answered).sum()),
                           "rt_mean_ms": bm, "rt_sd_ms": bsd})
        if np.isfinite(bm):
            block_means.append((b, bm))
    if len(block_means) > 1:
        bx = np.array([b for b, _ in block_means], dtype=float)
        by = np.array([v for _, v in block_means])
        block_sd = float(np.std(by, ddof=1))
        change = float(np.polyfit(bx, by, 1)[0])
    else:
        block_sd = change = float("nan")
    d_prime, beta = signal_detection(hits, n_go, commissions, n_nogo)
    return CptScores(
        n_go=n_go, n_nogo=n_nogo, hits=hits, omission_errors=n_go - hits,
        commission_errors=commissions, correct_rejections=n_nogo - commissions,
        anticipatory=anticipatory, multiple_responses=multiple,
        rt_mean_ms=mean, rt_sd_ms=sd,
        hit_rate=hits / n_go if n_go else float("nan"),
        false_alarm_rate=commissions / n_nogo if n_nogo else float("nan"),
        d_prime=d_prime, beta=beta, blocks=blocks_out, rt_block_sd_ms=block_sd,
        rt_block_change_ms=change, hit_rts_ms=hit_rts.tolist())
