"""The engines behind :class:`mmretrieval.store.VectorStore`, one small module each.

``client``: qdrant-client (embedded local mode, ``:memory:``, or a server by URL).
``edge``: qdrant-edge, Qdrant's Rust engine in-process (embedded only).

Each engine class takes ``(location, collection)`` plus its own options and implements the
:class:`~mmretrieval.store.backends.base.Backend` protocol (the contract, its point type and its
errors live in :mod:`mmretrieval.store.backends.base`, which the facade imports too).
"""

from __future__ import annotations

import os
from typing import Optional

from .base import Backend

ENGINES = ("client", "edge")
DEFAULT_ENGINE = "client"


def engines_holding(folder: str, collection: Optional[str] = None) -> list[str]:
    """The engines with collections in the store ``folder`` (with ``collection``, if given), read from
    their files without opening them: a store folder says which engine made it."""
    from .client import collections_in as client_collections
    from .edge import collections_in as edge_collections

    found = {"client": client_collections(folder), "edge": edge_collections(folder)}
    return [engine for engine, names in found.items() if names and (collection is None or collection in names)]


def choose_engine(engine: Optional[str], folder: Optional[str], collection: str) -> str:
    """The engine to open a store with: ``engine`` if given; for a store ``folder``, the one engine that holds
    ``collection`` there, else the one engine holding any collection there; else ``$MMRETRIEVAL_ENGINE``
    (for an embedded store), else ``client``. ``folder`` None: a server or an open QdrantClient."""
    if engine:
        return engine
    if folder is None:
        return DEFAULT_ENGINE
    if folder != ":memory:":
        for holders in (engines_holding(folder, collection), engines_holding(folder)):
            if len(holders) == 1:
                return holders[0]
    return os.environ.get("MMRETRIEVAL_ENGINE") or DEFAULT_ENGINE


def open_backend(engine: str, path=None, url=None, api_key=None, collection: str = "mmretrieval",
                 client=None) -> Backend:
    """The engine named ``engine`` on ``path`` (folder, ``":memory:"`` or None), ``url``, or an open
    ``client`` (a ``QdrantClient``, engine ``client`` only)."""
    if engine == "client":
        from .client import ClientBackend

        return ClientBackend(path=path, url=url, api_key=api_key, collection=collection, client=client)
    if client is not None:
        raise ValueError(f"a QdrantClient runs engine 'client', not {engine!r}; drop engine= or client=")
    if engine == "edge":
        if url is not None:
            raise ValueError("engine 'edge' is embedded (in-process) and takes a folder, not url; "
                             "drop --url, or use engine 'client' for a Qdrant server")
        from .edge import EdgeBackend

        return EdgeBackend(path=path, collection=collection)
    raise ValueError(f"unknown store engine {engine!r}; use one of {', '.join(ENGINES)}")
