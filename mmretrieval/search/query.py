"""A query, checked and turned into the vectors that rank: one place for every caller.

A text query ranks texts (passages, captions, the text read in images) by its own ``encode_text``
vector and images by ``model.image_queries`` of it (its language's query map, where the model has
one). An image query ranks everything by the image's vector.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

MAX_QUERY_CHARS = 2000  # far past a search phrase; the text models read 128-512 tokens of it at most
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # control characters but tab and newlines


def check_query(text: str, what: str = "query") -> str:
    """``text`` without control characters and surrounding whitespace; refuses an empty or over-long
    one, saying why (the same rule for the CLI, the Python API and the HTTP API)."""
    if not isinstance(text, str):
        raise ValueError(f"the {what} must be text, got {type(text).__name__}")
    stripped = _CONTROL.sub(" ", text).strip()
    if not stripped:
        raise ValueError(f"the {what} is empty (or only whitespace or control characters); give some words to search for")
    if len(stripped) > MAX_QUERY_CHARS:
        raise ValueError(f"the {what} is {len(stripped):,} characters long; the limit is {MAX_QUERY_CHARS:,} "
                         "(the text model would read only its beginning). Shorten it")
    return stripped


@dataclass(frozen=True)
class Query:
    """The vectors a query ranks with: ``vector`` for texts, ``image_vector`` for images (unit, full dim).

    ``text`` is the query's words when it is a text query (the relevance cut-off and the OCR ranking
    apply to text queries; hits show which OCR lines match the words)."""

    vector: np.ndarray
    image_vector: np.ndarray
    text: Optional[str] = None

    @property
    def by_text(self) -> bool:
        return self.text is not None

    def vector_for(self, kind: str) -> np.ndarray:
        """What ranks the named vector ``kind``: photos by ``image_vector``, everything else by ``vector``."""
        from ..store import IMAGE

        return self.image_vector if kind == IMAGE else self.vector


def text_queries(model, texts: Sequence[str], vectors=None, task: str = "retrieval.query") -> list[Query]:
    """Checked text queries, embedded in one batch (``vectors``: their ``encode_text`` rows, if the caller has them)."""
    texts = [check_query(t) for t in texts]
    if not texts:
        return []
    if vectors is None:
        vectors = model.encode_text(texts, task=task, convert_to_numpy=True)
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
    image_vectors = image_ranking_vectors(model, texts, vectors)
    return [Query(v, iv, t) for t, v, iv in zip(texts, vectors, image_vectors)]


def image_ranking_vectors(model, texts: Sequence[str], vectors) -> np.ndarray:
    """The rows that rank images for text queries ``texts`` whose ``encode_text`` rows are ``vectors``: the
    vectors themselves, or their language's query map where the model has one (``model.image_queries``)."""
    return np.asarray(model.image_queries(list(texts), vectors), dtype=np.float32)


def text_query(model, text: str, vector=None) -> Query:
    """One checked text query (``vector``: its ``encode_text`` vector, if the caller has it)."""
    return text_queries(model, [text], None if vector is None else [vector])[0]


def image_query(model, image) -> Query:
    """A query by example: an image (path, bytes or PIL) ranks images and texts by its own vector."""
    return vector_query(model.encode_image(image))


def vector_query(vector, image_vector=None, text: Optional[str] = None) -> Query:
    """A query from ready vectors: ``vector`` ranks texts and, unless ``image_vector`` is given, images.
    ``text``: the words it was embedded from, when it is a text query's vector."""
    vector = np.asarray(vector, dtype=np.float32).ravel()
    image_vector = vector if image_vector is None else np.asarray(image_vector, dtype=np.float32).ravel()
    return Query(vector, image_vector, None if text is None else check_query(text))
