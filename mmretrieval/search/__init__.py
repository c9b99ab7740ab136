"""The one query path: a query -> the vectors that rank -> rankings from the store -> relevance -> fusion -> hits.

``query`` checks a query and makes its vectors, ``rankings`` reads one list per named vector from a store,
``relevance`` holds the cut-off policy (its calibrated values live in the model config), ``fusion`` merges
lists whose cosines are not comparable, and ``score.search`` runs them in that order. Modules here take the
store and the model as arguments, never the ``Index`` facade. The public names load on first use.
"""

from ..lazy import lazy_exports

_PUBLIC = {
    "search": ".score",
    "DEFAULT_LIMIT": ".score",
    "Query": ".query",
    "check_query": ".query",
    "image_query": ".query",
    "text_query": ".query",
    "text_queries": ".query",
    "vector_query": ".query",
    "Hit": ".hits",
    "hit_json": ".hits",
    "fuse": ".fusion",
    "FUSION_METHODS": ".fusion",
}

__all__ = sorted(_PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)
