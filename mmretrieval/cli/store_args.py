"""Options shared by the commands that open a Qdrant collection (``index``, ``search``)."""

from __future__ import annotations

import os

from ..store_backends import ENGINES


def add_store_arguments(parser) -> None:
    group = parser.add_argument_group("store")
    group.add_argument("--store", default=None, metavar="FOLDER",
                       help="embedded Qdrant folder (default: $MMRETRIEVAL_HOME/qdrant or ~/.local/share/mmretrieval/qdrant)")
    group.add_argument("--url", default=os.environ.get("QDRANT_URL"),
                       help="a Qdrant server or cluster instead of the embedded store (default: $QDRANT_URL)")
    group.add_argument("--api-key", default=os.environ.get("QDRANT_API_KEY"), help="API key for --url (default: $QDRANT_API_KEY)")
    group.add_argument("--engine", choices=ENGINES, default=None,
                       help="embedded engine: client (qdrant-client local mode, pure Python) or edge (Qdrant's Rust "
                            "engine in-process, pip install \"mmretrieval[edge]\"; much faster past ~20k points). "
                            "Default: $MMRETRIEVAL_ENGINE, else client. Each engine keeps its own collections")
    group.add_argument("--collection", default="mmretrieval", help="collection name (default: mmretrieval)")
    group.add_argument("--vector", default=None, metavar="NAME",
                       help="attach to a collection another tool made (LangChain, LlamaIndex, qdrant-client) and use "
                            "its dense vector NAME (\"\" for the unnamed one, LangChain's and LlamaIndex's default; "
                            "LlamaIndex's hybrid mode: text-dense). Its own points are never changed; needs a raw-space model of the text "
                            "model that made it")
    group.add_argument("--model", default=None,
                       help="model name or saved folder (default: the one that made the collection, else the shipped default)")


def open_index(args):
    from ..indexing import Index
    from ..registry import load_model

    model = load_model(args.model) if args.model else None
    return Index.open(path=args.store, url=args.url, api_key=args.api_key, collection=args.collection,
                      model=model, engine=args.engine, vector=args.vector)
