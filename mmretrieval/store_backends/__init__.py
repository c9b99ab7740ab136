"""The engines behind :class:`mmretrieval.store.VectorStore`, one small module each.

``client``: qdrant-client (embedded local mode, ``:memory:``, or a server by URL).
``edge``: qdrant-edge, Qdrant's Rust engine in-process (embedded only).

Each engine class takes ``(location, collection)`` plus its own options and offers the same
methods: ``exists``, ``read_record``, ``create``, ``drop``, ``upsert``, ``delete``, ``set_payload``,
``retrieve``, ``scroll``, ``count``, ``query``, ``close``. Filters arrive as qdrant-client
``Filter`` objects (from ``store.build_filter``); results leave as qdrant-client ``Record`` /
``ScoredPoint`` with string ids, whichever engine made them.
"""

from __future__ import annotations

ENGINES = ("client", "edge")
DEFAULT_ENGINE = "client"


def open_backend(engine: str, path=None, url=None, api_key=None, collection: str = "mmretrieval"):
    """The engine named ``engine`` on ``path`` (folder, ``":memory:"`` or None) or ``url``."""
    if engine == "client":
        from .client import ClientBackend

        return ClientBackend(path=path, url=url, api_key=api_key, collection=collection)
    if engine == "edge":
        if url is not None:
            raise ValueError("engine 'edge' is embedded (in-process) and takes a folder, not url; "
                             "drop --url, or use engine 'client' for a Qdrant server")
        from .edge import EdgeBackend

        return EdgeBackend(path=path, collection=collection)
    raise ValueError(f"unknown store engine {engine!r}; use one of {', '.join(ENGINES)}")
