"""mmretrieval as LangChain embeddings: photos and passages in one of LangChain's own vector stores.

    pip install 'mmretrieval[langchain]'
    python examples/langchain_embeddings.py "a cat lying on a couch"

`MMRetrievalEmbeddings` is a LangChain `Embeddings` with `embed_image`, like LangChain's OpenCLIP class,
so any LangChain vector store can hold the photos: a store with `add_images` (Chroma's kind) embeds them
itself; `add_images(store, paths)` also fills an `InMemoryVectorStore`, used here (no server needed).
"""

import sys
from pathlib import Path

from langchain_core.vectorstores import InMemoryVectorStore

from mmretrieval.integrations.langchain import MMRetrievalEmbeddings, add_images

ASSETS = Path(__file__).resolve().parent.parent / "assets"
PASSAGES = ["Our cat sleeps on the sofa every afternoon and ignores the neighbours' dog.",
            "The launch was delayed twice by wind before the rocket finally lifted off at dawn.",
            "Grind the beans just before brewing; stale coffee tastes flat."]

query = sys.argv[1] if len(sys.argv) > 1 else "a cat lying on a couch"
embeddings = MMRetrievalEmbeddings()  # the shipped default model; dimensions=128 for shorter vectors
store = InMemoryVectorStore(embeddings)
store.add_texts(PASSAGES)
add_images(store, sorted(ASSETS.glob("*.jpg")))

# One store, two kinds: a passage and a photo score on different scales (text-to-text cosines run
# higher), so ask the retriever for each kind by its metadata, as a RAG prompt would want them anyway.
def of_kind(kind):
    return lambda doc: doc.metadata.get("kind", "text") == kind


for kind, k in (("image", 2), ("text", 1)):
    for doc in store.as_retriever(search_kwargs={"k": k, "filter": of_kind(kind)}).invoke(query):
        print(f"{kind:>5}: {Path(doc.metadata['path']).name if kind == 'image' else doc.page_content}")
