"""mmretrieval's vector store: Qdrant collections, embedded on disk (default), ``:memory:`` or a server.

Modules, one job each:

- :mod:`.ids`: the named vectors (``image``, ``text``, ``ocr``, ``small``), default collection and folder, point ids;
- :mod:`.payload`: the payload schema; :mod:`.filters`: the filter language; :mod:`.photo_filters`: the
  photo filters people type (dates, camera, place);
- :mod:`.records`: what a collection records about the model that made it, and the model check;
- :mod:`.facade`: what every store shares (an engine, point reads, writes and searches);
- :mod:`.collection`: :class:`VectorStore`, a collection mmretrieval made;
- :mod:`.attached` (with :mod:`.foreign`): :class:`AttachedStore`, mmretrieval's points in a collection
  another tool made (LangChain, LlamaIndex, qdrant-client);
- :mod:`.opening`: :func:`open_store`, the right type for a collection; :mod:`.listing`: ``collections``;
- :mod:`.backends`: the engines (qdrant-client, qdrant-edge) behind them all.
"""

from __future__ import annotations

from .attached import AttachedStore
from .backends.base import ModelMismatchError, Point, StoreLockedError
from .backends.client import LOCAL_MODE_COMFORT_LIMIT
from .collection import VectorStore
from .facade import Store
from .filters import build_filter
from .ids import DEFAULT_COLLECTION, FULL_VECTORS, IMAGE, OCR, SMALL, TEXT, default_store_path, point_id
from .listing import CollectionSummary, summarize_collections
from .opening import open_store
from .records import CollectionInfo

__all__ = [
    "AttachedStore", "CollectionInfo", "CollectionSummary", "DEFAULT_COLLECTION", "FULL_VECTORS", "IMAGE",
    "LOCAL_MODE_COMFORT_LIMIT", "ModelMismatchError", "OCR", "Point", "SMALL", "Store", "StoreLockedError",
    "TEXT", "VectorStore", "build_filter", "default_store_path", "open_store", "point_id", "summarize_collections",
]
