"""The one ingestion path: files on disk -> prepared images and passages -> vectors -> a reconciled collection.

The public names load on first use (PEP 562), so importing a module of this package stays light.
"""

from ..lazy import lazy_exports

_PUBLIC = {
    "Index": ".index",
    "model_fingerprint": ".target",
    "small_dim_for": ".target",
    "Hit": "..search.hits",
    "IndexReport": ".results",
    "IngestReport": ".results",
}

__all__ = sorted(_PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)
