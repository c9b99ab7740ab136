"""``VectorStore``: a collection mmretrieval made (its schema, model record, OCR record), on either engine.

Schema: every point may hold the named vectors ``image`` and ``text`` (full dim, one joint space),
``ocr`` (the text read in an image, embedded as a passage; collections made before it have none) and
``small`` (a Matryoshka prefix of whichever it has, for coarse prefetch); a point fills the ones it has.
Payload field ``kind`` says what the point is ("image" or "text"). The collection's metadata records
the model that made it, and vectors from another model are refused.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Optional

from .backends.base import ModelMismatchError, Point
from .facade import Store
from .ids import IMAGE, OCR, SMALL, TEXT
from .payload import KIND, KINDS
from .records import META_KEY, OCR_KEY, CollectionInfo, check_same_model, checked_info


class VectorStore(Store):
    """A collection of mmretrieval's own; see :class:`~mmretrieval.store.facade.Store` for how it is opened.
    (:func:`~mmretrieval.store.opening.open_store` opens one another tool made, with ``vector=NAME``.)"""

    def own(self, kind: Optional[str] = None) -> dict:
        return {KIND: kind} if kind else {}

    def info(self) -> Optional[CollectionInfo]:
        """What made the collection, or None if it does not exist (or was not made by mmretrieval)."""
        if self._info is None and self.exists():
            meta = self.backend.read_record(META_KEY)
            self._info = CollectionInfo(**meta) if meta else None
        return self._info

    def ensure_collection(
        self, model_name: str, dim: int, small_dim: int, fingerprint: Optional[str] = None
    ) -> CollectionInfo:
        """Create the collection for this model, or check that the existing one was made by it."""
        wanted = checked_info(model_name, dim, small_dim, fingerprint)
        if not self.exists():
            sizes = {IMAGE: wanted.dim, TEXT: wanted.dim, OCR: wanted.dim, SMALL: wanted.small_dim}
            self.backend.create(sizes, META_KEY, asdict(wanted))
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
        check_same_model(have, wanted, f"collection {self.collection!r} at {self.location}",
                         f"Use the model that made it (leave out --model, or --model {have.model}), another "
                         f"collection (--collection), or delete this one to re-index it "
                         f"(mmretrieval collections --delete {self.collection})")
        return have

    def has_vector(self, name: str) -> bool:
        """Whether the collection has the named vector ``name`` (``ocr`` came later than the others)."""
        return self.exists() and name in self.backend.vector_names()

    def cannot_hold(self, name: str) -> Optional[str]:
        """Why the collection cannot hold the named vector ``name`` (e.g. ``ocr``), or None if it can."""
        if self.has_vector(name):
            return None
        what = "OCR" if name == OCR else repr(name)
        return (f"collection {self.collection!r} was made before {what} vectors existed; index into a new "
                f"collection (--collection NAME) or delete and re-index this one "
                f"(mmretrieval collections --delete {self.collection})")

    def ocr_record(self) -> Optional[dict]:
        """``{"engine": ...}`` once images were indexed here with OCR (``index --ocr``), else None."""
        return self.backend.read_record(OCR_KEY) if self.exists() else None

    def record_ocr(self, engine: str) -> None:
        """Mark the collection as holding OCR vectors, read by ``engine`` (search then fuses them in)."""
        if self.ocr_record() != {"engine": engine}:
            self.backend.update_record(OCR_KEY, {"engine": engine})

    def count_points(self, kind: Optional[str] = None) -> int:
        """Points of ``kind`` ("image" or "text"), or of both (never the records of files passed over)."""
        return self.count({KIND: kind if kind else list(KINDS)})

    def drop(self) -> None:
        """Delete the whole collection."""
        self.backend.drop()
        self._info = None

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
