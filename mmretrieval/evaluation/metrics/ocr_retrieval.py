"""Question -> image retrieval three ways: by the image vector, by the text OCR read in the image, and
both fused the way search fuses them (``indexing.ocr_search``: ``search.fusion`` over each list's top pool,
OCR candidates below the model's floor adding nothing), by RRF and by z-score."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...indexing.ocr_search import METHOD, OCR_WEIGHT
from ...search.fusion import FUSION_METHODS, fuse
from .ranking import hit_rates, percent, positives_mask
from .retrieval import KS


@dataclass(frozen=True)
class _Candidate:
    id: int
    score: float


def evaluate(image_emb, question_emb, ocr_emb, has_text, question_images, floor: float, pool: int = 50,
             query_emb=None) -> dict:
    """``ocr_emb`` rows of images without text are ignored (``has_text`` False): they never rank by OCR.
    ``query_emb`` (the questions as image queries, ``model.image_queries``; default ``question_emb``) ranks
    the image vectors, as search does."""
    positives = positives_mask(question_images, len(image_emb))
    by_image = (question_emb if query_emb is None else query_emb) @ image_emb.T
    by_ocr = np.where(has_text[None, :], question_emb @ ocr_emb.T, -np.inf)
    metrics = {}
    for name, scores in (("image", by_image), ("ocr", by_ocr)):
        metrics.update({f"{name}/text_to_image_R@{k}": percent(h) for k, h in hit_rates(scores, positives, KS).items()})
    for method in FUSION_METHODS:
        fused = fused_scores(by_image, by_ocr, floor, pool, method)
        hits = hit_rates(fused, positives, KS)
        metrics.update({f"fused_{method}/text_to_image_R@{k}": percent(h) for k, h in hits.items()})
    headline = f"fused_{METHOD}/"  # the fusion search uses
    metrics.update({key.replace(headline, ""): value for key, value in metrics.items() if key.startswith(headline)})
    matched = by_ocr[positives & has_text[None, :]]
    unmatched_best = np.where(positives, -np.inf, by_ocr).max(axis=1)
    metrics.update({"ocr/matched_cosine_p05": _quantile(matched, 0.05), "ocr/matched_cosine_p50": _quantile(matched, 0.5),
                    "ocr/best_wrong_cosine_p50": _quantile(unmatched_best, 0.5), "floor": round(float(floor), 4),
                    "images_with_text": percent(has_text)})
    return metrics


def fused_scores(by_image: np.ndarray, by_ocr: np.ndarray, floor: float, pool: int, method: str) -> np.ndarray:
    """A score matrix ordering each question's candidates as the fused search does: fused items first (by
    fused score), then the rest by image cosine."""
    out = by_image - 1e6
    for q in range(len(by_image)):
        rankings = {}
        for name, row in (("image", by_image[q]), ("ocr", by_ocr[q])):
            top = np.argsort(-row, kind="stable")[:pool]
            rankings[name] = [_Candidate(int(i), float(row[i])) for i in top if np.isfinite(row[i])]
        for hit in fuse(rankings, method=method, floors={"ocr": floor}, weights={"ocr": OCR_WEIGHT}):
            out[q, hit.id] = 1e6 + hit.score
    return out


def _quantile(values: np.ndarray, q: float):
    values = values[np.isfinite(values)]
    return round(float(np.quantile(values, q)), 4) if len(values) else None
