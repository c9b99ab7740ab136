"""What the routes share: the index, its locks, the query batcher, and look-ups of indexed items by id."""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass, field

from fastapi import HTTPException

from ..store import payload as P
from .batching import QueryBatcher
from .settings import ServerSettings


@dataclass
class ServerState:
    """The store (the embedded Qdrant client is plain Python) and the image trunk serve one request at
    a time (``store_lock``, ``image_lock``); text queries are encoded in shared batches by one worker
    (``embed_queries``). Look-ups of items and thumbnails never wait behind an encode."""

    index: object
    settings: ServerSettings
    store_lock: threading.Lock = field(default_factory=threading.Lock)
    image_lock: threading.Lock = field(default_factory=threading.Lock)
    embed_queries: QueryBatcher = None

    def __post_init__(self):
        index = self.index
        self.embed_queries = QueryBatcher(lambda texts: index.model.encode_text(texts, task="retrieval.query"))

    def point(self, point_id: str):
        """The indexed point ``point_id`` (ids are UUIDs: anything else, like a path, is not found)."""
        try:
            point_id = str(uuid.UUID(point_id))  # canonical form ("{...}", "urn:uuid:..." and hex accepted)
        except ValueError:
            raise HTTPException(404, f"no indexed item {point_id!r}") from None
        with self.store_lock:
            hit = self.index.get(point_id)
        if hit is None:
            raise HTTPException(404, f"no indexed item {point_id!r}")
        return hit

    def image_file(self, point_id: str) -> str:
        """The file of an indexed image, by point id only: no request ever names a path."""
        hit = self.point(point_id)
        path = hit.payload.get(P.PATH)
        if hit.kind != P.KIND_IMAGE or not path:
            raise HTTPException(404, f"item {point_id!r} is not an image")
        if not os.path.isfile(path):
            raise HTTPException(410, f"the indexed file of {point_id!r} is gone from disk; re-run mmretrieval index")
        return path
