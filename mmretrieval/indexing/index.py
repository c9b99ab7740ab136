"""``Index``: one collection and its model, the facade over ingestion and search.

Writing goes through ``indexing.pipeline`` (one walk, captions, the reconcile loop of ``indexing.reconcile``:
incremental and crash-safe); reading through the search methods below.
"""

from __future__ import annotations

from typing import Optional, Sequence

from ..images import MAX_IMAGE_PIXELS
from ..search.hits import Hit
from ..search.query import Query, image_query, text_query, vector_query
from ..search.score import DEFAULT_LIMIT, FUSION, search
from ..store import DEFAULT_COLLECTION, IMAGE, TEXT, CollectionInfo, Store, build_filter, open_store
from .captions import CaptionSource
from .duplicates import DuplicateGroup, find_duplicates
from .pipeline import ingest
from .prepare import MAX_FILE_BYTES
from .results import IndexReport, IngestReport
from .schema import warn_unknown_fields
from .target import Target
from .texts import MAX_DOCUMENT_BYTES


class Index:
    """Images (and texts) in one Qdrant collection, embedded by one model."""

    def __init__(self, store: Store, model=None, runtime: Optional[str] = None):
        self.store = store
        # the model, loaded on first need (indexing.target); ``runtime``: where a model loaded from the
        # collection's record runs its image trunk
        self._target = Target(store, model, runtime)

    @classmethod
    def open(cls, path=None, url=None, api_key=None, collection: str = DEFAULT_COLLECTION, model=None,
             engine: Optional[str] = None, vector: Optional[str] = None, client=None) -> "Index":
        """Open (or create on first write) a collection: embedded at ``path`` (default folder) or at ``url``.

        ``engine`` picks the embedded engine (``"client"`` or ``"edge"``; see :func:`mmretrieval.store.open_store`).
        ``vector`` attaches to a collection another tool made (LangChain, LlamaIndex, qdrant-client),
        writing into its dense vector of that name (``""``: the unnamed one); ``client`` shares an open
        ``QdrantClient`` with that tool (needed for ``":memory:"``, and while it holds a folder open)."""
        store = open_store(path=path, url=url, api_key=api_key, collection=collection, engine=engine,
                           vector=vector, client=client)
        return cls(store, model)

    @property
    def model(self):
        """The model given, else the built-in one recorded in the collection, else the default
        (not for another tool's collection: there the model must be given or recorded).

        The model must be the one that made an existing collection (name, dims, weights): reads and
        writes alike refuse another with :class:`ModelMismatchError`, naming both."""
        return self._target.model

    def ensure_collection(self) -> CollectionInfo:
        """Create the collection for this model, or refuse if another model made it (see ``indexing.target``)."""
        return self._target.ensure()

    def collection_info(self) -> CollectionInfo:
        """The record of the collection to write to; loads the model only to create the collection
        (or to check a model given), so a run with nothing to encode never loads one."""
        return self._target.info()

    # ---- writing (indexing.pipeline) -----------------------------------------------------------
    def add(
        self,
        paths_or_globs,
        captions: CaptionSource = None,
        *,
        ocr: bool = False,
        passage_tokens: Optional[int] = None,
        passage_overlap: Optional[int] = None,
        sidecars: bool = True,
        batch_size: int = 32,
        num_workers: int = 2,
        show_progress_bar: bool = True,
        max_pixels: int = MAX_IMAGE_PIXELS,
        max_bytes: int = MAX_FILE_BYTES,
        max_document_bytes: int = MAX_DOCUMENT_BYTES,
    ) -> IngestReport:
        """Bring the collection in line with the images and text documents under ``paths_or_globs`` (files,
        folders walked recursively, glob patterns): what ``mmretrieval index`` does.

        New and changed files are encoded, files gone from disk are removed, unchanged files are skipped
        without being read, bad files are skipped and listed with the reason (and not read again until they
        change). Images get their EXIF (date taken, camera, GPS place, orientation) in the payload; text
        documents (``.txt``, ``.md``) become overlapping passages of ``passage_tokens`` tokens
        (``passage_overlap`` shared; defaults in ``indexing.passages``).

        ``captions``: a dict {image path: caption}, or a JSON (the same object) or CSV (path,caption columns)
        file; relative paths in a file are read from its folder. ``sidecars``: also read each image's sidecar
        (``cat.jpg`` + ``cat.txt`` or ``cat.caption``). Captions go into the payload and are embedded as the
        image's ``text`` vector; with no caption at all, stored captions are left as they are.
        ``ocr``: read the text in each image (``indexing.ocr``), stored as ``ocr_text``/``ocr_lines`` and embedded
        as the ``ocr`` vector; images indexed before without it are read now. Without an OCR engine (or in a
        collection that cannot hold OCR vectors) the run goes on without OCR and says why in its notes.
        ``max_pixels``/``max_bytes``: the largest image taken; ``max_document_bytes``: the largest document.
        """
        return ingest(self._target, paths_or_globs, captions=captions, sidecars=sidecars, ocr=ocr,
                      passage_tokens=passage_tokens, passage_overlap=passage_overlap, batch_size=batch_size,
                      num_workers=num_workers, show_progress_bar=show_progress_bar, max_pixels=max_pixels,
                      max_bytes=max_bytes, max_document_bytes=max_document_bytes)

    def add_images(self, paths_or_globs, captions: CaptionSource = None, batch_size: int = 32,
                   show_progress_bar: bool = True, num_workers: int = 2, max_pixels: int = MAX_IMAGE_PIXELS,
                   max_bytes: int = MAX_FILE_BYTES, ocr: bool = False) -> IndexReport:
        """:meth:`add` for the images only, with the ``captions`` given (sidecars are not read)."""
        return ingest(self._target, paths_or_globs, kinds=(IMAGE,), captions=captions, sidecars=False, ocr=ocr,
                      batch_size=batch_size, num_workers=num_workers, show_progress_bar=show_progress_bar,
                      max_pixels=max_pixels, max_bytes=max_bytes).images

    def add_texts(self, paths_or_globs, size: Optional[int] = None, overlap: Optional[int] = None,
                  batch_size: int = 32, show_progress_bar: bool = True,
                  max_bytes: int = MAX_DOCUMENT_BYTES) -> IndexReport:
        """:meth:`add` for the text documents only (``.txt``, ``.md``): passages of ``size`` tokens, ``overlap`` shared."""
        return ingest(self._target, paths_or_globs, kinds=(TEXT,), passage_tokens=size, passage_overlap=overlap,
                      batch_size=batch_size, show_progress_bar=show_progress_bar,
                      max_document_bytes=max_bytes).documents

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
        return search(self.store, self._target.given_model, vector_query(vectors[name]), limit=limit, kinds=kinds or (name,),
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
        return self.store.count_points(kind)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
