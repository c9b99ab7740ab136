"""The relevance policy: the least cosine each ranking of a query counts, so a query with nothing relevant finds nothing.

Calibrated values live in the model config and are dropped when its weights change
(``ModelConfig.uncalibrated``):

- ``min_score``: the least cosine of a photo found by a text query (``eval/calibrate_min_score.py``);
- ``ocr_floor``: the least cosine of a match by the text read in an image (the 5th percentile of the cosine
  between a question and its own image's OCR text on the text-rich VQA set, ``eval/suite_text_rich.json``).
  Without it every image with text in it counts in the OCR ranking.

A ``min_score`` the caller gives overrides the model's and applies to every ranking searched but the OCR
one; 0 or less turns the cut-off off. In a single ranking a hit under its floor is dropped; in a fused
search it keeps its place in its list's statistics but adds nothing (``search.fusion``).
"""

from __future__ import annotations

from typing import Optional, Sequence

from ..store import IMAGE, OCR


def floors(min_score: Optional[float], config, by_text: bool, rankings: Sequence[str]) -> dict[str, float]:
    """``{ranking: least cosine}`` for the ``rankings`` of a query (``by_text``: a text query) under ``config``."""
    if min_score is not None and not -1.0 <= min_score <= 1.0:
        raise ValueError(f"min_score is a cosine, in -1..1 (0 or less: no cut-off); got {min_score}")
    out: dict[str, float] = {}
    if min_score is None:
        default = getattr(config, "min_score", None)
        if by_text and default is not None and default > 0 and IMAGE in rankings:
            out[IMAGE] = float(default)
    elif min_score > 0:
        out.update({name: float(min_score) for name in rankings if name != OCR})
    ocr_floor = getattr(config, "ocr_floor", None)
    if OCR in rankings and ocr_floor is not None:
        out[OCR] = float(ocr_floor)
    return out
