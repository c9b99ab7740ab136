"""Index images (and texts) into Qdrant and search them."""

from .index import Index, model_fingerprint, small_dim_for
from .results import Hit, IndexReport

__all__ = ["Hit", "Index", "IndexReport", "model_fingerprint", "small_dim_for"]
