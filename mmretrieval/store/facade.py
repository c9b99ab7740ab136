"""What every store shares, whoever made its collection: an engine opened on a folder, ``:memory:``, a
server or an open client, and the point reads, writes and searches that go through it.

Two types build on it: :class:`~mmretrieval.store.collection.VectorStore` (a collection mmretrieval
made) and :class:`~mmretrieval.store.attached.AttachedStore` (one another tool made). They differ only in
policy, through the hooks below: which points are mmretrieval's (``own``), what made the collection
(``info``), and how points are written (``_stored``), shown (``_present``) and searched (``_target``).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence, Union

import numpy as np

from .backends import choose_engine, open_backend
from .backends.base import ModelMismatchError, Point
from .filters import build_filter
from .ids import DEFAULT_COLLECTION, SMALL, default_store_path
from .records import CollectionInfo, check_dims


class Store:
    """One Qdrant collection: ``path`` (folder or ``":memory:"``) for embedded mode, ``url`` for a server, or
    ``client`` (an open ``QdrantClient`` shared with other code, which closes it).

    ``engine`` picks what runs an embedded store (see :mod:`mmretrieval.store.backends`): ``"client"``
    (qdrant-client) or ``"edge"`` (qdrant-edge, Qdrant's Rust engine in-process). Left out, a store folder
    is opened by the engine whose collections it holds, a new one by ``$MMRETRIEVAL_ENGINE``, else ``client``.
    """

    is_foreign = False  # True where another tool made the collection (AttachedStore)

    def __init__(
        self,
        path: Union[str, os.PathLike, None] = None,
        url: Optional[str] = None,
        api_key: Optional[str] = None,
        collection: str = DEFAULT_COLLECTION,
        engine: Optional[str] = None,
        client=None,
    ):
        if sum(x is not None for x in (path, url, client)) > 1:
            raise ValueError("give one of path (embedded store), url (Qdrant server) or client (an open QdrantClient)")
        if url is None and client is None:
            path = ":memory:" if str(path) == ":memory:" else str(
                Path(path).expanduser() if path is not None else default_store_path())
            if path != ":memory:" and os.path.exists(path) and not os.path.isdir(path):
                raise NotADirectoryError(f"the store {path} is a file, not a folder; give a folder (new or made "
                                         "by mmretrieval) for --store / path=")
        self.collection = collection
        self.url = url
        self.engine = choose_engine(engine, path if url is None and client is None else None, collection)
        self.backend = open_backend(self.engine, path=path, url=url, api_key=api_key, collection=collection,
                                    client=client)
        self.location = self.backend.location
        self._info: Optional[CollectionInfo] = None
        self._warned_size = False
        self._size_checked = False  # queries check the size once; writes after every batch

    @property
    def is_local(self) -> bool:
        """True for an embedded (in-process) store, whichever engine."""
        return self.backend.is_local if self.engine == "client" else True

    @property
    def client(self):
        """The QdrantClient of engine ``client`` (for what the facade does not cover, e.g. ``migrate``)."""
        if self.engine != "client":
            raise AttributeError(f"engine {self.engine!r} has no QdrantClient; its shard is store.backend.shard")
        return self.backend.client

    # ---- policy (each type says its own) -------------------------------------------------------
    def own(self, kind: Optional[str] = None) -> dict:
        """A dict filter for the points mmretrieval wrote (of ``kind``): reconciling and pruning read these."""
        raise NotImplementedError

    def info(self) -> Optional[CollectionInfo]:
        """What made the collection, or None."""
        raise NotImplementedError

    def _search_info(self) -> Optional[CollectionInfo]:
        """The dims a query is checked against (None: nothing to search)."""
        return self.info()

    def _write_info(self) -> Optional[CollectionInfo]:
        """The record points are written under (None: ``ensure_collection`` was not called)."""
        return self.info()

    def _stored(self, point: Point, info: CollectionInfo) -> Point:
        """``point`` as the collection stores it."""
        return point

    def _present(self, record):
        """A stored record as mmretrieval reads points."""
        return record

    def _target(self, using: str, flt, prefetch_dim: Optional[int], info: CollectionInfo):
        """``(vector name, Qdrant filter)`` a query of ``using`` searches."""
        return using, flt

    # ---- collection -------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.backend.exists()

    def collection_names(self) -> list[str]:
        """Every collection in this store (whichever model made it), sorted."""
        return self.backend.list_collections()

    def disk_bytes(self) -> Optional[int]:
        """Bytes this collection takes on disk (embedded stores; None for a server or ``:memory:``)."""
        return self.backend.disk_bytes()

    # ---- points -----------------------------------------------------------------------------
    def upsert(self, points: Sequence[Point]) -> None:
        if not points:
            return
        info = self._write_info()
        if info is None:
            raise ValueError(f"collection {self.collection!r} does not exist yet; call ensure_collection first")
        check_dims(points, info)
        as_float32 = [Point(p.id, {k: np.asarray(v, dtype=np.float32) for k, v in p.vectors.items()}, p.payload)
                      for p in points]
        self.backend.upsert([self._stored(p, info) for p in as_float32])
        self.warn_if_large()

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if ids:
            self.backend.delete(ids)

    def set_payload(self, point_id_: str, payload: dict[str, Any]) -> None:
        """Merge ``payload`` into one point's payload."""
        self.backend.set_payload(point_id_, payload)

    def retrieve(self, ids: Sequence[str], with_vectors: bool = False) -> list:
        return [self._present(r) for r in self.backend.retrieve(list(ids), with_vectors=with_vectors)]

    def scroll(self, filter=None, with_vectors: bool = False, batch_size: int = 1000) -> Iterator:
        """Every point matching ``filter`` (a dict, see :func:`build_filter`, or a Qdrant Filter)."""
        return map(self._present, self.backend.scroll(build_filter(filter), with_vectors, batch_size))

    def count(self, filter=None) -> int:
        if not self.exists():
            return 0
        return self.backend.count(build_filter(filter))

    def query(
        self,
        vector,
        using: str = "image",
        limit: int = 10,
        filter=None,
        prefetch_dim: Optional[int] = None,
        prefetch_limit: Optional[int] = None,
        prefetch_vector=None,
        payload=True,
    ) -> list:
        """Nearest points to ``vector`` (normalised, full dim) by cosine on the named vector ``using``.

        ``prefetch_dim`` (the collection's small dim) runs the coarse-to-fine path: prefetch
        ``prefetch_limit`` candidates on the small Matryoshka vector, rerank them on the full one.
        ``prefetch_vector`` is the query's small vector (default: the first ``prefetch_dim``
        coordinates of ``vector``, re-normalised; a raw-space model's prefix comes from its rotation).
        ``payload``: True (every field) or the names of the only payload fields to return.
        """
        info = self._search_info()
        if info is None:
            return []
        query = np.asarray(vector, dtype=np.float32).ravel()
        if query.shape[0] != info.dim:
            raise ModelMismatchError(f"query vector is {query.shape[0]}-d but collection {self.collection!r} is {info.dim}-d")
        using, flt = self._target(using, build_filter(filter), prefetch_dim, info)
        prefetch = None
        if prefetch_dim is not None and prefetch_dim != info.dim:
            if prefetch_dim != info.small_dim:
                raise ValueError(
                    f"collection {self.collection!r} stores a {info.small_dim}-d coarse vector; use dim="
                    f"{info.small_dim} for coarse-to-fine search or dim={info.dim} (or none) for full search"
                )
            small = query[: info.small_dim] if prefetch_vector is None else np.asarray(prefetch_vector, np.float32)
            if small.shape != (info.small_dim,):
                raise ValueError(f"prefetch vector is {small.shape[0]}-d but collection {self.collection!r} "
                                 f"stores {info.small_dim}-d small vectors")
            small = small / max(float(np.linalg.norm(small)), 1e-12)
            prefetch = (SMALL, small, prefetch_limit or max(100, 10 * limit))
        if not self._size_checked:
            self._size_checked = True
            self.warn_if_large()
        return [self._present(p) for p in self.backend.query(query, using, limit, flt, prefetch, payload)]

    def warn_if_large(self) -> None:
        """Tell the user once when an embedded collection has outgrown its engine's brute-force search."""
        limit = self.backend.slow_past
        if limit is not None and not self._warned_size and self.count() > limit:
            self._warned_size = True
            warnings.warn(
                f"the embedded Qdrant store at {self.location} holds more than {limit:,} points; "
                "embedded mode searches by exact brute force in Python and slows down from here on. Use the "
                "in-process Rust engine (--engine edge, pip install \"mmretrieval[edge]\") or run a Qdrant "
                "server and pass --url (see docs/SCALING.md, which also shows how to migrate this collection)",
                stacklevel=3,
            )

    def close(self) -> None:
        self.backend.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
