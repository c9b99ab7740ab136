"""Options shared by the commands that open a Qdrant store (``index``, ``search``, ``rag``, ``serve``, ``collections``)."""

from __future__ import annotations

import os

from ..store.backends import ENGINES
from ..store.ids import DEFAULT_COLLECTION


def add_store_arguments(parser, collection: bool = True, model: bool = True) -> None:
    group = parser.add_argument_group("store")
    group.add_argument("--store", default=None, metavar="FOLDER",
                       help="embedded Qdrant folder (default: $MMRETRIEVAL_HOME/qdrant or ~/.local/share/mmretrieval/qdrant)")
    group.add_argument("--url", default=os.environ.get("QDRANT_URL"),
                       help="a Qdrant server or cluster instead of the embedded store (default: $QDRANT_URL)")
    group.add_argument("--api-key", default=os.environ.get("QDRANT_API_KEY"), help="API key for --url (default: $QDRANT_API_KEY)")
    group.add_argument("--engine", choices=ENGINES, default=None,
                       help="embedded engine: client (qdrant-client local mode, pure Python) or edge (Qdrant's Rust "
                            "engine in-process, pip install \"mmretrieval[edge]\"; much faster past ~20k points). "
                            "Default: the engine that made the store folder; a new one: $MMRETRIEVAL_ENGINE, else client")
    if collection:
        group.add_argument("--collection", default=DEFAULT_COLLECTION,
                           help=f"collection name (default: {DEFAULT_COLLECTION})")
        group.add_argument("--vector", default=None, metavar="NAME",
                           help="attach to a collection another tool made (LangChain, LlamaIndex, qdrant-client) and "
                                "use its dense vector NAME (\"\" for the unnamed one, LangChain's and LlamaIndex's "
                                "default; LlamaIndex's hybrid mode: text-dense). Its own points are never changed; "
                                "needs a raw-space model of the text model that made it")
    if model:
        group.add_argument("--model", default=None,
                           help="model name or saved folder (default: the one that made the collection, else the "
                                "shipped default); a collection refuses a model that did not make it")


def open_index(args, must_exist: bool = False):
    """The :class:`Index` the arguments name; ``must_exist`` (read-only commands) refuses a store folder or
    collection that is not there instead of creating an empty one. Models load on ``args.runtime``."""
    from ..indexing import Index
    from ..registry import load_model

    store = open_store(args, must_exist=must_exist)
    if must_exist and not store.exists():
        store.close()
        raise ValueError(f"collection {args.collection!r} at {store.location} does not exist; "
                         "run `mmretrieval index PATH...` first (`mmretrieval collections` lists what is there)")
    runtime = getattr(args, "runtime", None)  # (the top-level --runtime)
    try:
        model = load_model(args.model, runtime=runtime) if args.model else None
    except BaseException:
        store.close()
        raise
    return Index(store, model, runtime=runtime)


def open_store(args, collection: str | None = None, must_exist: bool = False):
    """The store the arguments name (``collection`` overrides ``--collection``; see ``store.open_store``)."""
    from ..store import default_store_path, open_store as open_named

    collection = collection or args.collection
    if must_exist and args.url is None and args.store != ":memory:":
        folder = os.path.expanduser(args.store) if args.store else str(default_store_path())
        if not os.path.exists(folder):  # (a file there is the store's error)
            hint = "" if args.store is None else f" --store {args.store}"
            raise FileNotFoundError(f"the store {folder} does not exist: nothing is indexed there yet; "
                                    f"run `mmretrieval index PATH...{hint}` first")
        _check_engine(args.engine, folder, collection)
    return open_named(path=args.store, url=args.url, api_key=args.api_key, collection=collection,
                      engine=args.engine, vector=getattr(args, "vector", None))


def _check_engine(engine, folder: str, collection: str) -> None:
    """Refuse to read a store folder with an engine (``--engine``) that holds none of its collections."""
    from ..store.backends import engines_holding

    holders, what = engines_holding(folder, collection), f"collection {collection!r} in the store {folder}"
    if not holders:
        holders, what = engines_holding(folder), f"the store {folder}"
    if engine and holders and engine not in holders:
        raise ValueError(f"{what} was made by engine {holders[0]!r}, which engine {engine!r} does not read. "
                         "Leave out --engine (a store is opened by the engine that made it) or pass "
                         f"--engine {holders[0]}")
