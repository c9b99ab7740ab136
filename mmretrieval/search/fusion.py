"""Fuse ranked hit lists from different modalities into one ranking, with a per-item explanation.

Cosines from different modalities are not comparable: a text query meets image vectors at
cosines around 0.2-0.4 and passage vectors around 0.5-0.9, so sorting raw scores would always
put passages first. Two fusions are offered, both scale-free per list:

- ``rrf`` (reciprocal rank fusion, Cormack et al. 2009): ``score = sum_lists weight / (k + rank)``.
  Uses ranks only, so it is immune to scale; ``k = 60`` damps the gap between the top ranks.
- ``zscore``: each cosine is standardised against its own list's candidates,
  ``(cosine - mean) / std``, i.e. "how far above this modality's typical match for this query";
  the fused score is ``weight * z``. Keeps score gaps (a clear winner stays clear) that RRF flattens;
  needs a candidate pool of a few dozen per modality to estimate mean and std well.

Every fused hit carries ``explanation``: one entry per list it came from, with its rank, raw
cosine, the normalised value and the contribution it added.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

from .hits import cosine_of

FUSION_METHODS = ("rrf", "zscore")
RRF_K = 60


@dataclass(frozen=True)
class FusedHit:
    """A hit (anything with ``id`` and ``score``) with its fused score and how it was reached."""

    hit: Any
    score: float
    explanation: list = field(default_factory=list)

    @property
    def id(self):
        return self.hit.id


def fuse(
    rankings: Mapping[str, Sequence[Any]],
    method: str = "rrf",
    weights: Optional[Mapping[str, float]] = None,
    k: int = RRF_K,
    limit: Optional[int] = None,
    floors: Optional[Mapping[str, float]] = None,
) -> list[FusedHit]:
    """Fuse ``{list name: hits best first}`` into one list, best first.

    Hits need ``.id`` and ``.score`` (a cosine); the same id in several lists adds up its
    contributions. ``weights`` scales each list (default 1). ``floors`` gives a list a least cosine:
    its hits below it still hold their rank and count in its mean and std, but add nothing. A hit whose score
    is not a cosine (a conditioned photo, with ``cosine``) is normalised by its score, floored by its cosine.
    Ties keep the input order.
    """
    if method not in FUSION_METHODS:
        raise ValueError(f"unknown fusion method {method!r}; choose one of {', '.join(FUSION_METHODS)}")
    if k < 1:
        raise ValueError(f"rrf k must be >= 1, got {k}")
    weights = dict(weights or {})
    floors = dict(floors or {})
    unknown = (set(weights) | set(floors)) - set(rankings)
    if unknown:
        raise ValueError(f"weights or floors for unknown lists {sorted(unknown)}; lists are {sorted(rankings)}")
    totals: dict[Any, float] = {}
    first: dict[Any, Any] = {}
    explanations: dict[Any, list] = {}
    for name, hits in rankings.items():
        weight = float(weights.get(name, 1.0))
        normalised = _normalise([float(h.score) for h in hits], method, k)
        floor = floors.get(name)
        for rank, (hit, value) in enumerate(zip(hits, normalised), start=1):
            cosine = cosine_of(hit)
            if floor is not None and cosine < floor:
                continue
            contribution = weight * value
            first.setdefault(hit.id, hit)
            totals[hit.id] = totals.get(hit.id, 0.0) + contribution
            correction = {} if cosine == hit.score else {"correction": round(float(hit.score) - cosine, 6)}
            explanations.setdefault(hit.id, []).append(
                {"list": name, "rank": rank, "cosine": round(cosine, 6), **correction,
                 "normalised": round(value, 6), "weight": weight, "contribution": round(contribution, 6)}
            )
    order = sorted(totals, key=lambda i: -totals[i])  # stable: ties keep first-seen order
    fused = [FusedHit(first[i], totals[i], explanations[i]) for i in order]
    return fused[:limit] if limit is not None else fused


def _normalise(scores: list[float], method: str, k: int) -> list[float]:
    if method == "rrf":
        return [1.0 / (k + rank) for rank in range(1, len(scores) + 1)]
    if not scores:
        return []
    mean = sum(scores) / len(scores)
    std = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))
    if std < 1e-9:  # one candidate, or all equal: nothing stands out
        return [0.0] * len(scores)
    return [(s - mean) / std for s in scores]


def describe(method: str, k: int = RRF_K) -> str:
    """One line that says how fused scores were computed (shown with results)."""
    if method == "rrf":
        return f"reciprocal rank fusion: score = sum over modalities of weight / ({k} + rank)"
    return "per-modality z-score: score = weight * (cosine - mean) / std over that modality's candidates"
