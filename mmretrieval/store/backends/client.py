"""Engine ``client``: qdrant-client, embedded (local mode, a folder or ``:memory:``) or a server by URL."""

from __future__ import annotations

import functools
import json
import os
from typing import Iterator, Optional

import numpy as np

from ..payload import DATETIME_FIELDS, GEO_FIELDS, KEYWORD_FIELDS, TEXT_FIELDS
from .base import StoreLockedError, folder_bytes

# qdrant-client's local mode is exact brute force in Python: fine up to about this many points.
LOCAL_MODE_COMFORT_LIMIT = 20_000


class ClientBackend:
    """One collection through qdrant-client: give ``path`` (folder or ``":memory:"``), ``url``, or an open
    ``client`` (a ``QdrantClient`` the caller shares with other tools, and closes itself)."""

    def __init__(self, collection: str, path: Optional[str] = None, url: Optional[str] = None, api_key=None,
                 client=None):
        from qdrant_client import QdrantClient

        self.collection = collection
        self.is_local = url is None and (client is None or _is_local(client))
        self.location = url if url is not None else path if client is None else f"the given {type(client).__name__}"
        # local mode slows down past this size; a server has HNSW
        self.slow_past = LOCAL_MODE_COMFORT_LIMIT if self.is_local else None
        self._borrowed = client is not None
        if client is not None:
            self.client = client
        elif url is not None:
            self.client = QdrantClient(url=url, api_key=api_key)
        elif path == ":memory:":
            self.client = QdrantClient(location=":memory:")
        else:
            self.client = _open_embedded(path)

    def exists(self) -> bool:
        return self.client.collection_exists(self.collection)

    def vectors_config(self):
        """The collection's dense vector settings: one ``VectorParams``, or a dict of them by name."""
        return self.client.get_collection(self.collection).config.params.vectors

    def read_record(self, key: str) -> Optional[dict]:
        return (self.client.get_collection(self.collection).config.metadata or {}).get(key)

    def update_record(self, key: str, record: dict) -> None:
        self.client.update_collection(self.collection, metadata={key: record})

    def vector_names(self) -> list[str]:
        config = self.vectors_config()
        return list(config) if isinstance(config, dict) else [""]

    def create(self, sizes: dict[str, int], key: str, record: dict) -> None:
        from qdrant_client import models

        params = {name: models.VectorParams(size=size, distance=models.Distance.COSINE) for name, size in sizes.items()}
        self.client.create_collection(self.collection, vectors_config=params, metadata={key: record})
        if not self.is_local:  # embedded mode has no payload indexes (and warns if asked)
            kinds = [(KEYWORD_FIELDS, models.PayloadSchemaType.KEYWORD), (TEXT_FIELDS, models.PayloadSchemaType.TEXT),
                     (DATETIME_FIELDS, models.PayloadSchemaType.DATETIME), (GEO_FIELDS, models.PayloadSchemaType.GEO)]
            for names, schema in kinds:
                for name in names:
                    self.client.create_payload_index(self.collection, name, schema)

    def drop(self) -> None:
        self.client.delete_collection(self.collection)

    def list_collections(self) -> list[str]:
        return sorted(c.name for c in self.client.get_collections().collections)

    def disk_bytes(self) -> Optional[int]:
        if not self.is_local or self.location == ":memory:":
            return None
        return folder_bytes(os.path.join(self.location, "collection", self.collection))  # local mode's layout

    def upsert(self, points) -> None:
        from qdrant_client import models

        self.client.upsert(
            self.collection,
            [models.PointStruct(id=p.id, payload=p.payload, vector={k: v.tolist() for k, v in p.vectors.items()})
             for p in points],
            wait=True,
        )

    def delete(self, ids: list) -> None:
        from qdrant_client import models

        self.client.delete(self.collection, models.PointIdsList(points=ids), wait=True)

    def set_payload(self, point_id: str, payload: dict) -> None:
        self.client.set_payload(self.collection, payload=payload, points=[point_id], wait=True)

    def retrieve(self, ids: list, with_vectors=False) -> list:
        return self.client.retrieve(self.collection, ids, with_payload=True, with_vectors=with_vectors)

    def scroll(self, flt, with_vectors: bool, batch_size: int) -> Iterator:
        offset = None
        while True:
            records, offset = self.client.scroll(
                self.collection, scroll_filter=flt, limit=batch_size, offset=offset,
                with_payload=True, with_vectors=with_vectors,
            )
            yield from records
            if offset is None:
                return

    def count(self, flt) -> int:
        return self.client.count(self.collection, count_filter=flt, exact=True).count

    def query(self, vector: np.ndarray, using: str, limit: int, flt, prefetch=None, payload=True) -> list:
        """Top ``limit`` by cosine on ``using``; ``prefetch`` = (name, small vector, candidates) reranks."""
        from qdrant_client import models

        if self.is_local:
            with one_blas_thread():
                if prefetch is not None:
                    return self._rerank_locally(vector, using, limit, flt, *prefetch, payload=payload)
                return self._query_points(vector, using, limit, flt, None, payload)
        coarse = None
        if prefetch is not None:
            name, small, candidates = prefetch
            coarse = models.Prefetch(query=small.tolist(), using=name, filter=flt, limit=candidates)
        return self._query_points(vector, using, limit, flt, coarse, payload)

    def _query_points(self, vector, using, limit, flt, coarse, payload) -> list:
        return self.client.query_points(
            self.collection, query=vector.tolist(), using=using, prefetch=coarse, query_filter=flt,
            limit=limit, with_payload=payload if payload is True else list(payload),
        ).points

    def _rerank_locally(self, vector, using, limit, flt, name, small, candidates, payload=True) -> list:
        """Coarse-to-fine for local mode: prefetch on ``name``, rerank the candidates in numpy.

        Local mode runs a prefetch query's rerank as a has-id filter checked point by point over the
        whole collection, slower than the full search it should save; this gives the same scores.
        """
        from qdrant_client import models

        found = self.client.query_points(
            self.collection, query=small.tolist(), using=name, query_filter=flt, limit=candidates, with_payload=False
        ).points
        records = [r for r in self.client.retrieve(self.collection, [c.id for c in found], with_vectors=[using],
                                                   with_payload=payload if payload is True else list(payload))
                   if using in (r.vector or {})]
        if not records:
            return []
        scores = np.asarray([r.vector[using] for r in records], dtype=np.float32) @ (vector / np.linalg.norm(vector))
        best = np.argsort(-scores, kind="stable")[:limit]
        return [models.ScoredPoint(id=records[i].id, version=0, score=float(scores[i]), payload=records[i].payload)
                for i in best]

    def close(self) -> None:
        if not self._borrowed:
            self.client.close()


def collections_in(folder: str) -> list[str]:
    """The collections local mode keeps in a store folder (its ``meta.json``), without opening it."""
    try:
        with open(os.path.join(folder, "meta.json")) as meta:
            return sorted(json.load(meta).get("collections") or {})
    except (OSError, ValueError, AttributeError):
        return []


@functools.lru_cache(maxsize=1)
def _blas_threads():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread():
    """Local mode scores a query in numpy, a memory-bound matrix-vector product: on one BLAS thread, the
    BLAS pool's idle workers do not spin against the text model's threads afterwards (that made each
    query's text encode 2-3x slower; eval/bench_search.py)."""
    return _blas_threads().limit(limits=1, user_api="blas")


def _is_local(client) -> bool:
    """Whether a ``QdrantClient`` runs in local mode (in-process), not against a server."""
    from qdrant_client.local.qdrant_local import QdrantLocal

    return isinstance(getattr(client, "_client", None), QdrantLocal)


def _open_embedded(folder: str):
    from qdrant_client import QdrantClient

    try:
        return QdrantClient(path=folder)
    except RuntimeError as err:
        if "already accessed" not in str(err):
            raise
        raise StoreLockedError.for_folder(folder, os.path.join(folder, ".lock")) from None
