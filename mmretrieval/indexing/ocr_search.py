"""Search with the text read in images: fuse the ``ocr`` vector's ranking with the image vector's.

A text query meets two lists: images by their pixels (``image`` vector) and images by the text OCR
read in them (``ocr`` vector, the text embedded as a passage). Their cosines are not comparable, so
the lists are fused (``search.fusion``) by z-score: each cosine standardised against its own list's
top ``POOL``. On the text-rich VQA set that beats reciprocal rank fusion by far (R@1 83 vs 3 with
e5-small-lite0, eval/report.md): there the image list ranks the right page at random, and RRF rewards
any image that sits in both lists. An OCR hit only adds to an image's score when its cosine clears the
model's floor (``OCR_FLOORS``): otherwise every image with a scrap of text in it would gain on every
query. Photos without text rank by their pixels alone.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

from ..search.fusion import fuse
from ..store import OCR
from .results import Hit

POOL = 50  # candidates taken from each list before fusing
METHOD = "zscore"
OCR_WEIGHT = 2.0  # the OCR list's weight in the fusion (the image list's is 1), see the module docstring
# Least OCR cosine counted as a match, per model: the 5th percentile of the cosine between a question and
# the OCR text of its own image on the text-rich VQA set (ocr/matched_cosine_p05 in eval/results, run
# with no floor), rounded down. Junk reads of photos (e5: "C000" on assets/camera.jpg) stay below it.
OCR_FLOORS = {"e5-small-lite0": 0.84, "minilm-l6-lite0": 0.35}
DEFAULT_FLOOR = -1.0  # other models: not measured, every candidate counts


def ocr_floor(model_name: str) -> float:
    return OCR_FLOORS.get(model_name, DEFAULT_FLOOR)


def fused_search(index, vector, limit: int, filter, dim, kinds, method: str = METHOD,
                 floor: Optional[float] = None, cutoffs: Optional[dict] = None, image_vector=None) -> list[Hit]:
    """Top ``limit`` of the ``kinds`` rankings and the OCR ranking fused; each hit's ``score`` is the fused
    score and ``explanation`` says which lists it came from (rank and cosine in each). ``cutoffs`` (the
    relevance cut-off per ranking) are floors of the ``kinds`` rankings as ``floor`` is the OCR ranking's:
    a hit under one keeps its place in its list's statistics but adds nothing. ``image_vector`` (if given)
    ranks images in place of ``vector`` (``Index.search``); the OCR ranking, a text one, uses ``vector``."""
    floor = ocr_floor(index.model.config.name) if floor is None else floor
    pool = max(POOL, limit)
    rankings = {kind: index._query(vector, pool, filter, dim, (kind,), image_vector=image_vector) for kind in kinds}
    rankings[OCR] = [Hit.from_point(p) for p in index.store.query(vector, using=OCR, limit=pool, filter=filter)]
    fused = fuse(rankings, method=method, limit=limit, floors={**(cutoffs or {}), OCR: floor}, weights={OCR: OCR_WEIGHT})
    return [replace(f.hit, score=f.score, explanation=f.explanation) for f in fused]
