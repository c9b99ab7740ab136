"""Image files as the reconcile loop sees them: what keeps a stored image current, how a file is read
(``prepare``, on worker threads) and the point it becomes (image vector, ``small`` prefix, caption and
OCR text vectors, EXIF and file facts in the payload)."""

from __future__ import annotations

import os
from typing import Optional

from ..images import MAX_IMAGE_PIXELS
from ..store import IMAGE, OCR, SMALL, TEXT, Point
from ..store import payload as P
from .prepare import MAX_FILE_BYTES, Prepared, prepare
from .reconcile import same_file
from .results import IndexReport
from .target import Target
from .hubness import stamp as stamp_hubness


class ImageSource:
    """Images for :func:`reconcile.reconcile`; ``captions`` (path -> caption, None: leave stored ones) and
    ``ocr_read`` (an OCR engine's ``read``, see :func:`ocr_reader`) are part of what a stored image must match."""

    kind, desc, unit = IMAGE, "indexing", "img"

    def __init__(self, target: Target, small_dim: int, captions: Optional[dict] = None, ocr_read=None,
                 max_pixels: int = MAX_IMAGE_PIXELS, max_bytes: int = MAX_FILE_BYTES):
        self.target, self.small_dim, self.captions, self.ocr_read = target, small_dim, captions, ocr_read
        self.max_pixels, self.max_bytes = max_pixels, max_bytes
        self.known: frozenset = frozenset()

    def _matches(self, path: str, payload: dict) -> bool:
        """Whether a stored image has this run's caption (and OCR read, and EXIF read by this version)."""
        return ((self.captions is None or self.captions.get(path) == payload.get(P.CAPTION))
                and (self.ocr_read is None or P.OCR_TEXT in payload))

    def current(self, path: str, stat: os.stat_result, records: list) -> Optional[list]:
        keep = next((r for r in records if same_file(stat, r.payload) and self._matches(path, r.payload)
                     and r.payload.get(P.PHOTO_META) == P.PHOTO_META_VERSION), None)
        return None if keep is None else [keep]

    def plan(self, todo: list[str], stored: dict[str, list]) -> None:
        # same content and caption stored under an older mtime: no need to decode
        self.known = frozenset(str(r.id) for path in todo for r in stored.get(path, ()) if self._matches(path, r.payload))

    def read(self, path: str) -> Prepared:
        trunk = self.target.model.trunk  # the first file read loads the model (once): with nothing to do, none is
        return prepare(path, trunk.preprocess, trunk.input_size, self.known, self.max_pixels, self.max_bytes,
                       ocr=self.ocr_read)

    def refresh(self, item: Prepared, records: list) -> Optional[dict]:
        if item.pixels is not None:
            return None  # (touched, or stored before EXIF was read: its file facts and EXIF are updated)
        return {item.id: {P.MTIME: item.mtime, P.SIZE: item.size, **P.photo_payload(item.photo or {})}}

    def cost(self, item: Prepared) -> int:
        return 1

    def points(self, items: list[Prepared], report: IndexReport) -> list[list[Point]]:
        import torch

        model = self.target.model
        full, small = image_vectors(model, torch.stack([item.pixels for item in items]), self.small_dim)
        captions = self.captions or {}
        texts = {i: captions[item.path] for i, item in enumerate(items) if captions.get(item.path)}
        text_vectors = (dict(zip(texts, model.encode_text(list(texts.values()), task="retrieval.passage")))
                        if texts and not self.target.attached else {})  # attached: one vector per point
        read = {i: item.ocr.text for i, item in enumerate(items) if item.ocr is not None and item.ocr.text}
        ocr_vectors = dict(zip(read, model.encode_text(list(read.values()), task="retrieval.passage"))) if read else {}
        points = []
        for i, item in enumerate(items):
            points.append([image_point(item, full[i], small[i], texts.get(i), text_vectors.get(i), ocr_vectors.get(i))])
            report.count_ocr(item.path, item.ocr)
        stamp_hubness(self.target.store, model, [each[0] for each in points])  # against the model's query bank
        return points


def ocr_reader(target: Target, report: IndexReport):
    """The OCR engine's ``read`` for this run, or None (and a note in ``report`` saying why)."""
    from .ocr import OCRUnavailableError, load_engine

    store = target.store
    why = store.cannot_hold(OCR)  # (another tool's collection, or one made before OCR vectors existed)
    if why is not None:
        report.notes.append(f"--ocr skipped: {why}")
        return None
    try:
        engine = load_engine()
    except OCRUnavailableError as err:
        report.notes.append(f"--ocr skipped: {err}")
        return None
    store.record_ocr(engine.name)
    return engine.read


def image_vectors(model, pixels, small_dim: int):
    """``(full, small)`` normalised numpy vectors of a preprocessed batch: what an image point stores."""
    from ..encoding import finish  # (torch: imported only when there is something to encode)

    vectors = model.embed_pixels(pixels).float().cpu()
    return (finish(vectors, normalize_embeddings=True, truncate_dim=None, convert_to_numpy=True),
            model.matryoshka_prefix(vectors, small_dim).numpy())


def image_point(item: Prepared, full, small, caption: Optional[str] = None, text_vector=None,
                ocr_vector=None) -> Point:
    """The point of one image file: id from path + content hash, its file facts (caption, text read) as payload."""
    read = item.ocr.lines if item.ocr is not None and item.ocr.error is None else None
    payload = P.image_payload(item.path, item.hash, item.size, item.mtime, item.width, item.height, caption=caption,
                              ocr_lines=read, photo=item.photo)
    named = {IMAGE: full, SMALL: small}
    if text_vector is not None:
        named[TEXT] = text_vector
    if ocr_vector is not None:
        named[OCR] = ocr_vector
    return Point(item.id, named, payload)
