"""Search routes: by text, by uploaded image, and similar-to-an-indexed-item."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, File, HTTPException, Query, UploadFile

from ..images import ImageLoadError, load_image
from ..photo_filters import photo_filter
from ..queries import check_query
from .schemas import BODY, ImageSearchAnswer, SearchAnswer, SimilarAnswer, responses
from .state import ServerState
from .views import hit_json


def search_routes(state: ServerState) -> APIRouter:
    router = APIRouter()
    index = state.index
    limit_q = Query(12, ge=1, le=state.settings.max_limit)

    @router.get("/api/search", responses=responses(422, ok=SearchAnswer))
    def search_text(q: str = Query(...), limit: int = limit_q,
                    kinds: str = Query("image", pattern="^(image|text)(,(image|text))?$"),
                    after: Optional[str] = None, before: Optional[str] = None, camera: Optional[str] = None,
                    near: Optional[str] = None, min_score: Optional[float] = Query(None, ge=-1, le=1)):
        try:
            q = check_query(q)
            flt = photo_filter(after, before, camera, near)
        except ValueError as err:
            raise HTTPException(422, str(err)) from None
        vector = state.embed_queries(q)
        image_vector = index.model.image_queries(q, vector)  # (outside the store lock: no store work)
        with state.store_lock:
            hits = index.search(vector=vector, image_vector=image_vector, limit=limit, kinds=tuple(kinds.split(",")),
                                ocr=True, filter=flt, min_score=min_score)
        used = min_score if min_score is not None else index.model.config.min_score
        return {"query": q, "min_score": used, "hits": [hit_json(h, q) for h in hits]}

    @router.post("/api/search/image", responses=responses(*BODY, 422, ok=ImageSearchAnswer))
    def search_image(file: UploadFile = File(...), limit: int = limit_q):
        data = file.file.read()
        try:
            image = load_image(data, min_size=index.model.trunk.input_size)  # (a reduced JPEG decode, as indexing)
        except ImageLoadError as err:
            raise HTTPException(400, f"uploaded file {file.filename!r}: {err.reason}") from None
        with state.image_lock:
            vector = index.model.encode_image(image)
        with state.store_lock:
            hits = index.search(vector=vector, limit=limit, min_score=0)  # (the cut-off is for text queries)
        return {"query": file.filename, "hits": [hit_json(h) for h in hits]}

    @router.get("/api/similar/{point_id}", responses=responses(404, 422, ok=SimilarAnswer))
    def similar(point_id: str, limit: int = limit_q):
        source = state.point(point_id)
        with state.store_lock:
            hits = index.similar(source.id, limit=limit)
        return {"query": hit_json(source), "hits": [hit_json(h) for h in hits]}

    return router
