"""``Index``: incremental, crash-safe image indexing and search over a :class:`VectorStore`.

Point ids derive from path + content hash, and each run reconciles the collection with the files
on disk (write new/changed points first, then delete the stale ones), so a run killed at any
moment and run again ends exactly where an uninterrupted run would.
"""

from __future__ import annotations

import os
import threading
from typing import Optional, Sequence

from tqdm.auto import tqdm

from ..images import MAX_IMAGE_PIXELS
from ..store import (DEFAULT_COLLECTION, IMAGE, OCR, SMALL, TEXT, CollectionInfo, ModelMismatchError, Point, VectorStore,
                     build_filter, point_id)
from ..store import payload as P
from ..identity import model_fingerprint
from ..search.score import search
from ..search.hits import Hit
from ..search.query import Query, image_query, text_query, vector_query
from ..search.score import DEFAULT_LIMIT, FUSION
from .files import collect
from .schema import warn_unknown_fields
from ..parallel import bounded_map
from .prepare import MAX_FILE_BYTES, Prepared, prepare
from .duplicates import DuplicateGroup, find_duplicates
from .attach_check import check_raw_space, check_text_model
from .results import IndexReport
from .hubness import stamp as stamp_hubness
from .stored import prune_missing, stored_by_path

DEFAULT_SMALL_DIM = 64
SKIPPED = "skipped"  # kind of the vector-less points that remember a bad file by path, size and mtime


class Index:
    """Images (and texts) in one Qdrant collection, embedded by one model."""

    def __init__(self, store: VectorStore, model=None):
        self.store = store
        self._model = model
        self._model_checked = False
        self._text_model_checked = False  # an attached collection's text model, checked once

    @classmethod
    def open(cls, path=None, url=None, api_key=None, collection: str = DEFAULT_COLLECTION, model=None,
             engine: Optional[str] = None, vector: Optional[str] = None, client=None) -> "Index":
        """Open (or create on first write) a collection: embedded at ``path`` (default folder) or at ``url``.

        ``engine`` picks the embedded engine (``"client"`` or ``"edge"``; see :class:`VectorStore`).
        ``vector`` attaches to a collection another tool made (LangChain, LlamaIndex, qdrant-client),
        writing into its dense vector of that name (``""``: the unnamed one); ``client`` shares an open
        ``QdrantClient`` with that tool (needed for ``":memory:"``, and while it holds a folder open)."""
        store = VectorStore(path=path, url=url, api_key=api_key, collection=collection, engine=engine,
                            vector=vector, client=client)
        return cls(store, model)

    @property
    def model(self):
        """The model given, else the built-in one recorded in the collection, else the default
        (not for another tool's collection: there the model must be given or recorded).

        The model must be the one that made an existing collection (name, dims, weights): reads and
        writes alike refuse another with :class:`ModelMismatchError`, naming both."""
        if self._model is None:
            self._model = self._recorded_model()
        if not self._model_checked:
            if self.store.attached is None:  # (attached: checked against mmretrieval's own points on write)
                self.store.check_made_by(_info_of(self._model))
            self._model_checked = True
        return self._model

    def _recorded_model(self):
        from ..registry import list_models, load_model

        info = self.store.info()
        if self.store.attached is not None and (info is None or info.model not in list_models()):
            made_by = f" (its images were written by {info.model!r})" if info else ""
            raise ValueError(f"collection {self.store.collection!r} was made by another tool{made_by}; pass the "
                             "raw-space model of its text model as model= (CLI: --model NAME_OR_FOLDER)")
        if info is not None and info.model not in list_models():
            raise ModelMismatchError(
                f"collection {self.store.collection!r} at {self.store.location} was made by model {info.model!r}, "
                "which is not built in; pass that model's folder as model= (CLI: --model FOLDER)")
        try:
            return load_model(info.model if info else None)
        except ValueError as err:
            made_by = f" (it was made by {info.model!r})" if info else ""
            raise ValueError(f"{err}. Pass the model for collection {self.store.collection!r}{made_by} "
                             "as model= (CLI: --model NAME_OR_FOLDER)") from None

    def ensure_collection(self):
        """Create the collection for this model, or refuse if another model made it.

        Attached to another tool's collection: refuse unless this model's vectors live in its text
        model's own space and that text model made the collection's texts (see ``attach_check``)."""
        model = self.model
        attached_unchecked = self.store.attached is not None and not self._text_model_checked
        if attached_unchecked:
            check_raw_space(model)
        wanted = _info_of(model)
        info = self.store.ensure_collection(wanted.model, wanted.dim, wanted.small_dim, wanted.fingerprint)
        if attached_unchecked:
            check_text_model(self.store, model)
            self._text_model_checked = True
        return info

    def collection_info(self) -> CollectionInfo:
        """The record of the collection to write to; loads the model only to create the collection
        (or to check a model given), so a run with nothing to encode never loads one."""
        if self._model is None and self.store.attached is None:
            info = self.store.info()
            if info is not None:
                return info
        return self.ensure_collection()

    # ---- writing ------------------------------------------------------------------------------
    def add_images(
        self,
        paths_or_globs,
        captions: Optional[dict] = None,
        batch_size: int = 32,
        show_progress: bool = True,
        num_workers: int = 2,
        max_pixels: int = MAX_IMAGE_PIXELS,
        max_bytes: int = MAX_FILE_BYTES,
        ocr: bool = False,
    ) -> IndexReport:
        """Bring the collection in line with the images under ``paths_or_globs``.

        New and changed files are encoded, files gone from disk are removed, unchanged files are
        skipped without being read. Each photo's EXIF (date taken, camera, GPS place, orientation) goes into its
        payload; images indexed before that was read get it now by a payload-only update (no re-encoding).
        Bad files are skipped and listed (with reasons) in the report.
        ``captions`` maps paths to captions, stored in the payload and embedded as ``text`` vectors.
        ``ocr`` reads the text in each image (``mmretrieval.indexing.ocr``): stored as ``ocr_text``/``ocr_lines`` and
        embedded as a passage in the ``ocr`` vector; images indexed before without it are read now. Without
        an OCR engine (or in a collection that cannot hold OCR vectors) the run goes on without OCR and says why.
        """
        scope = collect(paths_or_globs)
        info = self.collection_info()
        captions = {os.path.abspath(os.path.expanduser(k)): v for k, v in captions.items()} if captions else None
        report = IndexReport()
        reader = self._ocr_reader(report) if ocr else None

        stored = stored_by_path(self.store, IMAGE, scope)
        report.removed += prune_missing(self.store, stored)
        remembered = stored_by_path(self.store, SKIPPED, scope)
        prune_missing(self.store, remembered)

        todo = []
        for path in scope.files:
            keep = _unchanged_record(path, stored.get(path, ()), captions, need_ocr=reader is not None, need_photo=True)
            bad = _unchanged_record(path, remembered.get(path, ()), None)
            if keep is not None:
                report.unchanged += 1
                self.store.delete(str(r.id) for r in stored[path] if r.id != keep.id)
            elif bad is not None:  # failed before and untouched since: not read again
                report.skipped.append((path, bad.payload.get("reason", "bad file")))
            else:
                todo.append(path)
        known = frozenset(  # same content and caption stored under an older mtime: no need to decode
            str(r.id) for path in todo for r in stored.get(path, ())
            if (captions is None or captions.get(path) == r.payload.get(P.CAPTION))
            and (reader is None or P.OCR_TEXT in r.payload)
        )
        load_lock = threading.Lock()

        def prep(path):  # the first file to read loads the model (once): with nothing to do, none is loaded
            with load_lock:
                trunk = self.model.trunk
            return prepare(path, trunk.preprocess, trunk.input_size, known, max_pixels, max_bytes, ocr=reader)

        bar = tqdm(total=len(todo), desc="indexing", unit="img", disable=not show_progress)
        pending: list[Prepared] = []
        for item in bounded_map(prep, todo, workers=num_workers, ahead=2 * batch_size):
            bar.update(1)
            if item.error is not None:
                report.skipped.append((item.path, item.error))
                self._remember_bad(item)
                self._replace(item.path, None, stored)
            elif item.pixels is None:  # same content already stored (touched, or from before EXIF was read):
                self.store.set_payload(item.id, {P.MTIME: item.mtime, P.SIZE: item.size,  # a payload-only update
                                                 **P.photo_payload(item.photo or {})})
                self._replace(item.path, item.id, stored)
                report.unchanged += 1
            else:
                pending.append(item)
                if len(pending) == batch_size:
                    self._write_batch(pending, captions, stored, report, info.small_dim)
                    pending = []
        self._write_batch(pending, captions, stored, report, info.small_dim)
        bar.close()
        still_bad = {path for path, _ in report.skipped}
        self.store.delete(str(r.id) for path in todo if path not in still_bad
                          for r in remembered.get(path, ()))  # bad before, fine now
        return report

    def add_texts(self, paths_or_globs, size: Optional[int] = None, overlap: Optional[int] = None,
                  batch_size: int = 32, show_progress: bool = True, **options) -> IndexReport:
        """Bring the collection in line with the text documents (``.txt``, ``.md``) under ``paths_or_globs``:
        overlapping passages of ``size`` tokens (``overlap`` shared), see :func:`mmretrieval.indexing.texts.add_texts`."""
        from .texts import add_texts

        return add_texts(self, paths_or_globs, size=size, overlap=overlap, batch_size=batch_size,
                         show_progress=show_progress, **options)

    def _ocr_reader(self, report: IndexReport):
        """The OCR engine's ``read`` for this run, or None (and a note in ``report`` saying why)."""
        from .ocr import OCRUnavailableError, load_engine

        where = f"collection {self.store.collection!r}"
        if self.store.attached is not None:
            report.notes.append(f"--ocr skipped: {where} was made by another tool and holds one vector per point; "
                                "index into a collection of mmretrieval's own for OCR")
            return None
        if not self.store.has_vector(OCR):
            report.notes.append(f"--ocr skipped: {where} was made before OCR vectors existed; index into a new "
                                f"collection (--collection NAME) or delete and re-index this one "
                                f"(mmretrieval collections --delete {self.store.collection})")
            return None
        try:
            engine = load_engine()
        except OCRUnavailableError as err:
            report.notes.append(f"--ocr skipped: {err}")
            return None
        self.store.record_ocr(engine.name)
        return engine.read

    def _remember_bad(self, item: Prepared) -> None:
        """A vector-less point for a bad file, so later runs skip it unread until its size or mtime changes."""
        payload = {"kind": SKIPPED, "path": item.path, "size": item.size, "mtime": item.mtime, "reason": item.error}
        self.store.upsert([Point(point_id(item.path, SKIPPED), {}, payload)])

    def _write_batch(self, items: list[Prepared], captions, stored, report: IndexReport, small_dim: int) -> None:
        if not items:
            return
        import torch

        model = self.model
        full, small = image_vectors(model, torch.stack([item.pixels for item in items]), small_dim)
        attached = self.store.attached is not None  # another tool's collection: one vector per point
        texts = {i: captions[item.path] for i, item in enumerate(items) if captions and captions.get(item.path)}
        text_vectors = dict(zip(texts, model.encode_text(list(texts.values()), task="retrieval.passage"))) \
            if texts and not attached else {}
        read = {i: item.ocr.text for i, item in enumerate(items) if item.ocr is not None and item.ocr.text}
        ocr_vectors = dict(zip(read, model.encode_text(list(read.values()), task="retrieval.passage"))) if read else {}
        points = []
        for i, item in enumerate(items):
            points.append(image_point(item, full[i], small[i], texts.get(i), text_vectors.get(i), ocr_vectors.get(i)))
            report.count_ocr(item.path, item.ocr)
        stamp_hubness(self.store, model, points)  # each photo's hubness against the model's query bank
        self.store.upsert(points)
        for item in items:
            if stored.get(item.path):
                report.updated += 1
            else:
                report.added += 1
            self._replace(item.path, item.id, stored)

    def _replace(self, path: str, keep_id: Optional[str], stored) -> None:
        """Delete the points stored for ``path`` other than ``keep_id`` (after the new one is written)."""
        self.store.delete(str(r.id) for r in stored.get(path, ()) if str(r.id) != keep_id)

    # ---- reading ------------------------------------------------------------------------------
    def search(
        self,
        text: Optional[str] = None,
        image=None,
        vector=None,
        query: Optional[Query] = None,
        limit: int = DEFAULT_LIMIT,
        filter=None,
        dim: Optional[int] = None,
        kinds: Sequence[str] = (IMAGE,),
        min_score: Optional[float] = None,
        ocr: Optional[bool] = None,
        fusion: str = FUSION,
        condition: bool = True,
    ) -> list[Hit]:
        """Best matches for a ``text`` query, an ``image`` (path, bytes or PIL), a ready ``vector`` or a
        prepared ``query`` (:mod:`mmretrieval.search.query`), scored by :func:`mmretrieval.search.search`.

        ``kinds`` picks the rankings: ``image`` (photos) and/or ``text`` (passages and captions); several
        are fused (``fusion``: ``zscore`` or ``rrf``), never compared by raw cosine. ``dim`` (the collection's
        small dim, 64 by default) prefetches on the Matryoshka prefix and reranks on the full vector.
        ``filter`` is a dict on payload fields (see ``store.build_filter``). In a collection indexed with OCR a
        text query's photos are also ranked by the text read in them and the rankings fused (``ocr``: None
        fuses for text queries, True also for a vector, False never); fused hits carry ``explanation``.
        ``min_score``: the least cosine a hit keeps (None: the model's calibrated cut-off, on the photos a
        text query finds; 0: none), see :mod:`mmretrieval.search.relevance`. ``condition``: rank photos for a text
        query against the model's query bank, where it has one (:mod:`mmretrieval.search.conditioning`).
        """
        if sum(x is not None for x in (text, image, vector, query)) != 1:
            raise ValueError("give exactly one of text=, image=, vector= or query=")
        if text is not None:
            query = text_query(self.model, text)
        elif image is not None:
            query = image_query(self.model, image)
        elif vector is not None:
            query = vector_query(vector)
        hits = search(self.store, self.model, query, limit=limit, kinds=kinds, filter=filter, dim=dim,
                      min_score=min_score, ocr=ocr, fusion=fusion, condition=condition)
        warn_unknown_fields(filter, hits)
        return hits

    def similar(self, point_id: str, limit: int = DEFAULT_LIMIT, filter=None,
                kinds: Optional[Sequence[str]] = None) -> list[Hit]:
        """Points nearest to a stored point (itself excluded), by its own vector."""
        from qdrant_client import models

        records = self.store.retrieve([point_id], with_vectors=True)
        if not records:
            raise KeyError(f"no point {point_id!r} in collection {self.store.collection!r}")
        vectors = records[0].vector
        name = IMAGE if IMAGE in vectors else TEXT
        exclude = models.Filter(must_not=[models.HasIdCondition(has_id=[point_id])])
        flt = build_filter(filter)
        if flt is not None:
            exclude.must = [flt]
        return search(self.store, self._model, vector_query(vectors[name]), limit=limit, kinds=kinds or (name,),
                      filter=exclude)

    def duplicates(self, threshold: Optional[float] = None, by_search: Optional[bool] = None) -> list[DuplicateGroup]:
        """Groups of near-duplicate photos (resized, re-encoded, mirrored copies): images whose vectors have
        cosine >= ``threshold`` (None: the model's calibrated ``config.duplicate_threshold``), linked into
        connected components, biggest group first (see ``indexing.duplicates``). A threshold given loads no model."""
        if threshold is None:
            threshold = self.model.config.duplicate_threshold
            if threshold is None:
                raise ValueError(f"model {self.model.config.name!r} has no calibrated duplicate threshold; give one "
                                 "(threshold=, CLI --threshold, e.g. 0.95) or measure it with eval/bench_duplicates.py")
        if not self.store.exists():
            return []
        return find_duplicates(self.store, threshold, by_search=by_search)

    def get(self, point_id: str) -> Optional[Hit]:
        records = self.store.retrieve([point_id]) if self.store.exists() else []
        return Hit.from_point(records[0]) if records else None

    def count(self, kind: Optional[str] = None) -> int:
        """Points of ``kind`` ("image" or "text"), or of both (in another tool's collection: ``kind`` counts
        mmretrieval's own, no kind counts every point, the other tool's too)."""
        if self.store.attached is not None:
            return self.store.count(self.store.own(kind) if kind else None)
        return self.store.count({P.KIND: kind if kind else list(P.KINDS)})

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def image_vectors(model, pixels: torch.Tensor, small_dim: int):
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


def small_dim_for(dim: int) -> int:
    """The coarse Matryoshka dim stored next to the full vector: 64, or half of a smaller model's."""
    return min(DEFAULT_SMALL_DIM, max(1, dim // 2))


def _info_of(model) -> CollectionInfo:
    """The collection record ``model`` writes (and expects to read)."""
    return CollectionInfo(model.config.name, model.embed_dim, small_dim_for(model.embed_dim), model_fingerprint(model))


def _unchanged_record(path: str, records, captions, need_ocr: bool = False, need_photo: bool = False):
    """The stored record still valid for ``path`` by size, mtime and caption (and OCR read, if
    ``need_ocr``; EXIF read by this version, if ``need_photo``): no need to read the file."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    for record in records:
        p = record.payload
        if p.get(P.SIZE) == stat.st_size and p.get(P.MTIME) == stat.st_mtime and (
            captions is None or captions.get(path) == p.get(P.CAPTION)
        ) and (not need_ocr or P.OCR_TEXT in p) and (not need_photo or p.get(P.PHOTO_META) == P.PHOTO_META_VERSION):
            return record
    return None
