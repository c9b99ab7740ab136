"""Item routes: an indexed item's JSON, its original file and JPEG thumbnails, by point id only."""

from __future__ import annotations

import io
import os
from functools import lru_cache

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, Response

from ..images import ImageLoadError, load_image
from .state import ServerState
from .views import hits_json

THUMB_SIZES = (128, 256, 512)
CACHE_HEADERS = {"Cache-Control": "private, max-age=3600"}


@lru_cache(maxsize=2048)
def thumbnail(path: str, mtime: float, size: int) -> bytes:
    """A JPEG of ``path`` fitted into ``size`` x ``size`` (cached per file version)."""
    image = load_image(path)
    image.thumbnail((size, size))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82)
    return out.getvalue()


def file_routes(state: ServerState) -> APIRouter:
    router = APIRouter()

    @router.get("/api/items/{point_id}")
    def item(point_id: str):
        return hits_json([state.point(point_id)])[0]

    @router.get("/api/image/{point_id}")
    def image(point_id: str):
        return FileResponse(state.image_file(point_id), headers=CACHE_HEADERS)

    @router.get("/api/thumb/{point_id}")
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
