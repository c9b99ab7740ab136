"""LlamaIndex: a ``MultiModalEmbedding`` for ``MultiModalVectorStoreIndex`` and any store LlamaIndex supports.

    from llama_index.core.indices import MultiModalVectorStoreIndex
    from mmretrieval import load_model
    from mmretrieval.integrations.llama_index import MMRetrievalMultiModalEmbedding

    model = load_model()
    index = MultiModalVectorStoreIndex.from_documents(
        documents,                                                   # ImageDocuments and text Documents
        embed_model=MMRetrievalMultiModalEmbedding(model, query_for="texts"),
        image_embed_model=MMRetrievalMultiModalEmbedding(model))
    index.as_retriever(similarity_top_k=2, image_similarity_top_k=2).retrieve("a cat")

The index keeps texts and images in two stores and queries each with its own embed model, which is
where mmretrieval's two query vectors go: ``query_for="texts"`` for the text store, ``"images"`` (the
default) for the image store.
"""

from __future__ import annotations

import asyncio
from io import BytesIO
from typing import TYPE_CHECKING, Any, List, Optional

from .vectors import FrameworkVectors, missing_extra

if TYPE_CHECKING:
    from ..model import MMRetrievalModel

try:
    from llama_index.core.bridge.pydantic import Field, PrivateAttr
    from llama_index.core.embeddings import MultiModalEmbedding
except ImportError as err:
    raise missing_extra(err, "llama-index") from err


class MMRetrievalMultiModalEmbedding(MultiModalEmbedding):
    """An mmretrieval model as a LlamaIndex multi-modal embedding: texts, queries and images in one space.

    Arguments as :class:`~mmretrieval.integrations.vectors.FrameworkVectors`: ``query_for="images"`` (the
    default) for the ``image_embed_model``, ``"texts"`` for the ``embed_model``.
    """

    dimensions: Optional[int] = Field(default=None, description="Matryoshka size of the vectors; None: full")
    query_for: str = Field(default="images", description="what query vectors rank: 'images' or 'texts'")
    _vectors: FrameworkVectors = PrivateAttr()

    def __init__(self, model: MMRetrievalModel | str | None = None, *, dimensions: Optional[int] = None,
                 query_for: str = "images", **kwargs: Any):
        vectors = FrameworkVectors(model, dimensions, query_for)
        kwargs.setdefault("model_name", vectors.model.config.name)
        super().__init__(dimensions=dimensions, query_for=query_for, **kwargs)
        self._vectors = vectors

    @classmethod
    def class_name(cls) -> str:
        return "MMRetrievalMultiModalEmbedding"

    @property
    def model(self):
        return self._vectors.model

    def _get_query_embedding(self, query: str) -> List[float]:
        return self._vectors.queries([query])[0]

    async def _aget_query_embedding(self, query: str) -> List[float]:
        return await asyncio.to_thread(self._get_query_embedding, query)

    def _get_text_embedding(self, text: str) -> List[float]:
        return self._vectors.passages([text])[0]

    def _get_text_embeddings(self, texts: List[str]) -> List[List[float]]:
        return self._vectors.passages(texts)

    async def _aget_text_embeddings(self, texts: List[str]) -> List[List[float]]:
        return await asyncio.to_thread(self._get_text_embeddings, texts)

    def _get_image_embedding(self, img_file_path) -> List[float]:
        return self._get_image_embeddings([img_file_path])[0]

    async def _aget_image_embedding(self, img_file_path) -> List[float]:
        return await asyncio.to_thread(self._get_image_embedding, img_file_path)

    def _get_image_embeddings(self, img_file_paths: List) -> List[List[float]]:
        # LlamaIndex hands over a path or, for an ImageNode it resolved, a BytesIO
        return self._vectors.images([p.getvalue() if isinstance(p, BytesIO) else p for p in img_file_paths])

    async def _aget_image_embeddings(self, img_file_paths: List) -> List[List[float]]:
        return await asyncio.to_thread(self._get_image_embeddings, img_file_paths)
