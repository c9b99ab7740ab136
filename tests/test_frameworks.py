"""The LangChain and LlamaIndex classes, through the frameworks' own stores and retrievers.

The shipped default model (real weights) must put the right photo of assets/ first; the tiny random
model checks that the vectors are mmretrieval's own, Matryoshka sizes and bad input.
"""

import asyncio
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("llama_index.core")

from langchain_core.embeddings import Embeddings  # noqa: E402
from langchain_core.vectorstores import InMemoryVectorStore  # noqa: E402
from llama_index.core import Document  # noqa: E402
from llama_index.core.indices import MultiModalVectorStoreIndex  # noqa: E402
from llama_index.core.schema import ImageDocument, ImageNode  # noqa: E402

from mmretrieval import ImageLoadError, load_model  # noqa: E402
from mmretrieval.integrations import MMRetrievalEmbeddings, MMRetrievalMultiModalEmbedding, add_images  # noqa: E402
from mmretrieval.search.query import text_queries  # noqa: E402

PHOTOS = ("astronaut", "camera", "cat", "coffee", "rocket")
QUERIES = {"a cat": "cat", "a cup of coffee on a table": "coffee", "a rocket launching into the sky": "rocket",
           "a man taking a photo with a camera": "camera", "a woman in a uniform": "astronaut", "eine Katze": "cat"}
NOTES = ["Quarterly tax returns are due at the end of the month; keep every receipt.",
         "Water tomato plants in the morning and tie them to a stake as they grow.",
         "The espresso machine on the second floor makes the best coffee in the building."]


@pytest.fixture(scope="module")
def default_model():
    return load_model(device="cpu")


@pytest.fixture(scope="module")
def paths(assets):
    return [str(assets / f"{name}.jpg") for name in PHOTOS]


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".jpg")


def test_langchain_store_and_retriever_find_the_photo(default_model, paths):
    store = InMemoryVectorStore(MMRetrievalEmbeddings(default_model))
    store.add_texts(NOTES)
    ids = add_images(store, paths, metadatas=[{"source": "assets"}] * len(paths))
    assert len(store.get_by_ids(ids)) == len(paths) and store.get_by_ids(ids[:1])[0].metadata["source"] == "assets"
    photos = store.as_retriever(search_kwargs={"k": 1, "filter": lambda doc: doc.metadata.get("kind") == "image"})
    found = {query: _name(photos.invoke(query)[0].metadata["path"]) for query in QUERIES}
    assert found == QUERIES
    assert store.as_retriever(search_kwargs={"k": 1}).invoke("when are taxes due?")[0].page_content == NOTES[0]
    best = asyncio.run(store.asimilarity_search("a cat", k=1, filter=lambda doc: doc.metadata.get("kind") == "image"))
    assert _name(best[0].metadata["path"]) == "cat"  # aembed_query: LangChain's executor default


def test_llama_index_multimodal_index_finds_the_photo(default_model, paths):
    documents = [ImageDocument(image_path=p, metadata={"file_name": p.rsplit("/", 1)[-1]}) for p in paths]
    index = MultiModalVectorStoreIndex.from_documents(
        documents + [Document(text=t) for t in NOTES],
        embed_model=MMRetrievalMultiModalEmbedding(default_model, query_for="texts"),
        image_embed_model=MMRetrievalMultiModalEmbedding(default_model))
    retriever = index.as_retriever(similarity_top_k=1, image_similarity_top_k=1)
    for query, photo in QUERIES.items():
        images = [hit.node for hit in retriever.retrieve(query) if isinstance(hit.node, ImageNode)]
        assert [_name(node.image_path) for node in images] == [photo], query
    assert retriever.text_retrieve("when are taxes due?")[0].node.text == NOTES[0]
    hits = asyncio.run(retriever.aretrieve("a cat"))
    assert [_name(h.node.image_path) for h in hits if isinstance(h.node, ImageNode)] == ["cat"]


def test_query_vectors_are_searchs_own(default_model):
    """``query_for="images"``: the vector search ranks photos with (a German query through its map);
    ``"texts"``: the text model's own query vector."""
    for_images, for_texts = MMRetrievalEmbeddings(default_model), MMRetrievalEmbeddings(default_model, query_for="texts")
    query = text_queries(default_model, ["eine Katze"])[0]
    np.testing.assert_allclose(for_images.embed_query("eine Katze"), query.image_vector, atol=1e-6)
    np.testing.assert_allclose(for_texts.embed_query("eine Katze"), query.vector, atol=1e-6)
    assert float(query.vector @ query.image_vector) < 0.99  # the map moved it: the choice matters here


def test_vectors_are_the_models_own(tiny_model, paths):
    lc, li = MMRetrievalEmbeddings(tiny_model, query_for="texts"), MMRetrievalMultiModalEmbedding(tiny_model)
    np.testing.assert_allclose(lc.embed_documents(NOTES), tiny_model.encode_text(NOTES, task="retrieval.passage"), atol=1e-6)
    np.testing.assert_allclose(li.get_text_embedding_batch(NOTES), lc.embed_documents(NOTES), atol=1e-6)
    np.testing.assert_allclose(lc.embed_image(paths), tiny_model.encode_image(paths), atol=1e-6)
    np.testing.assert_allclose(li.get_image_embedding_batch(paths), lc.embed_image(paths), atol=1e-6)
    np.testing.assert_allclose(lc.embed_query("a cat"), tiny_model.encode_text("a cat", task="retrieval.query"), atol=1e-6)
    assert lc.embed_documents([]) == [] and lc.embed_image([]) == []


def test_matryoshka_dimensions(tiny_model, paths):
    lc = MMRetrievalEmbeddings(tiny_model, dimensions=16, query_for="texts")
    li = MMRetrievalMultiModalEmbedding(tiny_model, dimensions=16, query_for="texts")
    query = lc.embed_query("a cat")
    np.testing.assert_allclose(query, tiny_model.encode_text("a cat", truncate_dim=16), atol=1e-6)
    np.testing.assert_allclose(li.get_query_embedding("a cat"), query, atol=1e-6)
    np.testing.assert_allclose(lc.embed_image(paths[:2]), tiny_model.encode_image(paths[:2], truncate_dim=16), atol=1e-6)
    assert np.linalg.norm(lc.embed_documents(NOTES), axis=1) == pytest.approx(1, abs=1e-5)
    assert len(MMRetrievalEmbeddings(tiny_model, dimensions=32).embed_query("a cat")) == 32


def test_bad_input_says_what_to_do(tiny_model, tmp_path):
    for dims in (0, 33, "16", True):
        with pytest.raises(ValueError, match="dimensions must be a whole number in 1..32"):
            MMRetrievalEmbeddings(tiny_model, dimensions=dims)
    with pytest.raises(ValueError, match="query_for must be one of images, texts"):
        MMRetrievalMultiModalEmbedding(tiny_model, query_for="image")
    with pytest.raises(TypeError, match="model must be an MMRetrievalModel"):
        MMRetrievalEmbeddings(42)
    embeddings = MMRetrievalEmbeddings(tiny_model)
    with pytest.raises(ValueError, match="the query is empty"):
        embeddings.embed_query("   ")
    with pytest.raises(ImageLoadError, match="no such file"):
        embeddings.embed_image([str(tmp_path / "gone.jpg")])
    with pytest.raises(ValueError, match="2 images but 1 metadatas"):
        add_images(InMemoryVectorStore(embeddings), ["a.jpg", "b.jpg"], metadatas=[{}])
    with pytest.raises(TypeError, match="not MMRetrievalEmbeddings"):
        add_images(InMemoryVectorStore(_Other()), ["a.jpg"])


class _Other(Embeddings):  # another LangChain embedding model
    def embed_documents(self, texts):
        return [[1.0] for _ in texts]

    def embed_query(self, text):
        return [1.0]


_LAZY = """
import sys
import mmretrieval, mmretrieval.integrations
assert not any(m.startswith(("langchain", "llama_index")) for m in sys.modules), "a framework was imported"
for module, name in (("langchain_core", "MMRetrievalEmbeddings"), ("llama_index.core", "MMRetrievalMultiModalEmbedding")):
    sys.modules[module] = None  # as if not installed
    try:
        getattr(mmretrieval.integrations, name)
    except ModuleNotFoundError as err:
        print(err)
"""


def test_frameworks_load_only_when_used_and_say_which_extra():
    done = subprocess.run([sys.executable, "-c", _LAZY], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "pip install 'mmretrieval[langchain]'" in done.stdout
    assert "pip install 'mmretrieval[llama-index]'" in done.stdout
