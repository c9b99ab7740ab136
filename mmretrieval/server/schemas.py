"""The shapes of the API's answers, for its OpenAPI schema: documented, not enforced per request (the
routes build plain dicts; ``tests/test_server_fuzz.py`` checks every answer against these).

Extra fields are allowed, so a field added to an answer is not a schema violation until documented here.
"""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Hit(_Open):
    """``mmretrieval.search.hits.hit_json`` (the payload's fields at the top level) plus links."""

    rank: int
    id: str
    kind: Literal["image", "text"]
    score: float  # a cosine; with ``explanation``, a fused score
    score_kind: Literal["cosine", "fused", "conditioned"]
    path: Optional[str] = None
    name: str
    caption: Optional[str] = None
    image_url: Optional[str] = None  # images
    thumb_url: Optional[str] = None
    width: Optional[int] = None
    height: Optional[int] = None
    ocr_text: Optional[str] = None
    ocr_matches: Optional[list[dict]] = None
    explanation: Optional[list[dict]] = None
    text: Optional[str] = None  # passages
    start: Optional[int] = None
    end: Optional[int] = None


class SearchAnswer(_Open):
    query: str
    min_score: Optional[float]
    hits: list[Hit]


class ImageSearchAnswer(_Open):
    query: Optional[str]  # the uploaded file's name
    min_score: Optional[float]
    hits: list[Hit]


class SimilarAnswer(_Open):
    query: Hit
    hits: list[Hit]


class DuplicateGroup(_Open):
    group: int
    similarity: float
    size: int
    items: list[Hit]


class DuplicatesAnswer(_Open):
    threshold: float
    groups: list[DuplicateGroup]


class RagItem(_Open):
    kind: Literal["image", "text"]
    id: str
    score: float
    cosine: float
    path: Optional[str]
    text: Optional[str]
    caption: Optional[str]
    start: Optional[int]
    end: Optional[int]
    explanation: list[dict]
    image_url: Optional[str] = None
    thumb_url: Optional[str] = None


class RagAnswer(_Open):
    question: str
    fusion: str
    prompt: str
    items: list[RagItem]
    answer: Optional[str]
    note: Optional[str]  # why there is no answer, when there is none


class Health(_Open):
    status: Literal["ok"]
    points: int
    model: Optional[str]
    auth: bool
    generator: bool
    max_upload_bytes: int
    min_score: Optional[float]


class ValidationProblem(BaseModel):
    loc: list[Union[str, int]]
    msg: str
    type: str


class Error(BaseModel):
    detail: Union[str, list[ValidationProblem]]


WHY = {400: "malformed request", 401: "missing or wrong API key", 404: "no such item", 410: "the indexed file is gone",
       413: "request body over the limit", 422: "invalid parameters", 502: "the generator failed"}
BODY = (400, 413)  # any request with a body may get these (limits.BodySizeLimit)


def responses(*codes: int, ok=None, media: Optional[str] = None) -> dict:
    """FastAPI ``responses=``: the 200 answer (a model, or a media type) and the errors ``codes`` (as Error)."""
    out = {code: {"model": Error, "description": WHY[code]} for code in codes}
    if ok is not None:
        out[200] = {"model": ok}
    if media is not None:
        out[200] = {"content": {media: {}}, "description": f"the {media} bytes"}
    return out
