"""The HTTP API and search page: search by text or uploaded image, similar-to-id, RAG, health.

One module per concern: ``routes_search`` (text, image, similar), ``routes_files`` (items, images,
thumbnails; ``thumbs`` makes and caches them), ``routes_rag``, ``routes_duplicates`` (near-duplicate groups),
``routes_page`` (page, icon, health), ``auth`` (the API key), ``errors`` (error answers), ``limits`` (body
size), ``schemas`` (the answers' shapes, for the OpenAPI schema), ``memory`` (malloc arenas), ``state``
(what the routes share).

Image bytes are served by point id only, from the path stored for that point when it was indexed,
so no request can name a file; uploads are bounded by :class:`BodySizeLimit`; with an API key set,
every ``/api`` route but ``/api/health`` needs it (``X-API-Key`` header or ``Authorization: Bearer``).
"""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from .auth import key_checker
from .errors import install_error_handlers
from .limits import BodySizeLimit
from .routes_duplicates import duplicate_routes
from .routes_files import file_routes
from .routes_page import STATIC, page_routes
from .routes_rag import rag_routes
from .routes_search import search_routes
from .schemas import responses
from .settings import ServerSettings
from .state import ServerState


def create_app(index, settings: ServerSettings = ServerSettings()) -> FastAPI:
    """A FastAPI app over ``index`` (an :class:`mmretrieval.indexing.Index`); loads its model now, which
    also refuses one that did not make the collection."""
    index.model
    app = FastAPI(title="mmretrieval", docs_url="/api/docs", openapi_url="/api/openapi.json", redoc_url=None)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    install_error_handlers(app)
    state = ServerState(index, settings)
    keyed = [Depends(key_checker(settings.api_key))]
    app.include_router(page_routes(state))
    for routes in (search_routes, file_routes, rag_routes, duplicate_routes):
        app.include_router(routes(state), dependencies=keyed, responses=responses(401))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
