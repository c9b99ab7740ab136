"""Search routes: by text, by uploaded image, and similar-to-an-indexed-item; each runs ``Index.search``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from fastapi import APIRouter, Depends, File, HTTPException, Query, UploadFile

from ..images import ImageLoadError, load_image
from ..search.query import check_query, text_query, vector_query
from ..search.fusion import FUSION_METHODS
from ..search.score import DEFAULT_LIMIT, FUSION
from ..store.photo_filters import photo_filter
from .schemas import BODY, ImageSearchAnswer, SearchAnswer, SimilarAnswer, responses
from .state import ServerState
from .views import hits_json

KINDS_PATTERN = "^(image|text)(,(image|text))?$"


@dataclass
class SearchOptions:
    """What ``/api/search`` and ``/api/search/image`` both take: the CLI's ``search`` options."""

    kinds: tuple
    filter: Optional[dict]
    min_score: Optional[float]
    fusion: str
    condition: bool = True


def search_routes(state: ServerState) -> APIRouter:
    router = APIRouter()
    index = state.index
    limit_q = Query(DEFAULT_LIMIT, ge=1, le=state.settings.max_limit)

    def options(kinds: str = Query("image", pattern=KINDS_PATTERN), after: Optional[str] = None,
                before: Optional[str] = None, camera: Optional[str] = None, near: Optional[str] = None,
                min_score: Optional[float] = Query(None, ge=-1, le=1),
                fusion: str = Query(FUSION, pattern=f"^({'|'.join(FUSION_METHODS)})$"),
                condition: bool = True) -> SearchOptions:
        try:
            flt = photo_filter(after, before, camera, near)
        except ValueError as err:
            raise HTTPException(422, str(err)) from None
        return SearchOptions(tuple(kinds.split(",")), flt, min_score, fusion, condition)

    def run(query, limit: int, opts: SearchOptions):
        with state.store_lock:
            return index.search(query=query, limit=limit, kinds=opts.kinds, filter=opts.filter, min_score=opts.min_score,
                                fusion=opts.fusion, condition=opts.condition)

    @router.get("/api/search", responses=responses(422, ok=SearchAnswer))
    def search_text(q: str = Query(...), limit: int = limit_q, opts: SearchOptions = Depends(options)):
        try:
            q = check_query(q)
        except ValueError as err:
            raise HTTPException(422, str(err)) from None
        query = text_query(index.model, q, state.embed_queries(q))  # (the query map: outside the store lock)
        used = opts.min_score if opts.min_score is not None else index.model.config.min_score
        return {"query": q, "min_score": used, "hits": hits_json(run(query, limit, opts), q)}

    @router.post("/api/search/image", responses=responses(*BODY, 422, ok=ImageSearchAnswer))
    def search_image(file: UploadFile = File(...), limit: int = limit_q, opts: SearchOptions = Depends(options)):
        data = file.file.read()
        try:
            image = load_image(data, min_size=index.model.trunk.input_size)  # (a reduced JPEG decode, as indexing)
        except ImageLoadError as err:
            raise HTTPException(400, f"uploaded file {file.filename!r}: {err.reason}") from None
        with state.image_lock:
            query = vector_query(index.model.encode_image(image))
        return {"query": file.filename, "min_score": opts.min_score, "hits": hits_json(run(query, limit, opts))}

    @router.get("/api/similar/{point_id}", responses=responses(404, 422, ok=SimilarAnswer))
    def similar(point_id: str, limit: int = limit_q):
        source = state.point(point_id)
        with state.store_lock:
            hits = index.similar(source.id, limit=limit)
        return {"query": hits_json([source])[0], "hits": hits_json(hits)}

    return router
