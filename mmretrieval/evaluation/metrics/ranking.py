"""Hit rates at k with ties broken fairly: the expected value over a random order of tied candidates.

A query hits at k when any of its positives ranks in the top k. If the best positive ties with other
candidates, the hit is the probability that a uniformly random order of the tied group puts one of its
positives inside the top k. So a model that scores everything equally gets exactly chance (k / n for a
single positive), never 0 or 100 %, and the result does not depend on how a sort breaks ties.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np


def positives_mask(rows: list[list[int]], n_candidates: int) -> np.ndarray:
    """Boolean ``(len(rows), n_candidates)`` with ``mask[i, j]`` true when ``j`` is a positive of query ``i``."""
    mask = np.zeros((len(rows), n_candidates), dtype=bool)
    for i, row in enumerate(rows):
        mask[i, row] = True
    return mask


def hit_rates(scores: np.ndarray, positives: np.ndarray, ks: Iterable[int]) -> dict[int, np.ndarray]:
    """Per-query probability of a hit within the top k, for each k; higher score = better rank."""
    scores = np.asarray(scores)
    positives = np.asarray(positives, dtype=bool)
    if scores.shape != positives.shape or scores.ndim != 2:
        raise ValueError(f"scores {scores.shape} and positives {positives.shape} must be the same 2-d shape")
    if not positives.any(axis=1).all():
        raise ValueError(f"{int((~positives.any(axis=1)).sum())} queries have no positive candidate")
    best = np.where(positives, scores, -np.inf).max(axis=1, keepdims=True)
    above = (scores > best).sum(axis=1)  # candidates certainly ranked before the best positive
    tied = scores == best
    group = tied.sum(axis=1)  # size of the tied group holding the best positive
    group_positives = (tied & positives).sum(axis=1)
    out = {}
    for k in ks:
        slots = np.clip(k - above, 0, group)  # top-k places left for the tied group
        # P(no positive in the first `slots` of the group) = prod_{i < p} (group - slots - i) / (group - i)
        miss = np.ones(len(scores))
        for i in range(int(group_positives.max())):
            active = i < group_positives
            factor = np.where(active, (group - slots - i) / np.maximum(group - i, 1), 1.0)
            miss *= np.maximum(factor, 0.0)
        out[k] = 1.0 - miss
    return out


def percent(values: np.ndarray) -> float:
    """Mean of per-query hits as a percentage, rounded for stable JSON."""
    return round(100.0 * float(np.mean(values)), 4)
