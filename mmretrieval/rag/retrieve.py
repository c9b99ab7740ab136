"""One question, both modalities: retrieve images and passages by the one search, build the context bundle."""

from __future__ import annotations

from typing import Mapping, Optional

from ..search.fusion import RRF_K, describe
from ..search.query import check_query, text_query
from ..search.score import FUSION, search
from ..store import payload as P
from .bundle import ContextBundle, ContextItem, build_prompt

MODALITIES = P.KINDS


def retrieve(
    index,
    question: str,
    limit: int = 8,
    max_images: int = 4,
    pool: int = 50,
    fusion: str = FUSION,
    weights: Optional[Mapping[str, float]] = None,
    k: int = RRF_K,
    filter=None,
    query_vector=None,
    min_score: Optional[float] = None,
    condition: bool = True,
) -> ContextBundle:
    """Retrieve the best images and passages for ``question`` from ``index`` as one fused ranking.

    The question is searched (:func:`mmretrieval.search.search`) against the ``image`` vectors (photos; and
    the text read in them, in a collection indexed with OCR) and the ``text`` vectors (passages and image
    captions; an image found through several adds up). Each ranking contributes its top ``pool`` candidates
    (a larger pool steadies ``zscore`` fusion); the fused top ``limit`` are kept, at most ``max_images`` of
    them images (a vision-language model reads only a few). ``weights`` scales a ranking, e.g.
    ``{"text": 0.5}``. ``query_vector``: the question's ``encode_text`` vector, if the caller has it.
    ``min_score`` is the relevance cut-off (None: the model's, on the photos' ranking; 0: none): a hit
    under it keeps its place in its list's statistics but adds nothing to the fusion. ``condition``: photos
    ranked against the model's query bank, where it has one (:mod:`mmretrieval.search.conditioning`).
    """
    if limit < 1 or max_images < 0 or pool < 1:
        raise ValueError(f"need limit >= 1, max_images >= 0 and pool >= 1 (got {limit}, {max_images}, {pool})")
    query = text_query(index.model, check_query(question, "question"), query_vector)
    hits = search(index.store, index.model, query, limit=None, kinds=MODALITIES, filter=filter, min_score=min_score,
                  fusion=fusion, pool=pool, weights=weights, k=k, condition=condition)
    items, images = [], 0
    for hit in hits:
        if hit.kind == P.KIND_IMAGE:
            if images >= max_images:
                continue
            images += 1
        items.append(_item(hit))
        if len(items) == limit:
            break
    return ContextBundle(query.text, items, describe(fusion, k), build_prompt(query.text, items))


def _item(hit) -> ContextItem:
    payload = hit.payload or {}
    return ContextItem(
        kind=hit.kind,
        id=str(hit.id),
        score=round(hit.score, 6),
        cosine=round(float(hit.explanation[0]["cosine"]), 6),  # (in the first ranking that found it)
        path=payload.get(P.PATH),
        text=payload.get(P.TEXT) if hit.kind == P.KIND_TEXT else None,
        caption=payload.get(P.CAPTION),
        start=payload.get(P.START),
        end=payload.get(P.END),
        explanation=hit.explanation,
    )
