"""``search``: the one place a query is scored. Every caller reaches it (``Index.search``, ``rag.retrieve``,
the HTTP routes, the evaluator's ``ocr_retrieval`` task), so a change to how a query is scored is made here.

query (``search.query``) -> one ranking per named vector (``search.rankings``) -> the relevance floors
(``search.relevance``) -> one ranking kept as it is (scores are cosines), several fused (``search.fusion``:
scores are fused scores with an explanation) -> hits.

Rankings searched: the ``kinds`` asked for (``image`` photos, ``text`` passages and captions) and, for a
text query in a collection indexed with OCR, the photos' ``ocr`` ranking by the text read in them. Cosines
of different rankings are not comparable (a text query meets photos around 0.2-0.5 and passages around
0.5-0.9), so several rankings are always fused, never sorted by raw cosine. The default fusion is the
per-list z-score over each list's top ``POOL``: on the text-rich VQA set it beats reciprocal rank fusion
by far (R@1 83 vs 3 with e5-small-lite0, docs/ocr.md), because there the photo list ranks the right page
at random and RRF rewards any image that sits in both lists.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping, Optional, Sequence

from ..store import IMAGE, OCR
from . import conditioning
from .fusion import RRF_K, fuse
from .hits import Hit, cosine_of
from .query import Query
from .rankings import rankings
from .relevance import floors

DEFAULT_LIMIT = 10
FUSION = "zscore"
POOL = 50  # candidates taken from each ranking before fusing
OCR_WEIGHT = 2.0  # the OCR ranking's weight in the fusion (the others' is 1), see the module docstring


def search(store, model, query: Query, limit: Optional[int] = DEFAULT_LIMIT, kinds: Sequence[str] = (IMAGE,),
           filter=None, dim: Optional[int] = None, min_score: Optional[float] = None, ocr: Optional[bool] = None,
           fusion: str = FUSION, pool: int = POOL, weights: Optional[Mapping[str, float]] = None,
           k: int = RRF_K, condition: bool = True) -> list[Hit]:
    """The best ``limit`` hits (None: every fused candidate) of ``query`` in ``store``, made by ``model``.

    ``kinds``: the rankings asked for (``image``, ``text``). ``ocr``: None fuses in the OCR ranking for a
    text query where the collection holds one, True also for a vector query, False never. ``min_score``:
    the caller's relevance cut-off (None: the model's, see ``search.relevance``). ``fusion`` (``zscore`` or
    ``rrf``, with ``k``), ``pool`` and ``weights`` (e.g. ``{"text": 0.5}``) shape a fused search. ``condition``:
    a text query ranks photos by the model's query bank where it has one (``search.conditioning``); False: by cosine."""
    names = list(dict.fromkeys(kinds))
    if (query.by_text if ocr is None else ocr) and IMAGE in names and store.ocr_record() is not None:
        names.append(OCR)
    needs_config = (min_score is None and query.by_text) or OCR in names  # (a query by a stored vector loads no model)
    least = floors(min_score, model.config if needs_config else None, query.by_text, names)
    bank = conditioning.bank_for(model, query, condition) if IMAGE in names else None
    if len(names) == 1:
        if bank is None:
            hits = rankings(store, model, query, names, limit or pool, filter, dim)[names[0]]
        else:  # a pool with the hubness fields alone, conditioned; whole payloads for the hits kept only
            pooled = rankings(store, model, query, names, conditioning.depth(limit or pool), filter, dim,
                              payload=conditioning.PAYLOAD)[names[0]]
            hits = conditioning.best_photos(store, bank, pooled, limit or pool)
        floor = least.get(names[0])
        return [hit for hit in hits if floor is None or cosine_of(hit) >= floor]
    depth = max(pool, limit or 0)
    lists = rankings(store, model, query, names, depth, filter, dim)
    if bank is not None:
        lists[IMAGE] = conditioning.condition(store, bank, lists[IMAGE])
    weights = {name: w for name, w in {OCR: OCR_WEIGHT, **(weights or {})}.items() if name in lists}
    fused = fuse(lists, method=fusion, limit=limit, floors=least, weights=weights, k=k)
    return [replace(f.hit, score=f.score, explanation=f.explanation, score_kind="fused") for f in fused]

