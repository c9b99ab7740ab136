"""Item routes: an indexed item's JSON, its original file and JPEG thumbnails, by point id only."""

from __future__ import annotations

import os

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, Response

from ..images import ImageLoadError
from .schemas import Hit, responses
from .state import ServerState
from .thumbs import ThumbnailCache
from .views import hits_json

THUMB_SIZES = (128, 256, 512)
CACHE_HEADERS = {"Cache-Control": "private, max-age=3600"}


def file_routes(state: ServerState) -> APIRouter:
    router = APIRouter()
    thumbnail = ThumbnailCache()  # (per app, per file version)

    @router.get("/api/items/{point_id}", responses=responses(404, 422, ok=Hit))
    def item(point_id: str):
        return hits_json([state.point(point_id)])[0]

    @router.get("/api/image/{point_id}", responses=responses(404, 410, 422, media="image/*"), response_class=Response)
    def image(point_id: str):
        return FileResponse(state.image_file(point_id), headers=CACHE_HEADERS)

    @router.get("/api/thumb/{point_id}", responses=responses(404, 410, 422, media="image/jpeg"),
                response_class=Response)
    def thumb(point_id: str, size: int = 256):
        if size not in THUMB_SIZES:
            raise HTTPException(422, f"thumbnail size must be one of {THUMB_SIZES}")
        path = state.image_file(point_id)
        try:
            data = thumbnail(path, os.stat(path).st_mtime, size)
        except ImageLoadError as err:
            raise HTTPException(410, f"the indexed file of {point_id!r} no longer loads: {err.reason}") from None
        return Response(data, media_type="image/jpeg", headers=CACHE_HEADERS)

    return router
