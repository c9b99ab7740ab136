"""Question -> image retrieval three ways: by the image vector, by the text OCR read in the image, and both
fused by the search users run (:func:`mmretrieval.search.search` over an in-memory collection holding the
images' vectors and their OCR vectors), once per fusion method."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Optional, Sequence

import numpy as np

from ...search.fusion import FUSION_METHODS
from ...search.query import vector_query
from ...search.score import FUSION, search
from ...indexing.hubness import stamp as stamp_hubness
from ...store import IMAGE, OCR, Point, VectorStore, point_id
from ...store import payload as P
from .ranking import hit_rates, percent, positives_mask
from .retrieval import KS


def evaluate(image_emb, question_emb, ocr_emb, has_text, question_images, config=None, questions: Optional[Sequence[str]] = None,
             query_emb=None, floor: Optional[float] = None, bank=None) -> dict:
    """``ocr_emb`` rows of images without text are ignored (``has_text`` False): they never rank by OCR.
    ``query_emb`` (the questions as image queries, ``model.image_queries``; default ``question_emb``) ranks
    the image vectors, as search does. ``config``: the model config whose relevance policy search applies
    (its ``ocr_floor``, ``min_score``); ``floor`` overrides its OCR floor. ``questions``: the texts (a text
    query is what search fuses OCR for; default: placeholders). ``bank``: the model's query bank, with which
    search ranks the photos conditioned (``search.conditioning``; ``image/`` is then the conditioned ranking)."""
    config = SimpleNamespace(min_score=getattr(config, "min_score", None),
                             ocr_floor=getattr(config, "ocr_floor", None) if floor is None else floor)
    query_emb = question_emb if query_emb is None else query_emb
    positives = positives_mask(question_images, len(image_emb))
    by_image = query_emb @ image_emb.T
    if bank is not None:
        from ...search.conditioning import ranked_scores

        by_image = ranked_scores(by_image, bank.hubness(image_emb), bank.weight, limit=max(KS))
    by_ocr = np.where(has_text[None, :], question_emb @ ocr_emb.T, -np.inf)
    metrics = {}
    for name, scores in (("image", by_image), ("ocr", by_ocr)):
        metrics.update({f"{name}/text_to_image_R@{k}": percent(h) for k, h in hit_rates(scores, positives, KS).items()})
    questions = list(questions) if questions is not None else [f"question {i}" for i in range(len(question_emb))]
    with _collection(image_emb, ocr_emb, has_text, bank) as store:
        for method in FUSION_METHODS:
            fused = searched_scores(store, config, by_image, question_emb, query_emb, questions, method, bank)
            hits = hit_rates(fused, positives, KS)
            metrics.update({f"fused_{method}/text_to_image_R@{k}": percent(h) for k, h in hits.items()})
    headline = f"fused_{FUSION}/"  # the fusion search uses by default
    metrics.update({key.replace(headline, ""): value for key, value in metrics.items() if key.startswith(headline)})
    matched = by_ocr[positives & has_text[None, :]]
    unmatched_best = np.where(positives, -np.inf, by_ocr).max(axis=1)
    metrics.update({"ocr/matched_cosine_p05": _quantile(matched, 0.05), "ocr/matched_cosine_p50": _quantile(matched, 0.5),
                    "ocr/best_wrong_cosine_p50": _quantile(unmatched_best, 0.5),
                    "floor": None if config.ocr_floor is None else round(float(config.ocr_floor), 4),
                    "images_with_text": percent(has_text)})
    return metrics


def searched_scores(store, config, by_image, question_emb, query_emb, questions, method: str,
                    bank=None) -> np.ndarray:
    """A score matrix ordering each question's candidates as search ranks them: every fused candidate first,
    by its fused score (equal scores stay tied, for ``hit_rates``' fair tie-breaking), then the rest by
    ``by_image``."""
    model = SimpleNamespace(config=config, bank=bank)  # search reads the relevance policy and the bank; no prefix
    ids = {point_id("evaluation", str(i)): i for i in range(by_image.shape[1])}
    out = by_image - 1e6
    for q, text in enumerate(questions):
        query = vector_query(question_emb[q], query_emb[q], text=text)
        for hit in search(store, model, query, limit=None, fusion=method, ocr=True):
            out[q, ids[hit.id]] = 1e6 + hit.score
    return out


def _collection(image_emb, ocr_emb, has_text, bank=None) -> VectorStore:
    """An in-memory collection of the images' vectors (and OCR vectors where text was read), as ``index --ocr``
    writes (with each photo's hubness under ``bank``)."""
    dim = image_emb.shape[1]
    store = VectorStore(path=":memory:", collection="evaluation", engine="client")
    store.ensure_collection("evaluation", dim, dim)
    store.record_ocr("evaluation")
    points = []
    for i, vector in enumerate(image_emb):
        vectors = {IMAGE: vector, **({OCR: ocr_emb[i]} if has_text[i] else {})}
        points.append(Point(point_id("evaluation", str(i)), vectors, {P.KIND: P.KIND_IMAGE}))
    stamp_hubness(store, SimpleNamespace(bank=bank), points)
    store.upsert(points)
    return store


def _quantile(values: np.ndarray, q: float):
    values = values[np.isfinite(values)]
    return round(float(np.quantile(values, q)), 4) if len(values) else None
