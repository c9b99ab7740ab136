"""The near-duplicates route: groups of copies of the same photo among the indexed images."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, HTTPException, Query

from .state import ServerState
from .views import hits_json


def duplicate_routes(state: ServerState) -> APIRouter:
    router = APIRouter()

    @router.get("/api/duplicates")
    def duplicates(threshold: Optional[float] = Query(None, ge=-1, le=1)):
        try:
            with state.store_lock:
                groups = state.index.duplicates(threshold=threshold)
        except ValueError as err:  # (a model without a calibrated threshold, and none given)
            raise HTTPException(422, str(err)) from None
        used = threshold if threshold is not None else state.index.model.config.duplicate_threshold
        return {"threshold": used, "groups": [{**g.to_dict(n), "items": hits_json(g.items)}
                                              for n, g in enumerate(groups, 1)]}

    return router
