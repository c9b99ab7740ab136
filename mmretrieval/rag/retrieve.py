"""One question, both modalities: retrieve images and passages, fuse them, build the context bundle."""

from __future__ import annotations

from typing import Mapping, Optional

from ..store import payload as P
from ..search.relevance import cutoffs
from ..search.query import check_query
from .bundle import ContextBundle, ContextItem, build_prompt
from ..search.fusion import RRF_K, describe, fuse

MODALITIES = P.KINDS


def retrieve(
    index,
    question: str,
    limit: int = 8,
    max_images: int = 4,
    pool: int = 50,
    method: str = "rrf",
    weights: Optional[Mapping[str, float]] = None,
    k: int = RRF_K,
    filter=None,
    query_vector=None,
    min_score: Optional[float] = None,
) -> ContextBundle:
    """Retrieve the best images and passages for ``question`` from ``index`` as one fused ranking.

    The question is embedded once (``retrieval.query``) and searched against the ``image`` vectors
    (photos) and the ``text`` vectors (passages and image captions; an image found through both
    adds up). Each modality contributes its top ``pool`` candidates (a larger pool steadies ``zscore``
    fusion); the fused top ``limit`` are kept, at most ``max_images`` of them images (a
    vision-language model reads only a few). ``weights`` scales a modality, e.g. ``{"text": 0.5}``.
    ``query_vector`` skips embedding when the caller already has the question's query vector.
    ``min_score`` is :meth:`Index.search`'s relevance cut-off (None: the model's, on the photos' ranking;
    0: none): a hit under it keeps its place in its list's statistics but adds nothing to the fusion.
    """
    question = check_query(question, "question")
    if limit < 1 or max_images < 0 or pool < 1:
        raise ValueError(f"need limit >= 1, max_images >= 0 and pool >= 1 (got {limit}, {max_images}, {pool})")
    query = query_vector if query_vector is not None else embed_question(index.model, question)
    image_query = index.model.image_queries(question, query)  # (its language's query map, if the model has one)
    rankings = {kind: index.search(vector=query, image_vector=image_query, limit=max(pool, limit), filter=filter,
                                   kinds=(kind,), min_score=0)
                for kind in MODALITIES}
    floors = cutoffs(min_score, index.model.config.min_score, text_query=True, kinds=MODALITIES)
    items, images = [], 0
    for fused in fuse(rankings, method=method, weights=weights, k=k, floors=floors):
        if fused.hit.kind == P.KIND_IMAGE:
            if images >= max_images:
                continue
            images += 1
        items.append(_item(fused))
        if len(items) == limit:
            break
    return ContextBundle(question, items, describe(method, k), build_prompt(question, items))


def embed_question(model, question: str):
    """The one query vector searched against both modalities."""
    return model.encode_text(question, task="retrieval.query")


def _item(fused) -> ContextItem:
    hit, payload = fused.hit, fused.hit.payload or {}
    return ContextItem(
        type=hit.kind,
        id=str(hit.id),
        score=round(fused.score, 6),
        cosine=round(float(hit.score), 6),
        path=payload.get(P.PATH),
        text=payload.get(P.TEXT) if hit.kind == P.KIND_TEXT else None,
        caption=payload.get(P.CAPTION),
        start=payload.get(P.START),
        end=payload.get(P.END),
        explanation=fused.explanation,
    )
