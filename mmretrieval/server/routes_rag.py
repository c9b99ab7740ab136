"""The RAG route: one question, images and passages fused into a context bundle (+ an answer)."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from ..search.query import check_query
from ..search.fusion import FUSION_METHODS
from ..search.score import FUSION
from ..rag.generate import GenerationError, generate
from ..rag.retrieve import retrieve
from .schemas import BODY, RagAnswer, responses
from .state import ServerState
from .views import urls


NO_GENERATOR = ("no generator is configured, so there is no answer (start the server with --llm-url and "
                "--llm-model); the items are the context a model would get")


class RagRequest(BaseModel):
    question: str
    limit: int = Field(8, ge=1, le=50)
    max_images: int = Field(4, ge=0, le=20)
    fusion: str = FUSION
    generate: bool = True
    min_score: Optional[float] = Field(None, ge=-1, le=1)
    condition: bool = True


def rag_routes(state: ServerState) -> APIRouter:
    router = APIRouter()
    generator = state.settings.generator

    @router.post("/api/rag", responses=responses(*BODY, 422, 502, ok=RagAnswer))
    def rag(body: RagRequest):
        if body.fusion not in FUSION_METHODS:
            raise HTTPException(422, f"fusion must be one of {', '.join(FUSION_METHODS)}")
        try:
            question = check_query(body.question, "question")
            vector = state.embed_queries(question)
            with state.store_lock:
                bundle = retrieve(state.index, question, limit=body.limit, max_images=body.max_images,
                                  fusion=body.fusion, query_vector=vector, min_score=body.min_score,
                                  condition=body.condition)
        except ValueError as err:
            raise HTTPException(422, str(err)) from None
        result = bundle.to_dict()
        for entry in result["items"]:
            if entry["kind"] == "image":
                entry.update(urls(entry["id"]))
        result["answer"], result["note"] = None, None
        if not body.generate:
            result["note"] = "no answer asked for (generate: false): the items are the context a model would get"
        elif generator is None:
            result["note"] = NO_GENERATOR
        else:
            try:
                result["answer"] = generate(bundle, generator)
            except GenerationError as err:
                raise HTTPException(502, str(err)) from None
        return result

    return router
