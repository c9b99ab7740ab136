"""What a search returns: hits, and the one JSON shape of a hit (CLI ``--json``, HTTP, RAG alike)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ..store import payload as P
from .ocr_words import matched_lines


@dataclass
class Hit:
    """One search result: point id, ``score``, ``kind`` ("image" or "text") and its payload.

    ``score_kind`` says what ``score`` is: ``"cosine"`` when one ranking was searched; ``"conditioned"`` for
    photos a text query ranked against the model's query bank (``search.conditioning``: ``cosine`` holds the
    raw cosine); ``"fused"`` when several were fused (photos with the text read in them, images with texts).
    ``explanation`` then gives each list's rank, cosine, correction and contribution."""

    id: str
    score: float
    kind: str
    payload: dict[str, Any]
    explanation: Optional[list] = None
    cosine: Optional[float] = None  # the raw cosine, where ``score`` is not one (a conditioned photo)
    score_kind: str = "cosine"

    @property
    def path(self) -> Optional[str]:
        return self.payload.get(P.PATH)

    @classmethod
    def from_point(cls, point) -> "Hit":
        payload = dict(point.payload or {})
        return cls(id=str(point.id), score=float(getattr(point, "score", None) or 0.0),
                   kind=payload.get(P.KIND, P.KIND_IMAGE), payload=payload)


def cosine_of(hit) -> float:
    """A hit's raw cosine in its own ranking: its ``score``, or its ``cosine`` where the score is not one (a
    conditioned photo). What the relevance floors compare and explanations show."""
    cosine = getattr(hit, "cosine", None)
    return float(hit.score if cosine is None else cosine)


def hit_json(hit: Hit, rank: int, query: Optional[str] = None) -> dict:
    """``{"rank", "id", "kind", "score", "score_kind", <payload fields>, "explanation"?, "ocr_matches"?}``;
    with the text ``query``, an image read by OCR says which of its lines match it."""
    out = {"rank": rank, "id": hit.id, "kind": hit.kind, "score": round(float(hit.score), 6),
           "score_kind": hit.score_kind, **hit.payload}
    if hit.explanation is not None:
        out["explanation"] = hit.explanation
    if P.OCR_TEXT in hit.payload:
        out["ocr_matches"] = matched_lines(query, hit.payload) if query else []
    return out
