"""The search page, its static files and icon, and the health probe (no key needed for any of them)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from .schemas import Health, responses
from .state import ServerState

STATIC = Path(__file__).parent / "static"


def page_routes(state: ServerState) -> APIRouter:
    router = APIRouter()
    index, settings = state.index, state.settings

    @router.get("/api/health", responses=responses(ok=Health))
    def health():
        with state.store_lock:
            count = index.count()
            info = index.store.info()
        return {"status": "ok", "points": count, "model": info.model if info else None,
                "auth": settings.api_key is not None, "generator": settings.generator is not None,
                "max_upload_bytes": settings.max_upload_bytes, "min_score": index.model.config.min_score}

    @router.get("/", include_in_schema=False)
    def page():
        return FileResponse(STATIC / "index.html")

    @router.get("/favicon.ico", include_in_schema=False)
    def favicon():  # browsers ask for it whatever the page links
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    return router
