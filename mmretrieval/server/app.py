"""The HTTP API and search page: search by text or uploaded image, similar-to-id, RAG, health.

Image bytes are served by point id only, from the path stored for that point when it was indexed,
so no request can name a file; uploads are bounded by :class:`BodySizeLimit`; with an API key set,
every ``/api`` route but ``/api/health`` needs it (``X-API-Key`` header or ``Authorization: Bearer``).
"""

from __future__ import annotations

import hmac
import io
import os
import threading
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

from fastapi import Depends, FastAPI, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from .. import payload as P
from ..images import ImageLoadError, load_image
from ..rag.fusion import FUSION_METHODS
from ..rag.generate import GenerationError, GeneratorConfig, generate
from ..rag.retrieve import retrieve
from .batching import QueryBatcher
from .limits import BodySizeLimit

STATIC = Path(__file__).parent / "static"
THUMB_SIZES = (128, 256, 512)


@dataclass(frozen=True)
class ServerSettings:
    api_key: Optional[str] = None
    max_upload_bytes: int = 10 * 2**20
    generator: Optional[GeneratorConfig] = None
    max_limit: int = 100


class RagRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    limit: int = Field(8, ge=1, le=50)
    max_images: int = Field(4, ge=0, le=20)
    method: str = "rrf"
    generate: bool = True


def create_app(index, settings: ServerSettings = ServerSettings()) -> FastAPI:
    """A FastAPI app over ``index`` (an :class:`mmretrieval.indexing.Index`); loads its model now, which
    also refuses one that did not make the collection."""
    index.model
    app = FastAPI(title="mmretrieval", docs_url="/api/docs", openapi_url="/api/openapi.json", redoc_url=None)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    # The store (the embedded Qdrant client is plain Python) and the image trunk serve one request
    # at a time; text queries are encoded in shared batches by one worker. Look-ups of items and
    # thumbnails never wait behind an encode.
    image_lock, store_lock = threading.Lock(), threading.Lock()
    embed_queries = QueryBatcher(lambda texts: index.model.encode_text(texts, task="retrieval.query"))
    limit_q = Query(12, ge=1, le=settings.max_limit)

    def require_key(request: Request) -> None:
        if settings.api_key is None:
            return
        given = request.headers.get("x-api-key") or _bearer(request.headers.get("authorization", ""))
        if not given or not hmac.compare_digest(given.encode(), settings.api_key.encode()):
            raise HTTPException(401, "missing or wrong API key: send it as the X-API-Key header",
                                headers={"WWW-Authenticate": "Bearer"})

    def point(point_id: str):
        """The indexed point ``point_id`` (ids are UUIDs: anything else, like a path, is not found)."""
        try:
            point_id = str(uuid.UUID(point_id))  # canonical form ("{...}", "urn:uuid:..." and hex accepted)
        except ValueError:
            raise HTTPException(404, f"no indexed item {point_id!r}") from None
        with store_lock:
            hit = index.get(point_id)
        if hit is None:
            raise HTTPException(404, f"no indexed item {point_id!r}")
        return hit

    def image_file(point_id: str) -> str:
        hit = point(point_id)
        path = hit.payload.get(P.PATH)
        if hit.kind != P.KIND_IMAGE or not path:
            raise HTTPException(404, f"item {point_id!r} is not an image")
        if not os.path.isfile(path):
            raise HTTPException(410, f"the indexed file of {point_id!r} is gone from disk; re-run mmretrieval index")
        return path

    @lru_cache(maxsize=2048)
    def thumbnail(path: str, mtime: float, size: int) -> bytes:
        image = load_image(path)
        image.thumbnail((size, size))
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=82)
        return out.getvalue()

    api = [Depends(require_key)]

    @app.get("/api/health")
    def health():
        with store_lock:
            count = index.count()
            info = index.store.info()
        return {"status": "ok", "points": count, "model": info.model if info else None,
                "auth": settings.api_key is not None, "generator": settings.generator is not None,
                "max_upload_bytes": settings.max_upload_bytes}

    @app.get("/api/search", dependencies=api)
    def search_text(q: str = Query(..., min_length=1, max_length=2000), limit: int = limit_q,
                    kinds: str = Query("image", pattern="^(image|text)(,(image|text))?$")):
        vector = embed_queries(q)
        with store_lock:
            hits = index.search(vector=vector, limit=limit, kinds=tuple(kinds.split(",")))
        return {"query": q, "hits": [_hit_json(h) for h in hits]}

    @app.post("/api/search/image", dependencies=api)
    def search_image(file: UploadFile = File(...), limit: int = limit_q):
        data = file.file.read()
        try:
            image = load_image(data)
        except ImageLoadError as err:
            raise HTTPException(400, f"uploaded file {file.filename!r}: {err.reason}") from None
        with image_lock:
            vector = index.model.encode_image(image)
        with store_lock:
            hits = index.search(vector=vector, limit=limit)
        return {"query": file.filename, "hits": [_hit_json(h) for h in hits]}

    @app.get("/api/similar/{point_id}", dependencies=api)
    def similar(point_id: str, limit: int = limit_q):
        source = point(point_id)
        with store_lock:
            hits = index.similar(source.id, limit=limit)
        return {"query": _hit_json(source), "hits": [_hit_json(h) for h in hits]}

    @app.get("/api/items/{point_id}", dependencies=api)
    def item(point_id: str):
        return _hit_json(point(point_id))

    @app.get("/api/image/{point_id}", dependencies=api)
    def image(point_id: str):
        return FileResponse(image_file(point_id), headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/api/thumb/{point_id}", dependencies=api)
    def thumb(point_id: str, size: int = 256):
        if size not in THUMB_SIZES:
            raise HTTPException(422, f"thumbnail size must be one of {THUMB_SIZES}")
        path = image_file(point_id)
        try:
            data = thumbnail(path, os.stat(path).st_mtime, size)
        except ImageLoadError as err:
            raise HTTPException(410, f"the indexed file of {point_id!r} no longer loads: {err.reason}") from None
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})

    @app.post("/api/rag", dependencies=api)
    def rag(body: RagRequest):
        if body.method not in FUSION_METHODS:
            raise HTTPException(422, f"method must be one of {', '.join(FUSION_METHODS)}")
        try:
            vector = embed_queries(body.question)
            with store_lock:
                bundle = retrieve(index, body.question, limit=body.limit, max_images=body.max_images,
                                  method=body.method, query_vector=vector)
        except ValueError as err:
            raise HTTPException(422, str(err)) from None
        result = bundle.to_dict()
        for entry in result["items"]:
            if entry["type"] == "image":
                entry.update(_urls(entry["id"]))
        result["answer"] = None
        if body.generate and settings.generator is not None:
            try:
                result["answer"] = generate(bundle, settings.generator)
            except GenerationError as err:
                raise HTTPException(502, str(err)) from None
        return result

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _bearer(header: str) -> Optional[str]:
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _urls(point_id: str) -> dict:
    return {"image_url": f"/api/image/{point_id}", "thumb_url": f"/api/thumb/{point_id}"}


def _hit_json(hit) -> dict:
    p = hit.payload
    out = {"id": hit.id, "kind": hit.kind, "score": round(float(hit.score), 6), "path": p.get(P.PATH),
           "name": os.path.basename(p.get(P.PATH) or ""), "caption": p.get(P.CAPTION)}
    if hit.kind == P.KIND_IMAGE:
        out.update(_urls(hit.id))
        out.update(width=p.get(P.WIDTH), height=p.get(P.HEIGHT))
    else:
        out.update(text=p.get(P.TEXT), start=p.get(P.START), end=p.get(P.END))
    return out
