"""The API key check: with a key set, ``/api`` routes (but health) need it as ``X-API-Key`` or Bearer."""

from __future__ import annotations

import hmac
from typing import Optional

from fastapi import HTTPException, Request


def key_checker(api_key: Optional[str]):
    """A FastAPI dependency that refuses requests without ``api_key`` (a no-op when it is None)."""

    def require_key(request: Request) -> None:
        if api_key is None:
            return
        given = request.headers.get("x-api-key") or _bearer(request.headers.get("authorization", ""))
        if not given or not hmac.compare_digest(given.encode(), api_key.encode()):
            raise HTTPException(401, "missing or wrong API key: send it as the X-API-Key header",
                                headers={"WWW-Authenticate": "Bearer"})

    return require_key


def _bearer(header: str) -> Optional[str]:
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
