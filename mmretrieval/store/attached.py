"""``AttachedStore``: mmretrieval's points in a collection another tool made (LangChain, LlamaIndex, qdrant-client).

It writes into one dense vector of that collection (``--vector NAME``; ``""`` is the unnamed vector, what
LangChain and LlamaIndex make by default; LlamaIndex's hybrid mode names it ``text-dense``), marks its
points as its own and leaves every other point alone (the payloads: :mod:`mmretrieval.store.foreign`).
Images and texts share that vector (the kind is a filter), so a point holds one vector (no ``small``
prefix, caption or OCR vector); the collection itself (vectors, settings, metadata) is never changed.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Optional

from . import payload as P
from .backends.base import ModelMismatchError, Point
from .facade import Store
from .filters import all_of, build_filter
from .foreign import RECORD_KEY, own_filter, read_payload, shared_payload
from .ids import DEFAULT_COLLECTION, IMAGE, TEXT
from .records import META_KEY, CollectionInfo, check_same_model, checked_info


class AttachedStore(Store):
    """mmretrieval's points in the dense vector ``vector`` of a foreign collection (engine ``client`` only);
    opened as :class:`~mmretrieval.store.facade.Store` is, read and written as a ``VectorStore`` is."""

    is_foreign = True

    def __init__(self, vector: str, path=None, url=None, api_key=None, collection: str = DEFAULT_COLLECTION,
                 engine: Optional[str] = None, client=None):
        if engine not in (None, "client"):
            raise ValueError(f"vector= attaches to a collection made through qdrant-client (LangChain, LlamaIndex, "
                             f"...); engine {engine!r} cannot open those. Use engine 'client'")
        super().__init__(path=path, url=url, api_key=api_key, collection=collection, engine="client", client=client)
        self.vector = vector
        self._checked = False  # ensure_collection checked the vector and the model: writes may go in

    def own(self, kind: Optional[str] = None) -> dict:
        """Only the points marked as mmretrieval's (reconciling, pruning and the model check read no other)."""
        return own_filter(kind)

    def info(self) -> Optional[CollectionInfo]:
        """The model recorded in mmretrieval's own points here (None before the first)."""
        if self._info is None and self.exists():
            record = self._record()
            self._info = CollectionInfo(**record) if record else None
        return self._info

    def _record(self) -> Optional[dict]:
        """The model record of mmretrieval's points in the collection (None if it holds none)."""
        for record in self.backend.scroll(build_filter(self.own()), False, 1):
            return record.payload.get(RECORD_KEY)
        return None

    def _search_info(self) -> Optional[CollectionInfo]:
        """The recorded model's dims, else the shared vector's (a collection of the other tool's texts
        alone is searchable too)."""
        if not self.exists():
            return None
        info = self.info()
        if info is None:
            config = self.backend.vectors_config()
            params = config.get(self.vector) if isinstance(config, dict) else config
            info = None if params is None else CollectionInfo(model="", dim=params.size, small_dim=params.size)
        return info

    def _write_info(self) -> Optional[CollectionInfo]:
        return self._info if self._checked else None

    def ensure_collection(self, model_name: str, dim: int, small_dim: int,
                          fingerprint: Optional[str] = None) -> CollectionInfo:
        """Check the foreign collection's vector and the model of mmretrieval's points already in it."""
        wanted = checked_info(model_name, dim, small_dim, fingerprint)
        where = f"collection {self.collection!r} at {self.location}"
        if not self.exists():
            raise ValueError(f"{where} does not exist; --vector attaches to a collection that another tool "
                             "(LangChain, LlamaIndex, qdrant-client) made. Create it there first, or drop --vector "
                             "to let mmretrieval make a collection of its own")
        if self.backend.read_record(META_KEY):
            raise ValueError(f"{where} was made by mmretrieval itself; open it without --vector")
        check_vector(self.backend.vectors_config(), self.vector, wanted.dim, self.collection, self.location)
        self.check_made_by(wanted)
        self._info, self._checked = wanted, True
        return wanted

    def check_made_by(self, wanted: CollectionInfo) -> Optional[CollectionInfo]:
        """The record of mmretrieval's points here if ``wanted`` wrote them (None if there are none yet);
        :class:`ModelMismatchError` naming both models if another did."""
        have = self.info()
        if have is not None:
            check_same_model(have, wanted, f"mmretrieval's points in collection {self.collection!r} at {self.location}",
                             "Use the model that wrote them (--model), or attach to another collection")
        return have

    def has_vector(self, name: str) -> bool:
        """False: the collection has no named vectors of mmretrieval's (only the shared one)."""
        return False

    def cannot_hold(self, name: str) -> Optional[str]:
        return (f"collection {self.collection!r} was made by another tool and holds one vector per point; "
                "index into a collection of mmretrieval's own for this")

    def ocr_record(self) -> Optional[dict]:
        return None

    def count_points(self, kind: Optional[str] = None) -> int:
        """mmretrieval's points of ``kind``; no kind counts every point, the other tool's too."""
        return self.count(self.own(kind) if kind else None)

    def drop(self) -> None:
        raise ValueError(f"collection {self.collection!r} was made by another tool; mmretrieval does not delete it")

    def _stored(self, point: Point, info: CollectionInfo) -> Point:
        """The point's full vector under the shared name and the payload the other tools read."""
        name = IMAGE if IMAGE in point.vectors else TEXT
        if name not in point.vectors:
            raise ValueError(f"point {point.id} has no {IMAGE!r} or {TEXT!r} vector to write")
        payload = shared_payload(point.id, point.payload, asdict(info))
        return Point(point.id, {self.vector: point.vectors[name]}, payload)

    def _present(self, record):
        """Vectors under ``image``/``text`` (by the point's kind) and the payload as mmretrieval reads it."""
        payload = read_payload(dict(record.payload or {}))
        kind = payload.get(P.KIND, P.KIND_TEXT)
        vector = record.vector if hasattr(record, "vector") else None
        if vector is not None:
            vector = vector.get(self.vector) if isinstance(vector, dict) else vector
            vector = {kind: vector} if vector is not None else {}
        return record.model_copy(update={"payload": payload, **({"vector": vector} if vector is not None else {})})

    def _target(self, using: str, flt, prefetch_dim: Optional[int], info: CollectionInfo):
        """The shared vector, filtered to ``using``'s kind: ``image`` is mmretrieval's images, ``text``
        everything else (the other tools' texts and mmretrieval's passages)."""
        from qdrant_client import models

        if prefetch_dim not in (None, info.dim):
            raise ValueError(f"collection {self.collection!r} was made by another tool and holds no "
                             "coarse Matryoshka vector; search it at full dim (no --dim)")
        images = build_filter(self.own(P.KIND_IMAGE))
        return self.vector, all_of(images if using == P.KIND_IMAGE else models.Filter(must_not=[images]), flt)


def check_vector(vectors_config: Any, name: str, dim: int, collection: str, location: str) -> None:
    """Refuse unless the collection has a cosine dense vector ``name`` of ``dim`` dimensions."""
    from qdrant_client import models

    named = vectors_config if isinstance(vectors_config, dict) else {"": vectors_config}
    if name not in named:
        have = ", ".join(repr(n) for n in named) or "none"
        raise ValueError(f"collection {collection!r} at {location} has no dense vector {name!r} (it has {have}); "
                         "pass one of those as --vector (\"\" is the unnamed vector, LangChain's and LlamaIndex's "
                         "default; LlamaIndex's hybrid mode names it 'text-dense')")
    params = named[name]
    if params.size != dim:
        raise ModelMismatchError(
            f"vector {name!r} of collection {collection!r} at {location} is {params.size}-d, but this model's "
            f"vectors are {dim}-d: the collection was made with another text model. Use an mmretrieval model "
            "built on the text model that made the collection (--model)")
    if params.distance != models.Distance.COSINE:
        raise ModelMismatchError(
            f"vector {name!r} of collection {collection!r} at {location} compares by {params.distance.value}, "
            "but mmretrieval's vectors are compared by cosine; attach to a collection made with cosine distance")
