"""Text documents (plain text, Markdown) as the reconcile loop sees them: overlapping passages.

Each passage is a point with ``kind: "text"``, the named vector ``text`` (embedded with
``task="retrieval.passage"`` in the same joint space as the images) plus its ``small`` Matryoshka
prefix, and a payload with the source ``path``, character offsets ``start``/``end``, its order
``passage`` and the ``text`` itself. A document's passages are current while they all have its size
and mtime; read again, a document whose text is the one stored (same SHA-256) only gets its new
size and mtime.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Optional

from ..store import SMALL, TEXT, Point, point_id
from ..store.payload import HASH, MTIME, SIZE, passage_payload
from .passages import Passage, is_markdown, read_document, split_passages
from .reconcile import same_file
from .results import IndexReport
from .target import Target

MAX_DOCUMENT_BYTES = 50 * 2**20


@dataclass
class Document:
    """One document read: its passages (None: its text is stored already), or why it cannot be indexed."""

    path: str
    size: int = 0
    mtime: float = 0.0
    hash: str = ""
    passages: Optional[list[Passage]] = None
    error: Optional[str] = None


class TextSource:
    """Text documents for :func:`reconcile.reconcile`, split into passages of ``size`` tokens with
    ``overlap`` shared (defaults in :mod:`mmretrieval.indexing.passages`)."""

    kind, desc, unit = TEXT, "documents", "doc"

    def __init__(self, target: Target, small_dim: int, size: Optional[int] = None, overlap: Optional[int] = None,
                 batch_size: int = 32, max_bytes: int = MAX_DOCUMENT_BYTES):
        self.target, self.small_dim, self.size, self.overlap = target, small_dim, size, overlap
        self.batch_size, self.max_bytes = batch_size, max_bytes
        self.known: dict[str, str] = {}

    def current(self, path: str, stat: os.stat_result, records: list) -> Optional[list]:
        return records if records and all(same_file(stat, r.payload) for r in records) else None

    def plan(self, todo: list[str], stored: dict[str, list]) -> None:
        self.known = {path: stored[path][0].payload.get(HASH) for path in todo if stored.get(path)
                      and len({r.payload.get(HASH) for r in stored[path]}) == 1}  # all of one text

    def read(self, path: str) -> Document:
        doc = Document(path)
        try:
            stat = os.stat(path)
            doc.size, doc.mtime = stat.st_size, stat.st_mtime
            if stat.st_size > self.max_bytes:
                raise ValueError(f"file is {stat.st_size / 2**20:.1f} MiB, over the limit of "
                                 f"{self.max_bytes / 2**20:.0f} MiB")
            text = read_document(path)
        except OSError as err:  # (not remembered: read again next run, as for images)
            return Document(path, error=f"cannot read the file ({err.strerror or err})")
        except ValueError as err:  # what it holds cannot be indexed: remembered until it changes
            doc.error = str(err).removeprefix(f"{path}: ")
            return doc
        doc.hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if self.known.get(path) == doc.hash:
            return doc
        tokenizer = self.target.model.text_tower.tokenizer  # (loads the model: only when a document changed)
        doc.passages = split_passages(text, size=self.size, overlap=self.overlap, markdown=is_markdown(path),
                                      tokenizer=tokenizer)
        if not doc.passages:
            doc.error = "no text to index (empty or whitespace only)"
        return doc

    def refresh(self, doc: Document, records: list) -> Optional[dict]:
        return None if doc.passages is not None else {str(r.id): {MTIME: doc.mtime, SIZE: doc.size} for r in records}

    def cost(self, doc: Document) -> int:
        return len(doc.passages)

    def points(self, docs: list[Document], report: IndexReport) -> list[list[Point]]:
        model = self.target.model
        passages = [(doc, p) for doc in docs for p in doc.passages]
        points: dict[str, list[Point]] = {doc.path: [] for doc in docs}
        for start in range(0, len(passages), self.batch_size):
            chunk = passages[start : start + self.batch_size]
            raw = model.encode_text([p.text for _, p in chunk], task="retrieval.passage", convert_to_tensor=True)
            small = model.matryoshka_prefix(raw, self.small_dim).numpy()
            for (doc, p), full, small_vector in zip(chunk, raw.numpy(), small):
                payload = passage_payload(doc.path, doc.hash, doc.size, doc.mtime, p.index, p.start, p.end, p.text)
                vectors = {TEXT: full, SMALL: small_vector}
                points[doc.path].append(Point(point_id(doc.path, doc.hash, str(p.index)), vectors, payload))
        return [points[doc.path] for doc in docs]
