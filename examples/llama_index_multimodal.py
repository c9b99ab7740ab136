"""mmretrieval as a LlamaIndex multi-modal embedding: a MultiModalVectorStoreIndex of photos and notes.

    pip install 'mmretrieval[llama-index]'
    python examples/llama_index_multimodal.py "a rocket launching into the sky"

The index keeps texts and images in two vector stores (in memory by default; any LlamaIndex store
works) and queries each with its own embed model: one mmretrieval model serves both, its text-ranking
query vector for the notes (`query_for="texts"`) and its photo-ranking one for the images.
`SimpleDirectoryReader("photos/").load_data()` gives ImageDocuments too, once `llama-index-readers-file`
is installed (without it, it reads a JPEG as text).
"""

import sys
from pathlib import Path

from llama_index.core import Document
from llama_index.core.indices import MultiModalVectorStoreIndex
from llama_index.core.schema import ImageDocument, ImageNode

from mmretrieval import load_model
from mmretrieval.integrations.llama_index import MMRetrievalMultiModalEmbedding

ASSETS = Path(__file__).resolve().parent.parent / "assets"
NOTES = ["Launch window opens at 06:10; the crew boards two hours before.",
         "The camera club meets on Thursdays to swap lenses and critique prints.",
         "Feed the cat twice a day and keep her off the kitchen table."]

query = sys.argv[1] if len(sys.argv) > 1 else "a rocket launching into the sky"
model = load_model()  # the shipped default model, loaded once for both roles
photos = [ImageDocument(image_path=str(path), metadata={"file_name": path.name}) for path in sorted(ASSETS.glob("*.jpg"))]
index = MultiModalVectorStoreIndex.from_documents(
    photos + [Document(text=note) for note in NOTES],
    embed_model=MMRetrievalMultiModalEmbedding(model, query_for="texts"),
    image_embed_model=MMRetrievalMultiModalEmbedding(model),
)
for hit in index.as_retriever(similarity_top_k=1, image_similarity_top_k=2).retrieve(query):
    shown = Path(hit.node.image_path).name if isinstance(hit.node, ImageNode) else hit.node.get_content()
    print(f"{'image' if isinstance(hit.node, ImageNode) else 'text':>5} {hit.score:.3f}: {shown}")
