"""One facade over Qdrant: an embedded collection on disk (default), ``:memory:``, or a server by URL.

Two engines run it (``engine=``, see :mod:`mmretrieval.store.backends`; their contract is
:mod:`mmretrieval.store.backends.base`): qdrant-client (default;
local mode or a server) and qdrant-edge (Rust, in-process, embedded only), with the same semantics.

Schema: every point may hold the named vectors ``image`` and ``text`` (full dim, one joint space),
``ocr`` (the text read in an image, embedded as a passage; collections made before it have none) and
``small`` (a Matryoshka prefix of whichever it has, for coarse prefetch); a point fills the ones it has.
Payload field ``kind`` says what the point is ("image" or "text"). The collection's metadata records
the model that made it, and vectors from another model are refused.

``vector=NAME`` *attaches* to a collection another tool made (LangChain, LlamaIndex, qdrant-client):
mmretrieval's points go into its dense vector ``NAME`` and no other point is touched (see
:mod:`mmretrieval.store.attached`).
"""

from __future__ import annotations

import os
import uuid
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence, Union

import numpy as np

from .attached import RECORD_KEY, Attached, check_vector
from .payload import KIND
from .backends import DEFAULT_ENGINE, open_backend
from .backends.base import ModelMismatchError, Point, StoreLockedError  # noqa: F401  (public here too)
from .backends.client import LOCAL_MODE_COMFORT_LIMIT  # noqa: F401  (public name, kept here)

IMAGE, TEXT, OCR, SMALL = "image", "text", "ocr", "small"  # named vectors
FULL_VECTORS = (IMAGE, TEXT, OCR)
DEFAULT_COLLECTION = "mmretrieval"
_META_KEY = "mmretrieval"
_OCR_KEY = "mmretrieval_ocr"  # set by the first --ocr run: {"engine": "rapidocr 3.10.0"}
_ID_NAMESPACE = uuid.UUID("6f1c1d3e-5b0a-4c4e-9a53-2f4a9d1e7c10")


@dataclass(frozen=True)
class CollectionInfo:
    """What made a collection: model name, fingerprint of its trained weights, and dims."""

    model: str
    dim: int
    small_dim: int
    fingerprint: Optional[str] = None


def default_store_path() -> Path:
    """``$MMRETRIEVAL_HOME/qdrant``, else ``$XDG_DATA_HOME/mmretrieval/qdrant`` or ``~/.local/share/...``."""
    home = os.environ.get("MMRETRIEVAL_HOME")
    if home is None:
        data = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
        home = os.path.join(data, "mmretrieval")
    return Path(home, "qdrant")


def point_id(*parts: str) -> str:
    """A deterministic UUID from its parts (e.g. path + content hash): re-runs write the same ids."""
    return str(uuid.uuid5(_ID_NAMESPACE, "\0".join(parts)))


class VectorStore:
    """Qdrant collection access: ``path`` (folder or ``":memory:"``) for embedded mode, or ``url``.

    ``engine`` picks what runs it (see :mod:`mmretrieval.store.backends`): ``"client"`` (the default,
    or ``$MMRETRIEVAL_ENGINE``; qdrant-client: local mode for a folder, or a server by ``url``) or
    ``"edge"`` (qdrant-edge, Qdrant's Rust engine in-process; embedded only, faster on large collections).
    ``client`` runs it on an open ``QdrantClient`` shared with other code (which closes it).
    ``vector`` attaches to a collection another tool made: mmretrieval writes into its dense vector of
    that name (``""``: the unnamed one) and reads and changes only its own points there.
    """

    def __init__(
        self,
        path: Union[str, os.PathLike, None] = None,
        url: Optional[str] = None,
        api_key: Optional[str] = None,
        collection: str = DEFAULT_COLLECTION,
        engine: Optional[str] = None,
        vector: Optional[str] = None,
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
        # $MMRETRIEVAL_ENGINE picks the embedded engine; a server (url) is always reached by qdrant-client
        self.engine = engine or (url is None and client is None and os.environ.get("MMRETRIEVAL_ENGINE")) or DEFAULT_ENGINE
        self.attached = Attached(vector) if vector is not None else None
        if self.attached is not None and self.engine != "client":
            raise ValueError(f"vector= attaches to a collection made through qdrant-client (LangChain, LlamaIndex, "
                             f"...); engine {self.engine!r} cannot open those. Use engine 'client'")
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

    def own(self, kind: Optional[str] = None) -> dict:
        """A dict filter for the points mmretrieval wrote (of ``kind``): in an attached collection only
        those marked as its own; reconciling and pruning read these and nothing else."""
        if self.attached is not None:
            return self.attached.own(kind)
        return {KIND: kind} if kind else {}

    @property
    def client(self):
        """The QdrantClient of engine ``client`` (for what the facade does not cover, e.g. ``migrate``)."""
        if self.engine != "client":
            raise AttributeError(f"engine {self.engine!r} has no QdrantClient; its shard is store.backend.shard")
        return self.backend.client

    # ---- collection -------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.backend.exists()

    def info(self) -> Optional[CollectionInfo]:
        """What made the collection, or None if it does not exist (or was not made by mmretrieval).

        Attached: the model recorded in mmretrieval's own points there (None before the first)."""
        if self._info is None and self.exists():
            if self.attached is not None:
                record = self._attached_record()
                self._info = CollectionInfo(**record) if record else None
                return self._info
            meta = self.backend.read_record(_META_KEY)
            self._info = CollectionInfo(**meta) if meta else None
        return self._info

    def _attached_info(self) -> Optional[CollectionInfo]:
        """An attached collection's info for searching: the recorded model's, else the shared vector's dims
        (a collection of the other tool's texts alone is searchable too)."""
        if not self.exists():
            return None
        info = self.info()
        if info is None:
            config = self.backend.vectors_config()
            params = config.get(self.attached.vector) if isinstance(config, dict) else config
            info = None if params is None else CollectionInfo(model="", dim=params.size, small_dim=params.size)
        return info

    def _attached_record(self) -> Optional[dict]:
        """The model record of mmretrieval's points in an attached collection (None if it holds none)."""
        for record in self.backend.scroll(build_filter(self.own()), False, 1):
            return record.payload.get(RECORD_KEY)
        return None

    def ensure_collection(
        self, model_name: str, dim: int, small_dim: int, fingerprint: Optional[str] = None
    ) -> CollectionInfo:
        """Create the collection for this model, or check that the existing one was made by it."""
        wanted = CollectionInfo(model=model_name, dim=int(dim), small_dim=int(small_dim), fingerprint=fingerprint)
        if not 0 < wanted.small_dim <= wanted.dim:
            raise ValueError(f"small_dim must be in 1..{dim}, got {small_dim}")
        if self.attached is not None:
            return self._check_attached(wanted)
        if not self.exists():
            sizes = {IMAGE: wanted.dim, TEXT: wanted.dim, OCR: wanted.dim, SMALL: wanted.small_dim}
            self.backend.create(sizes, _META_KEY, asdict(wanted))
            self._info = wanted
            return wanted
        return self.check_made_by(wanted)

    def check_made_by(self, wanted: CollectionInfo) -> Optional[CollectionInfo]:
        """The existing collection's record if ``wanted`` (a model's name, dims, fingerprint) made it; raise
        :class:`ModelMismatchError` naming both models if not. None when the collection does not exist."""
        if not self.exists():
            return None
        have = self.info()
        if have is None:
            raise ModelMismatchError(
                f"collection {self.collection!r} at {self.location} was not made by mmretrieval (no model "
                "recorded); choose another collection name (--collection), or attach to it with --vector NAME "
                "(Python: vector=NAME) to add images to its vector NAME"
            )
        _check_same_model(have, wanted, f"collection {self.collection!r} at {self.location}",
                          f"Use the model that made it (leave out --model, or --model {have.model}), another "
                          f"collection (--collection), or delete this one to re-index it "
                          f"(mmretrieval collections --delete {self.collection})")
        return have

    def _check_attached(self, wanted: CollectionInfo) -> CollectionInfo:
        """Check a foreign collection's vector and the model of mmretrieval's points already in it."""
        where = f"collection {self.collection!r} at {self.location}"
        if not self.exists():
            raise ValueError(f"{where} does not exist; --vector attaches to a collection that another tool "
                             "(LangChain, LlamaIndex, qdrant-client) made. Create it there first, or drop --vector "
                             "to let mmretrieval make a collection of its own")
        if self.backend.read_record(_META_KEY):
            raise ValueError(f"{where} was made by mmretrieval itself; open it without --vector")
        check_vector(self.backend.vectors_config(), self.attached.vector, wanted.dim, self.collection, self.location)
        have = self._attached_record()
        if have is not None:
            _check_same_model(CollectionInfo(**have), wanted, f"mmretrieval's points in {where}",
                              "Use the model that wrote them (--model), or attach to another collection")
        self._info = wanted
        return wanted

    def has_vector(self, name: str) -> bool:
        """Whether the collection has the named vector ``name`` (``ocr`` came later than the others)."""
        return self.exists() and self.attached is None and name in self.backend.vector_names()

    def ocr_record(self) -> Optional[dict]:
        """``{"engine": ...}`` once images were indexed here with OCR (``index --ocr``), else None."""
        return self.backend.read_record(_OCR_KEY) if self.exists() and self.attached is None else None

    def record_ocr(self, engine: str) -> None:
        """Mark the collection as holding OCR vectors, read by ``engine`` (search then fuses them in)."""
        if self.ocr_record() != {"engine": engine}:
            self.backend.update_record(_OCR_KEY, {"engine": engine})

    def collection_names(self) -> list[str]:
        """Every collection in this store (whichever model made it), sorted."""
        return self.backend.list_collections()

    def disk_bytes(self) -> Optional[int]:
        """Bytes this collection takes on disk (embedded stores; None for a server or ``:memory:``)."""
        return self.backend.disk_bytes()

    def drop(self) -> None:
        """Delete the whole collection."""
        if self.attached is not None:
            raise ValueError(f"collection {self.collection!r} was made by another tool; mmretrieval does not delete it")
        self.backend.drop()
        self._info = None

    # ---- points -----------------------------------------------------------------------------
    def upsert(self, points: Sequence[Point]) -> None:
        if not points:
            return
        info = self.info() if self.attached is None else self._info
        if info is None:
            raise ValueError(f"collection {self.collection!r} does not exist yet; call ensure_collection first")
        _check_dims(points, info)
        points = [Point(p.id, {k: np.asarray(v, dtype=np.float32) for k, v in p.vectors.items()}, p.payload)
                  for p in points]
        if self.attached is not None:
            points = [self._attached_point(p, asdict(info)) for p in points]
        self.backend.upsert(points)
        self.warn_if_large()

    def _attached_point(self, point: Point, record: dict) -> Point:
        """A point for the shared vector: its full vector under that name (an attached collection holds
        no ``small`` prefix, nor a caption's second vector) and the payload the other tools read."""
        name = IMAGE if IMAGE in point.vectors else TEXT
        if name not in point.vectors:
            raise ValueError(f"point {point.id} has no {IMAGE!r} or {TEXT!r} vector to write")
        return Point(point.id, {self.attached.vector: point.vectors[name]},
                     self.attached.payload(point.id, point.payload, record))

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if ids:
            self.backend.delete(ids)

    def set_payload(self, point_id_: str, payload: dict[str, Any]) -> None:
        """Merge ``payload`` into one point's payload."""
        self.backend.set_payload(point_id_, payload)

    def retrieve(self, ids: Sequence[str], with_vectors: bool = False) -> list:
        return self._present(self.backend.retrieve(list(ids), with_vectors=with_vectors))

    def scroll(self, filter=None, with_vectors: bool = False, batch_size: int = 1000) -> Iterator:
        """Every point matching ``filter`` (a dict, see :func:`build_filter`, or a Qdrant Filter)."""
        records = self.backend.scroll(build_filter(filter), with_vectors, batch_size)
        return records if self.attached is None else map(self.attached.present, records)

    def _present(self, records: list) -> list:
        """Records as mmretrieval reads them (an attached collection's, see ``Attached.present``)."""
        return records if self.attached is None else [self.attached.present(r) for r in records]

    def count(self, filter=None) -> int:
        if not self.exists():
            return 0
        return self.backend.count(build_filter(filter))

    def query(
        self,
        vector,
        using: str = IMAGE,
        limit: int = 10,
        filter=None,
        prefetch_dim: Optional[int] = None,
        prefetch_limit: Optional[int] = None,
        prefetch_vector=None,
    ) -> list:
        """Nearest points to ``vector`` (normalised, full dim) by cosine on the named vector ``using``.

        ``prefetch_dim`` (the collection's small dim) runs the coarse-to-fine path: prefetch
        ``prefetch_limit`` candidates on the small Matryoshka vector, rerank them on the full one.
        ``prefetch_vector`` is the query's small vector (default: the first ``prefetch_dim``
        coordinates of ``vector``, re-normalised; a raw-space model's prefix comes from its rotation).
        """
        info = self.info() if self.attached is None else self._attached_info()
        if info is None:
            return []
        query = np.asarray(vector, dtype=np.float32).ravel()
        if query.shape[0] != info.dim:
            raise ModelMismatchError(f"query vector is {query.shape[0]}-d but collection {self.collection!r} is {info.dim}-d")
        flt = build_filter(filter)
        if self.attached is not None:  # images and texts share one vector there: the kind is a filter
            from qdrant_client import models

            if prefetch_dim not in (None, info.dim):
                raise ValueError(f"collection {self.collection!r} was made by another tool and holds no "
                                 "coarse Matryoshka vector; search it at full dim (no --dim)")
            kind = self.attached.kind_filter(using)
            flt, using = (kind if flt is None else models.Filter(must=[kind, flt])), self.attached.vector
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
        return self._present(self.backend.query(query, using, limit, flt, prefetch))

    def copy_to(self, target: "VectorStore", batch_size: int = 256) -> int:
        """Copy this collection (model record, vectors, payloads, ids) into ``target``, e.g. another engine's
        store; returns the number of points copied. ``target`` must be empty or made by the same model."""
        info = self.info()
        if info is None:
            raise ValueError(f"collection {self.collection!r} at {self.location} does not exist; nothing to copy")
        target.ensure_collection(info.model, info.dim, info.small_dim, info.fingerprint)
        if self.ocr_record():
            target.record_ocr(self.ocr_record()["engine"])
        batch, copied = [], 0
        for record in self.scroll(with_vectors=True, batch_size=batch_size):
            batch.append(Point(str(record.id), record.vector, record.payload))
            if len(batch) == batch_size:
                target.upsert(batch)
                copied, batch = copied + len(batch), []
        target.upsert(batch)
        return copied + len(batch)

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

    def __enter__(self) -> "VectorStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def build_filter(spec):
    """A Qdrant Filter from a dict: ``{"field": value}`` matches a value, ``{"field": [a, b]}`` any of them,
    ``{"field": {"gte": 1, "lt": 5}}`` a range (of dates when its bounds are RFC 3339 strings or datetimes:
    ``{"taken": {"gte": "2024-01-01T00:00:00"}}``), ``{"field": {"text": "EOS"}}`` a full-text match and
    ``{"location": {"lat": 48.85, "lon": 2.35, "km": 10}}`` a geo radius.
    A Qdrant ``Filter`` (or None) passes through."""
    from qdrant_client import models

    if spec is None or isinstance(spec, models.Filter):
        return spec
    if not isinstance(spec, dict):
        raise ValueError(f"filter must be a dict of payload field -> value, list or range, got {type(spec).__name__}")
    conditions = []
    for key, value in spec.items():
        if isinstance(value, dict):
            conditions.append(_dict_condition(key, value))
        elif isinstance(value, (list, tuple, set)):
            conditions.append(models.FieldCondition(key=key, match=models.MatchAny(any=list(value))))
        else:
            conditions.append(models.FieldCondition(key=key, match=models.MatchValue(value=value)))
    return models.Filter(must=conditions)


def _dict_condition(key: str, value: dict):
    """The condition of one ``{"field": {...}}`` entry: a number or date range, a text match or a geo radius."""
    from datetime import date

    from qdrant_client import models

    if set(value) == {"text"}:
        return models.FieldCondition(key=key, match=models.MatchText(text=str(value["text"])))
    if set(value) == {"lat", "lon", "km"}:
        center = models.GeoPoint(lat=float(value["lat"]), lon=float(value["lon"]))
        radius = models.GeoRadius(center=center, radius=float(value["km"]) * 1000)  # (in metres)
        return models.FieldCondition(key=key, geo_radius=radius)
    unknown = set(value) - {"gt", "gte", "lt", "lte"}
    if unknown:
        raise ValueError(f"filter on {key!r}: unknown range keys {sorted(unknown)}; use gt, gte, lt, lte (a range), "
                         "text (a full-text match) or lat, lon, km (a geo radius)")
    if any(isinstance(bound, (str, date)) for bound in value.values()):
        return models.FieldCondition(key=key, range=models.DatetimeRange(**value))
    return models.FieldCondition(key=key, range=models.Range(**value))


def _check_same_model(have: CollectionInfo, wanted: CollectionInfo, where: str, advice: str) -> None:
    same_fingerprint = None in (have.fingerprint, wanted.fingerprint) or have.fingerprint == wanted.fingerprint
    if (have.model, have.dim, have.small_dim) != (wanted.model, wanted.dim, wanted.small_dim) or not same_fingerprint:
        raise ModelMismatchError(
            f"{where} holds vectors of model {have.model!r} ({have.dim}-d, small {have.small_dim}-d, weights "
            f"{have.fingerprint or '?'}), but this model is {wanted.model!r} ({wanted.dim}-d, small "
            f"{wanted.small_dim}-d, weights {wanted.fingerprint or '?'}); their vectors are not comparable. {advice}"
        )


def _check_dims(points: Sequence[Point], info: CollectionInfo) -> None:
    for p in points:
        for name, vec in p.vectors.items():
            want = info.small_dim if name == SMALL else info.dim
            if name not in (*FULL_VECTORS, SMALL):
                raise ValueError(f"unknown vector name {name!r}; use {IMAGE!r}, {TEXT!r}, {OCR!r} or {SMALL!r}")
            if len(vec) != want:
                raise ModelMismatchError(f"vector {name!r} of point {p.id} is {len(vec)}-d; the collection wants {want}-d")


@dataclass(frozen=True)
class CollectionSummary:
    """One line of ``mmretrieval collections``: name, the model that made it, points and size on disk."""

    name: str
    model: Optional[str]
    points: int
    bytes: Optional[int]

    def to_dict(self) -> dict:
        return asdict(self)


def summarize_collections(open_store) -> list[CollectionSummary]:
    """A summary per collection of a store; ``open_store(name)`` opens a :class:`VectorStore` on it
    (the stores are opened one after the other: an embedded folder allows one open client)."""
    with open_store(DEFAULT_COLLECTION) as store:
        names = store.collection_names()
    summaries = []
    for name in names:
        with open_store(name) as store:
            info = store.info()
            summaries.append(CollectionSummary(name, info.model if info else None, store.count(), store.disk_bytes()))
    return summaries
