"""Native classes for LangChain and LlamaIndex, so an mmretrieval model plugs into any vector store they support.

``MMRetrievalEmbeddings`` (LangChain ``Embeddings``, ``pip install 'mmretrieval[langchain]'``) and
``MMRetrievalMultiModalEmbedding`` (LlamaIndex ``MultiModalEmbedding``, ``pip install
'mmretrieval[llama-index]'``). Each framework is imported only when its class is first used. To add photos
to a Qdrant collection such a framework already made, see ``Index.open(..., vector=...)`` (docs/attach.md).
"""

from ..lazy import lazy_exports

_PUBLIC = {
    "MMRetrievalEmbeddings": ".langchain",
    "add_images": ".langchain",
    "MMRetrievalMultiModalEmbedding": ".llama_index",
}

__all__ = sorted(_PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)
