"""LangChain: an ``Embeddings`` for any LangChain vector store, with ``embed_image`` as LangChain's OpenCLIP has.

    from langchain_core.vectorstores import InMemoryVectorStore
    from mmretrieval.integrations.langchain import MMRetrievalEmbeddings, add_images

    store = InMemoryVectorStore(MMRetrievalEmbeddings())        # the shipped default model
    store.add_texts(passages)
    add_images(store, ["assets/cat.jpg", "assets/rocket.jpg"])
    store.as_retriever().invoke("a cat")                          # photos and passages, one ranking
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Optional, Sequence

from .vectors import FrameworkVectors, missing_extra

if TYPE_CHECKING:
    from ..model import MMRetrievalModel

try:
    from langchain_core.embeddings import Embeddings
    from langchain_core.vectorstores import InMemoryVectorStore
except ImportError as err:
    raise missing_extra(err, "langchain") from err


class MMRetrievalEmbeddings(Embeddings):
    """An mmretrieval model as LangChain embeddings: passages, queries and images in one space.

    Arguments as :class:`~mmretrieval.integrations.vectors.FrameworkVectors`. ``embed_query`` returns the
    vector that ranks photos (``query_for="images"``, the default) unless told ``"texts"``.
    """

    def __init__(self, model: MMRetrievalModel | str | None = None, *, dimensions: Optional[int] = None,
                 query_for: str = "images", batch_size: int = 32):
        self.vectors = FrameworkVectors(model, dimensions, query_for, batch_size)

    @property
    def model(self):
        return self.vectors.model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Passages, embedded as mmretrieval indexes them (``task="retrieval.passage"``)."""
        return self.vectors.passages(texts)

    def embed_query(self, text: str) -> list[float]:
        """A search query's vector (which one: ``query_for``)."""
        return self.vectors.queries([text])[0]

    def embed_image(self, uris: list[str]) -> list[list[float]]:
        """Images (paths; bytes and PIL images work too), in the space of the texts."""
        return self.vectors.images(uris)


def add_images(store, uris: Sequence[str], metadatas: Optional[Sequence[dict]] = None,
               ids: Optional[Sequence[str]] = None) -> list[str]:
    """Add images to a LangChain vector store whose embeddings are :class:`MMRetrievalEmbeddings`; their ids.

    A store with its own ``add_images`` (Chroma's kind) embeds them through ``embed_image`` itself; an
    ``InMemoryVectorStore``, which has none, gets each image as a document whose ``page_content`` is its
    path and whose metadata say ``kind: "image"`` and ``path`` (the keys mmretrieval writes into LangChain
    collections), plus any ``metadatas``.
    """
    uris = [str(uri) for uri in uris]
    embeddings = getattr(store, "embeddings", None)
    if not isinstance(embeddings, MMRetrievalEmbeddings):
        raise TypeError(f"the store embeds with {type(embeddings).__name__}, not MMRetrievalEmbeddings: its "
                        "queries would not find mmretrieval's image vectors; make the store with MMRetrievalEmbeddings")
    for given, what in ((metadatas, "metadatas"), (ids, "ids")):
        if given is not None and len(given) != len(uris):
            raise ValueError(f"{len(uris)} images but {len(given)} {what}: give one per image")
    if hasattr(store, "add_images"):
        return store.add_images(uris=uris, metadatas=metadatas, ids=ids)
    if not isinstance(store, InMemoryVectorStore):
        raise TypeError(f"{type(store).__name__} has no add_images; embed with embeddings.embed_image(uris) and give "
                        "the vectors to the store's own way of adding ready vectors")
    ids = [str(i) for i in ids] if ids is not None else [str(uuid.uuid4()) for _ in uris]
    for id_, uri, vector, extra in zip(ids, uris, embeddings.embed_image(uris), metadatas or [{}] * len(uris)):
        # the entry InMemoryVectorStore.add_documents writes (and dump/load keep)
        store.store[id_] = {"id": id_, "vector": vector, "text": uri,
                            "metadata": {"kind": "image", "path": uri, **extra}}
    return ids
