"""The P300 speller's choice: per attended character, the best-scoring row and column.

A single flash's P300 is buried in the EEG (flash-level ROC-AUC around 0.7 on the
simulated subject, as on real ones); a speller decides on the sum of the decoder's target
scores over every repetition of each row and column, which is what
:func:`spell` does, given the scores in the order of the flashes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bci.present.protocol import Protocol
from bci.present.schedule import Timeline

__all__ = ["spell"]


def spell(protocol: Protocol, timeline: Timeline, target_scores: Sequence[float]
          ) -> list[tuple[str, str]]:
    """(attended, chosen) character for every trial whose flashes were all scored.

    Parameters
    ----------
    protocol : Protocol
        A ``p300`` protocol in ``matrix`` mode.
    timeline : Timeline
        The run's timeline (``build_timeline(protocol, seed)``).
    target_scores : sequence of float
        The decoder's score for ``target`` on each flash, in flash order (one decision
        per flash, as ``[online] mode = "markers"`` gives).
    """
    matrix = protocol.matrix
    n_rows, n_cols = len(matrix), len(matrix[0])
    flashes = [s for s in timeline.segments if s.kind == "flash"]
    sums: dict[int, np.ndarray] = {}
    complete: dict[int, bool] = {}
    for k, segment in enumerate(flashes):
        row_sum = sums.setdefault(segment.trial, np.zeros(n_rows + n_cols))
        if k >= len(target_scores):
            complete[segment.trial] = False
            continue
        complete.setdefault(segment.trial, True)
        cells = segment.cells
        is_row = len({r for r, _ in cells}) == 1
        index = cells[0][0] if is_row else n_rows + cells[0][1]
        row_sum[index] += float(target_scores[k])
    out = []
    for trial, total in sums.items():
        if not complete.get(trial):
            continue
        row = int(np.argmax(total[:n_rows]))
        col = int(np.argmax(total[n_rows:]))
        attended = next(s.target for s in flashes if s.trial == trial)
        out.append((attended, matrix[row][col]))
    return out
