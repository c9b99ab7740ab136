"""Engine ``edge``: qdrant-edge, Qdrant's Rust engine in-process (``pip install "mmretrieval[edge]"``).

Layout in the store folder: ``edge/<collection>/shard/`` (the edge shard) and
``edge/<collection>/collection.json`` (the model record; edge shards have no metadata), beside the
``client`` engine's files, which it never touches. ``edge/.lock`` is held while the store is open.

Search is exact (a plain, brute-force index in Rust) unless :meth:`EdgeBackend.optimize` is called.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from .base import StoreLockedError, folder_bytes

_VECTORS_KEY = "vectors"  # collection.json: the named vectors the shard was made with


class EdgeBackend:
    """One collection as a qdrant-edge shard under ``path`` (a folder, or ``":memory:"`` for a temp one)."""

    slow_past = None  # exact search in Rust stays fast far past local mode's limit

    def __init__(self, collection: str, path: str):
        try:
            import qdrant_edge  # noqa: F401
        except ImportError:
            raise ImportError("engine 'edge' needs qdrant-edge-py: pip install \"mmretrieval[edge]\"") from None
        self.collection = collection
        self.location = path
        self._scratch = tempfile.TemporaryDirectory(prefix="mmretrieval-edge-") if path == ":memory:" else None
        folder = Path(self._scratch.name if self._scratch else path)
        self._lock = _lock_folder(folder / "edge", folder)
        self._home = folder / "edge" / collection
        self._record_file = self._home / "collection.json"
        self._shard_dir = self._home / "shard"
        self.shard = None
        if self._record_file.exists() and self._shard_dir.exists():
            from qdrant_edge import EdgeShard

            try:
                self.shard = EdgeShard.load(str(self._shard_dir))
            except BaseException:
                self.close()
                raise

    # ---- collection -------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.shard is not None

    def read_record(self, key: str) -> Optional[dict]:
        return json.loads(self._record_file.read_text()).get(key)

    def create(self, sizes: dict[str, int], key: str, record: dict) -> None:
        """A new shard with one cosine vector per name, then its record (the record marks it complete)."""
        from qdrant_edge import Distance, EdgeConfig, EdgeShard, EdgeVectorParams

        shutil.rmtree(self._shard_dir, ignore_errors=True)  # left by a create that died before its record
        config = EdgeConfig(vectors={name: EdgeVectorParams(size=size, distance=Distance.Cosine)
                                     for name, size in sizes.items()})
        self.shard = EdgeShard.create(str(self._shard_dir), config)
        self._write_records({key: record, _VECTORS_KEY: sorted(sizes)})

    def update_record(self, key: str, record: dict) -> None:
        self._write_records({**json.loads(self._record_file.read_text()), key: record})

    def vector_names(self) -> list[str]:  # (shards made before the record listed them had these)
        return json.loads(self._record_file.read_text()).get(_VECTORS_KEY, ["image", "small", "text"])

    def _write_records(self, records: dict) -> None:
        partial = self._record_file.with_suffix(".tmp")
        partial.write_text(json.dumps(records, indent=1))
        os.replace(partial, self._record_file)

    def drop(self) -> None:
        if self.shard is not None:
            self.shard.close()
            self.shard = None
        shutil.rmtree(self._home, ignore_errors=True)

    def list_collections(self) -> list[str]:
        return collections_in(self._home.parent.parent)

    def disk_bytes(self) -> Optional[int]:
        return None if self._scratch else folder_bytes(self._home)

    def optimize(self) -> None:
        """Run edge's optimizers, blocking: segments past the indexing threshold (about 10 MB of
        vectors) get an HNSW index (m=16, ef_construct=100), so search turns approximate."""
        self.shard.optimize()

    # ---- points -----------------------------------------------------------------------------
    def upsert(self, points) -> None:
        from qdrant_edge import Point, UpdateOperation

        self.shard.update(UpdateOperation.upsert_points(
            [Point(p.id, {k: v.tolist() for k, v in p.vectors.items()}, p.payload) for p in points]
        ))

    def delete(self, ids: list) -> None:
        from qdrant_edge import UpdateOperation

        self.shard.update(UpdateOperation.delete_points(ids))

    def set_payload(self, point_id: str, payload: dict) -> None:
        from qdrant_edge import UpdateOperation

        self.shard.update(UpdateOperation.set_payload([point_id], payload))

    def retrieve(self, ids: list, with_vectors=False) -> list:
        return [_record(r) for r in self.shard.retrieve(ids, True, with_vectors)]

    def scroll(self, flt, with_vectors: bool, batch_size: int) -> Iterator:
        from qdrant_edge import ScrollRequest

        offset, flt = None, edge_filter(flt)
        while True:
            records, offset = self.shard.scroll(ScrollRequest(
                offset=offset, limit=batch_size, filter=flt, with_payload=True, with_vector=with_vectors))
            yield from map(_record, records)
            if offset is None:
                return

    def count(self, flt) -> int:
        from qdrant_edge import CountRequest

        return self.shard.count(CountRequest(exact=True, filter=edge_filter(flt)))

    def query(self, vector: np.ndarray, using: str, limit: int, flt, prefetch=None, payload=True) -> list:
        """Top ``limit`` by cosine on ``using``; ``prefetch`` = (name, small vector, candidates) reranks;
        ``payload``: True or the only fields to return."""
        from qdrant_client import models
        from qdrant_edge import PayloadSelector, Prefetch, Query, QueryRequest

        flt = edge_filter(flt)
        coarse = None
        if prefetch is not None:
            name, small, candidates = prefetch
            coarse = [Prefetch(limit=candidates, query=Query.Nearest(small.tolist(), using=name), filter=flt)]
        found = self.shard.query(QueryRequest(
            limit=limit, query=Query.Nearest(vector.tolist(), using=using), prefetches=coarse, filter=flt,
            with_payload=True if payload is True else PayloadSelector.Include(list(payload)), with_vector=False,
        ))
        return [models.ScoredPoint.model_construct(id=str(p.id), version=p.version, score=p.score, payload=p.payload)
                for p in found]

    def close(self) -> None:
        if self.shard is not None:
            self.shard.close()
            self.shard = None
        if self._lock is not None:
            import portalocker

            portalocker.unlock(self._lock)
            self._lock.close()
            self._lock = None
        if self._scratch is not None:
            self._scratch.cleanup()


def collections_in(folder) -> list[str]:
    """The collections edge keeps in a store folder (``edge/<name>/collection.json``), without opening it."""
    return sorted(p.parent.name for p in Path(folder, "edge").glob("*/collection.json"))


def edge_filter(flt):
    """A qdrant-edge Filter from a qdrant-client one (what ``store.build_filter`` makes)."""
    from qdrant_edge import Filter

    if flt is None:
        return None
    if flt.min_should is not None:
        raise ValueError("engine 'edge' does not translate min_should filters; use must/should/must_not")
    return Filter(must=_conditions(flt.must), should=_conditions(flt.should), must_not=_conditions(flt.must_not))


def _conditions(items):
    if items is None:
        return None
    return [_condition(c) for c in (items if isinstance(items, list) else [items])]


def _condition(cond):
    import qdrant_edge as edge
    from qdrant_client import models

    if isinstance(cond, models.Filter):
        return edge_filter(cond)
    if isinstance(cond, models.HasIdCondition):
        return edge.HasIdCondition({str(i) for i in cond.has_id})
    if isinstance(cond, models.FieldCondition):
        if isinstance(cond.match, models.MatchValue):
            return edge.FieldCondition(key=cond.key, match=edge.MatchValue(cond.match.value))
        if isinstance(cond.match, models.MatchAny):
            return edge.FieldCondition(key=cond.key, match=edge.MatchAny(list(cond.match.any)))
        if isinstance(cond.match, models.MatchText):
            return edge.FieldCondition(key=cond.key, match=edge.MatchText(cond.match.text))
        if isinstance(cond.range, models.Range) and cond.match is None:
            r = cond.range
            return edge.FieldCondition(key=cond.key, range=edge.RangeFloat(gte=r.gte, gt=r.gt, lte=r.lte, lt=r.lt))
        if isinstance(cond.range, models.DatetimeRange) and cond.match is None:
            r = cond.range
            return edge.FieldCondition(key=cond.key, range=edge.RangeDateTime(
                gte=_rfc3339(r.gte), gt=_rfc3339(r.gt), lte=_rfc3339(r.lte), lt=_rfc3339(r.lt)))
        if cond.geo_radius is not None:
            center = cond.geo_radius.center
            return edge.FieldCondition(key=cond.key, geo_radius=edge.GeoRadius(
                edge.GeoPoint(lon=center.lon, lat=center.lat), cond.geo_radius.radius))
    raise ValueError(f"engine 'edge' does not translate the filter condition {cond!r}; use a dict filter "
                     "(value, list of values, a gt/gte/lt/lte range, text, or lat/lon/km per payload field)")


def _rfc3339(bound):
    """A DatetimeRange bound (datetime, date or string) as the RFC 3339 string qdrant-edge parses."""
    return bound.isoformat() if hasattr(bound, "isoformat") else bound


def _record(r):
    from qdrant_client import models

    return models.Record.model_construct(id=str(r.id), payload=r.payload, vector=r.vector or None)


def _lock_folder(folder: Path, store: Path):
    """Hold ``folder/.lock`` for this process (portalocker, as qdrant-client's local mode), or raise."""
    import portalocker

    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / ".lock", "a+")
    try:
        portalocker.lock(handle, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
    except portalocker.exceptions.LockException:
        handle.close()
        raise StoreLockedError.for_folder(store, folder / ".lock") from None
    return handle
