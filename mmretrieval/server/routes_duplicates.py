"""The near-duplicates route: groups of copies of the same photo among the indexed images."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, HTTPException, Query

from .schemas import DuplicatesAnswer, responses
from .state import ServerState
from .views import hits_json


# Well under every copy measured (half-size copies 0.82+, calibrated thresholds 0.92-0.93, README); below it
# unrelated photos link (those of assets/ reach 0.448), so a lower one groups photos, not copies.
LEAST_THRESHOLD = 0.5
THRESHOLD_HELP = (f"least image-vector cosine of two copies, {LEAST_THRESHOLD}..1 (default: the model's calibrated "
                  "threshold)")


def duplicate_routes(state: ServerState) -> APIRouter:
    router = APIRouter()

    @router.get("/api/duplicates", responses=responses(422, ok=DuplicatesAnswer))
    def duplicates(threshold: Optional[float] = Query(None, ge=LEAST_THRESHOLD, le=1, description=THRESHOLD_HELP)):
        try:
            with state.store_lock:
                groups = state.index.duplicates(threshold=threshold)
        except ValueError as err:  # (a model without a calibrated threshold, and none given)
            raise HTTPException(422, str(err)) from None
        used = threshold if threshold is not None else state.index.model.config.duplicate_threshold
        return {"threshold": used, "groups": [{**g.to_dict(n), "items": hits_json(g.items)}
                                              for n, g in enumerate(groups, 1)]}

    return router
