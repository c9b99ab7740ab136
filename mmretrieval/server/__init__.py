"""HTTP API and search page over an index (FastAPI; install the ``serve`` extra)."""

from .app import ServerSettings, create_app

__all__ = ["ServerSettings", "create_app"]
