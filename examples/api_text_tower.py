"""Photos in a collection that an embeddings API filled: the text tower is the API, LangChain keeps its passages.

    pip install "mmretrieval[openai]" langchain-openai langchain-qdrant
    export OPENAI_BASE_URL=http://127.0.0.1:8000/v1   # any OpenAI-compatible /v1/embeddings server
    export OPENAI_API_KEY=...                          # if the server wants one (read from here, never stored)
    python examples/api_text_tower.py "a rocket launching into the sky"

LangChain embeds its passages through the endpoint (``OpenAIEmbeddings``); mmretrieval's model calls the
same endpoint for its text side, so the photos it adds land in that space and LangChain's retriever finds
them. By default the model is the shipped all-MiniLM-L6-v2 adapter, right for a server that serves that
model under ``--model`` (its name there). For another model (OpenAI's text-embedding-3-small, ...) train an
adapter through the API first and pass its folder:

    mmretrieval train pairs.csv --model minilm-l6-lite0 --space raw --text-model text-embedding-3-small \\
        --text-dimensions 512 --out runs/te3
    python examples/api_text_tower.py --model text-embedding-3-small --adapter runs/te3/best "a cat"
"""

import argparse
import dataclasses
import os
import tempfile
from pathlib import Path

from langchain_openai import OpenAIEmbeddings
from langchain_qdrant import QdrantVectorStore
from qdrant_client import models

from mmretrieval import ApiTextConfig, load_model
from mmretrieval.indexing import Index
from mmretrieval.model import save_model_files
from mmretrieval.raw_space import raw_space_weights
from mmretrieval.registry import trained_weights

ASSETS = Path(__file__).resolve().parent.parent / "assets"
NOTES = ["Quarterly tax returns are due at the end of the month; keep every receipt.",
         "Water tomato plants in the morning and tie them to a stake as they grow.",
         "The espresso machine on the second floor makes the best coffee in the building."]

parser = argparse.ArgumentParser(description="photos beside API-embedded passages, found by LangChain")
parser.add_argument("query", nargs="?", default="a rocket launching into the sky")
parser.add_argument("--model", default="all-MiniLM-L6-v2", help="the endpoint's embedding model")
parser.add_argument("--adapter", help="a model folder trained with --text-model MODEL (default: the shipped MiniLM one)")
args = parser.parse_args()
base_url = os.environ.get("OPENAI_BASE_URL")  # (None: OpenAI's own API)

with tempfile.TemporaryDirectory() as tmp:
    if args.adapter:
        model = load_model(args.adapter)
    else:  # the shipped adapter in all-MiniLM-L6-v2's own space, its text tower the endpoint
        config, state = raw_space_weights(*trained_weights("minilm-l6-lite0"))
        config = dataclasses.replace(config, text=ApiTextConfig(model=args.model, base_url=base_url))
        model = load_model(str(save_model_files(Path(tmp, "model"), config, state)))
    # 1. LangChain embeds its passages through the endpoint (check_embedding_ctx_length=False: the texts go
    #    as they are, not as OpenAI tokens, which other servers' models would not read)
    embeddings = OpenAIEmbeddings(model=args.model, base_url=base_url, check_embedding_ctx_length=False,
                                  api_key=os.environ.get("OPENAI_API_KEY", "unused"))
    notes = QdrantVectorStore.from_texts(NOTES, embeddings, location=":memory:", collection_name="notes")
    # 2. mmretrieval adds the photos, sharing LangChain's client (it first checks the passages are its text model's)
    with Index.open(client=notes.client, collection="notes", vector="", model=model) as index:
        print(index.add_images([ASSETS], show_progress_bar=False).summary())
    # 3. LangChain's own retriever returns passages and photos together
    for doc in notes.as_retriever(search_kwargs={"k": 4}).invoke(args.query):
        what = f"image {Path(doc.metadata['path']).name}" if doc.metadata.get("kind") == "image" else "text"
        print(f"{what:>20}: {doc.page_content[:70]}")
    photos = models.Filter(must=[models.FieldCondition(key="metadata.kind", match=models.MatchValue(value="image"))])
    best = notes.similarity_search(args.query, k=1, filter=photos)
    print(f"best photo for {args.query!r}: {Path(best[0].metadata['path']).name}")
