"""ASGI middleware that refuses request bodies over a size limit before any handler reads them."""

from __future__ import annotations

import json


class BodySizeLimit:
    """Answer 413 when a body exceeds ``max_bytes``: at once by ``Content-Length``, else while streaming.

    A body without a length (chunked) is read up to the limit here and replayed to the app, so an
    oversized upload is never parsed, spooled to disk or half-processed.
    """

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        kind = headers.get(b"content-type", b"").decode("latin-1")
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit():
                return await _answer(send, 400, f"the Content-Length header is not a number of bytes: "
                                                f"{length[:40].decode('latin-1')!r}")
            if int(length) > self.max_bytes:
                return await _answer(send, 413, too_large(kind, f"{int(length):,} bytes", self.max_bytes))
            return await self.app(scope, receive, send)
        chunks, total = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            total += len(message.get("body", b""))
            if total > self.max_bytes:
                return await _answer(send, 413, too_large(kind, f"over {self.max_bytes:,} bytes", self.max_bytes))
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)

        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:  # the body was delivered: what follows is the client's disconnect
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)


def too_large(content_type: str, size: str, limit: int) -> str:
    """What was too large (the body's kind and size), the limit, and what to do about it."""
    media = content_type.split(";")[0].strip().lower()
    if media.startswith("multipart/"):
        what, advice = "upload", "send a smaller image"
    elif media.endswith("json"):
        what, advice = "JSON body", "send a shorter request"
    else:
        what, advice = f"request body ({media or 'no Content-Type'})", "send a smaller body"
    return (f"{what} of {size} is larger than this server's limit of {limit / 2**20:.1f} MiB ({limit:,} bytes); "
            f"{advice} (or start the server with a larger --max-upload-mb)")


async def _answer(send, status: int, detail: str) -> None:
    data = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": data})
