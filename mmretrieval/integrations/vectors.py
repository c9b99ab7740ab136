"""The vectors the framework classes hand out, framework-free: passages, queries and images as lists of floats.

Each is what mmretrieval itself computes: passages by ``encode_text(task="retrieval.passage")`` (as indexing
embeds them; a raw-space model's are exactly the text model's), images by ``encode_image``, queries by the
search path's :func:`~mmretrieval.search.query.text_queries`. A framework's store keeps one vector per
point and ranks everything with one query vector, so ``query_for`` picks which of a text query's two
vectors that is: ``"images"`` (default) the one mmretrieval ranks photos with (the query's language map
applied, where the model has one: German, French, Czech, Chinese for the default), ``"texts"`` the text
model's own query vector, which ranks passages. They are the same vector for English queries, short ones
and every query of a model without language maps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np

if TYPE_CHECKING:
    from ..model import MMRetrievalModel

QUERY_FOR = ("images", "texts")


class FrameworkVectors:
    """One model's passage, query and image vectors, as lists of floats.

    Args:
        model: a loaded model, a model name, folder or Hub id; None for the shipped default.
        dimensions: a Matryoshka size (e.g. 64, 128: a prefix, re-normalised) for shorter vectors; None: full.
        query_for: what query vectors rank: ``"images"`` (as mmretrieval search ranks photos) or ``"texts"``
            (the text model's own query vector).
        batch_size: texts or images per forward pass.
    """

    def __init__(self, model: MMRetrievalModel | str | None = None, dimensions: Optional[int] = None,
                 query_for: str = "images", batch_size: int = 32):
        self.model = resolve_model(model)
        full = self.model.embed_dim
        if dimensions is not None and (isinstance(dimensions, bool) or not isinstance(dimensions, int)
                                       or not 0 < dimensions <= full):
            trained = self.model.config.matryoshka_dims or [full]
            raise ValueError(f"dimensions must be a whole number in 1..{full} (the model's size), got {dimensions!r}; "
                             f"{self.model.config.name} was trained for {', '.join(map(str, trained))}")
        if query_for not in QUERY_FOR:
            raise ValueError(f"query_for must be one of {', '.join(QUERY_FOR)}, got {query_for!r}: 'images' ranks "
                             "photos as mmretrieval search does, 'texts' ranks passages with the text model's own vector")
        self.dimensions = None if dimensions == full else dimensions
        self.query_for = query_for
        self.batch_size = batch_size

    def passages(self, texts: Sequence[str]) -> list[list[float]]:
        texts = list(texts)
        if not texts:
            return []
        return self.model.encode_text(texts, task="retrieval.passage", batch_size=self.batch_size,
                                      truncate_dim=self.dimensions).tolist()

    def queries(self, texts: Sequence[str]) -> list[list[float]]:
        from ..search.query import text_queries

        found = text_queries(self.model, list(texts))
        rows = np.stack([q.image_vector if self.query_for == "images" else q.vector for q in found]) if found else []
        if self.dimensions is None or not found:
            return np.asarray(rows).tolist()
        return self.model.matryoshka_prefix(rows, self.dimensions).tolist()

    def images(self, images: Sequence) -> list[list[float]]:
        images = list(images)
        if not images:
            return []
        return self.model.encode_image(images, batch_size=self.batch_size, truncate_dim=self.dimensions,
                                       show_progress_bar=False).tolist()


def resolve_model(model):
    """A loaded :class:`~mmretrieval.model.MMRetrievalModel` as it is; a name, folder or Hub id loaded
    (:func:`~mmretrieval.registry.load_model`); None: the shipped default."""
    from ..model import MMRetrievalModel
    from ..registry import load_model

    if isinstance(model, MMRetrievalModel):
        return model
    if model is None or isinstance(model, str):
        return load_model(model)
    raise TypeError(f"model must be an MMRetrievalModel, a model name, folder or Hub id, or None (the default); "
                    f"got {type(model).__name__}")


def missing_extra(err: ImportError, extra: str) -> ModuleNotFoundError:
    """The error for a framework that is not installed: which package, and the extra that brings it."""
    return ModuleNotFoundError(f"this integration needs {err.name or 'its framework'}: "
                               f"pip install 'mmretrieval[{extra}]'", name=err.name)
