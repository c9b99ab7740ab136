"""Image<->text retrieval: R@k both ways, several captions per image counted CLIP-style.

text->image: each caption is a query; it hits if one of its images is in the top k.
image->text: each image is a query; it hits if any one of its captions is in the top k.
``query_emb`` (the captions as image queries, ``model.image_queries``; default ``text_emb``) ranks images
for text->image; image->text ranks ``text_emb``. With ``languages``, each language is scored on its own
captions and the top-level numbers are the mean over languages. With the model's query ``bank``, text->image
ranks as search ranks photos (``search.conditioning.ranked_scores``: its candidate pool, its score).
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from .ranking import hit_rates, percent, positives_mask

KS = (1, 5, 10)


def evaluate(image_emb: np.ndarray, text_emb: np.ndarray, text_images: list[list[int]], ks: Sequence[int] = KS,
             languages: Optional[list[str]] = None, directions=("text_to_image", "image_to_text"),
             query_emb: Optional[np.ndarray] = None, bank=None) -> dict:
    """Metrics as percentages: ``text_to_image_R@k``, ``image_to_text_R@k`` and ``mean_recall``.

    ``bank`` (the model's query bank) ranks images for text queries as search does, asking for ``max(ks)``
    hits (``search.conditioning.ranked_scores``); the cosine ranking's text->image numbers are then kept as ``cosine/...``."""
    image_emb = np.asarray(image_emb, dtype=np.float32)
    scores = np.asarray(text_emb, dtype=np.float32) @ image_emb.T
    queries = scores if query_emb is None else np.asarray(query_emb, dtype=np.float32) @ image_emb.T
    positives = positives_mask(text_images, scores.shape[1])
    cosine = {}
    if bank is not None:
        from ...search.conditioning import ranked_scores

        ranked = _by_language(queries, scores, positives, ks, ("text_to_image",), languages)
        cosine = {f"cosine/{key}": value for key, value in ranked.items() if "text_to_image" in key}
        queries = ranked_scores(queries, bank.hubness(image_emb), bank.weight, limit=max(ks))
    return {**_by_language(queries, scores, positives, ks, directions, languages), **cosine}


def _by_language(queries, scores, positives, ks, directions, languages) -> dict:
    """:func:`_recalls`, or with ``languages`` its mean over languages plus each language's as ``lang/...``."""
    if languages is None:
        return _recalls(queries, scores, positives, ks, directions)
    languages = np.asarray(languages)
    per_language = {lang: _recalls(queries[languages == lang], scores[languages == lang], positives[languages == lang],
                                   ks, directions)
                    for lang in sorted(set(languages.tolist()))}
    metrics = {key: round(float(np.mean([m[key] for m in per_language.values()])), 4)
               for key in next(iter(per_language.values()))}
    for lang, values in per_language.items():
        metrics.update({f"{lang}/{key}": value for key, value in values.items()})
    return metrics


def _recalls(queries: np.ndarray, scores: np.ndarray, positives: np.ndarray, ks, directions) -> dict:
    """``queries``: text->image scores; ``scores``: the texts' own (image->text)."""
    metrics = {}
    if "text_to_image" in directions:
        metrics.update({f"text_to_image_R@{k}": percent(h) for k, h in hit_rates(queries, positives, ks).items()})
    if "image_to_text" in directions:
        captioned = positives.any(axis=0)  # images without a caption (in this language) are not queries
        hits = hit_rates(scores.T[captioned], positives.T[captioned], ks)
        metrics.update({f"image_to_text_R@{k}": percent(h) for k, h in hits.items()})
    metrics["mean_recall"] = round(float(np.mean(list(metrics.values()))), 4)
    return metrics
