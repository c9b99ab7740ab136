"""The relevance cut-off: the least cosine a search hit keeps, so a query with nothing relevant finds nothing.

A model may carry a calibrated cut-off for text queries against photos (``ModelConfig.min_score``, measured
by ``eval/calibrate_min_score.py``); it applies to the ``image`` vectors' ranking of a text query. A value
the caller gives overrides it and applies to every ranking searched; 0 or less turns the cut-off off.
"""

from __future__ import annotations

from typing import Optional, Sequence

from ..store import IMAGE


def cutoffs(min_score: Optional[float], model_default: Optional[float], text_query: bool,
            kinds: Sequence[str]) -> dict[str, float]:
    """``{vector name: least cosine}`` for the rankings of ``kinds`` that get a cut-off."""
    if min_score is None:
        use_default = text_query and model_default is not None and model_default > 0
        return {IMAGE: float(model_default)} if use_default and IMAGE in kinds else {}
    if not -1.0 <= min_score <= 1.0:
        raise ValueError(f"min_score is a cosine, in -1..1 (0 or less: no cut-off); got {min_score}")
    return {kind: float(min_score) for kind in kinds} if min_score > 0 else {}
