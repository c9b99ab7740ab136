"""Bank-conditioned scores: a text query ranks photos by ``cosine - weight * hubness`` (see ``query_bank``).

A *hub* photo sits near most queries; its hubness (the mean of its ``k`` highest cosines to the model's query
bank) is stored in its payload at index time (``indexing.hubness``), tagged with the bank's id. Search
fetches ``depth(limit)`` candidates by cosine (``POOL``, or ``limit`` if more) with only the ``PAYLOAD`` fields,
subtracts each one's correction, re-sorts them on the client and reads whole payloads for the hits it returns
(``best_photos``): the same code for both embedded engines and a Qdrant server; the evaluator
ranks the same pool by the same formula (``ranked_scores``). A stored hubness is used only when its tag
is this model's bank; any other (a point indexed before, or with another bank) is computed from the
point's stored vector on the spot, so values of two banks are never mixed.

Only text queries ranking photos are conditioned: image queries, texts and the OCR ranking keep cosines.
The relevance cut-off (``min_score``) still applies to the raw cosine; the hit's ``score`` is the
conditioned one and its ``explanation`` gives the cosine, the hubness and the correction.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional, Sequence

import numpy as np

from ..query_bank import payloads_hubness, stored_image_vector
from ..store import IMAGE
from ..store import payload as P
from .hits import Hit

POOL = 50  # candidates re-scored per conditioned ranking (dev: re-scoring the top 50 by cosine = re-scoring all; docs)
PAYLOAD = (P.HUBNESS, P.HUBNESS_BANK)  # the payload fields a photo ranking's candidates are fetched with
SCORE_KIND = "conditioned"


def conditioned_scores(cosines, hubness, weight: float) -> np.ndarray:
    """The conditioned scores of photos whose text-query cosines are ``cosines`` (any shape ending in the
    photos) and whose hubness is ``hubness`` (one per photo): the one formula search and the evaluator share."""
    return np.asarray(cosines, dtype=np.float32) - np.float32(weight) * np.asarray(hubness, dtype=np.float32)


def depth(limit) -> int:
    """How many photos a conditioned ranking of ``limit`` hits fetches by cosine and re-scores."""
    return max(limit or POOL, POOL)


def ranked_scores(cosines, hubness, weight: float, limit=None) -> np.ndarray:
    """A score per photo (rows: text queries) that orders them as search ranks them asking for ``limit`` hits:
    the best ``depth(limit)`` by cosine by their conditioned score, then every other photo below those, by
    cosine (the evaluator's path: the same pool and formula as :func:`condition`)."""
    cosines = np.atleast_2d(np.asarray(cosines, dtype=np.float32))
    hubness = np.asarray(hubness, dtype=np.float32)
    pool = min(depth(limit), cosines.shape[1])
    top = np.argpartition(-cosines, pool - 1, axis=1)[:, :pool]
    pooled = conditioned_scores(np.take_along_axis(cosines, top, axis=1), hubness[top], weight)
    below = cosines.max(axis=1, keepdims=True) - pooled.min(axis=1, keepdims=True) + 1.0
    scores = cosines - below  # every photo outside the pool ranks after the pool, in cosine order
    np.put_along_axis(scores, top, pooled, axis=1)
    return scores


def bank_for(model, query, condition: bool = True):
    """The query bank that conditions ``query``'s photo ranking under ``model``, or None (not a text query,
    conditioning turned off, or a model without a bank)."""
    if not condition or not query.by_text:
        return None
    return getattr(model, "bank", None)


def condition(store, bank, hits: Sequence[Hit], limit: Optional[int] = None) -> list[Hit]:
    """``hits`` of one photo ranking re-scored by ``bank`` and re-sorted, best first (ties keep their order):
    the best ``limit`` (None: all)."""
    if not hits:
        return []
    hubness = stored_hubness(store, bank, hits)
    scores = conditioned_scores([h.score for h in hits], hubness, bank.weight)
    return [_conditioned(hits[i], float(scores[i]), float(hubness[i]), bank)
            for i in np.argsort(-scores, kind="stable")[:limit]]


def best_photos(store, bank, hits: Sequence[Hit], limit: int) -> list[Hit]:
    """The best ``limit`` of ``hits`` (a pool fetched with only the ``PAYLOAD`` fields) conditioned, with their
    whole payloads read back: one call for the few hits shown, not a whole payload per candidate."""
    top = condition(store, bank, hits, limit)
    records = {str(r.id): r for r in store.retrieve([hit.id for hit in top])} if top else {}
    full = {point: Hit.from_point(record) for point, record in records.items()}
    return [replace(hit, payload=full[hit.id].payload, kind=full[hit.id].kind) for hit in top if hit.id in full]


def _conditioned(hit: Hit, score: float, hubness: float, bank) -> Hit:
    cosine = float(hit.score)
    explanation = [{"list": IMAGE, "cosine": round(cosine, 6), "hubness": round(hubness, 6), "weight": bank.weight,
                    "correction": round(score - cosine, 6), "bank": bank.id}]
    return replace(hit, score=score, cosine=cosine, explanation=explanation, score_kind=SCORE_KIND)


def stored_hubness(store, bank, hits: Sequence[Hit]) -> np.ndarray:
    """Each hit's hubness under ``bank``: from its payload when tagged with this bank, else from its stored vector."""
    stored = payloads_hubness([hit.payload for hit in hits], bank)
    missing = [i for i, value in enumerate(stored) if value is None]
    values = np.asarray([0.0 if value is None else value for value in stored], dtype=np.float32)
    if missing:
        records = {str(r.id): r for r in store.retrieve([hits[i].id for i in missing], with_vectors=True)}
        vectors = [_image_vector(records.get(hits[i].id), hits[i].id) for i in missing]
        values[missing] = bank.hubness(np.stack(vectors))
    return values


def _image_vector(record, point_id: str) -> np.ndarray:
    vector = stored_image_vector(record)
    if vector is None:
        raise ValueError(f"point {point_id} was ranked as a photo but its image vector cannot be read back; "
                         "search with condition off (--no-condition) or re-index it")
    return vector
